package core

import (
	"context"
	"slices"
)

// PrincipalKind says what sort of caller a principal is.
type PrincipalKind string

const (
	KindCitizen PrincipalKind = "citizen"
	KindStaff   PrincipalKind = "staff"
	KindClient  PrincipalKind = "client" // an agency system using OAuth2 client credentials
	// KindService is one Tidbok process calling another (notify reading
	// booking's events over HTTP). It belongs to no agency and holds only
	// the internal service scopes, which no other kind can hold; the
	// citizen- and agency-facing checks refuse it.
	KindService PrincipalKind = "service"
	// KindSystem is Tidbok itself acting in process (notify reading an
	// appointment to send its invitation). No token ever carries it: the
	// token verifier refuses every kind but the four above.
	KindSystem PrincipalKind = "system"
)

// System returns the principal of an in-process task named name.
func System(name string) Principal { return Principal{Kind: KindSystem, Subject: name} }

// Role is a staff member's role.
type Role string

const (
	RoleCaseworker  Role = "caseworker"
	RoleAgencyAdmin Role = "agency_admin"
	RoleSystemAdmin Role = "system_admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleCaseworker || r == RoleAgencyAdmin || r == RoleSystemAdmin
}

// Scopes an integration client can hold.
const (
	ScopeCasesRead         = "cases:read"
	ScopeCasesWrite        = "cases:write"
	ScopeAppointmentsRead  = "appointments:read"
	ScopeAppointmentsWrite = "appointments:write"
	ScopeAvailabilityRead  = "availability:read"
	ScopeCallbacksWrite    = "callbacks:write"
	ScopeWebhooksManage    = "webhooks:manage"
	ScopeDirectoryWrite    = "directory:write"
	ScopeStatisticsRead    = "statistics:read"
)

// Scopes of a service principal: what one Tidbok process may ask of
// another over HTTP. Integration clients can never hold them.
const (
	ScopeEventsRead   = "events:read"   // read a service's outbox by cursor
	ScopePeopleRead   = "people:read"   // citizen contact details, a staff account's agency
	ScopePeopleWrite  = "people:write"  // find or create a citizen for staff or an integration
	ScopeAuditWrite   = "audit:write"   // append to the audit log
	ScopeBookingsRead = "bookings:read" // an appointment's details for messages and feeds
)

// ServiceScopes lists every service scope.
var ServiceScopes = []string{ScopeEventsRead, ScopePeopleRead, ScopePeopleWrite, ScopeAuditWrite, ScopeBookingsRead}

// AllScopes lists every scope, in the order documentation shows them.
var AllScopes = []string{
	ScopeCasesRead, ScopeCasesWrite, ScopeAppointmentsRead, ScopeAppointmentsWrite,
	ScopeAvailabilityRead, ScopeCallbacksWrite, ScopeWebhooksManage, ScopeDirectoryWrite, ScopeStatisticsRead,
}

// Principal is the verified caller of a request. It comes only from a
// verified access token; nothing a client sends in a body or query widens it.
type Principal struct {
	Kind     PrincipalKind
	Subject  string   // citizen id, staff id or client id
	Role     Role     // staff only
	AgencyID string   // staff (except system admins) and clients
	Scopes   []string // clients and services only
	TokenID  string   // the access token's jti, for audit entries
}

// IsCitizen reports whether p is the citizen with id citizenID.
func (p Principal) IsCitizen(citizenID string) bool {
	return p.Kind == KindCitizen && p.Subject != "" && p.Subject == citizenID
}

// IsSystemAdmin reports whether p is a system administrator.
func (p Principal) IsSystemAdmin() bool { return p.Kind == KindStaff && p.Role == RoleSystemAdmin }

// HasScope reports whether a client principal holds scope.
func (p Principal) HasScope(scope string) bool {
	return p.Kind == KindClient && slices.Contains(p.Scopes, scope)
}

// HasServiceScope reports whether a service principal holds scope.
func (p Principal) HasServiceScope(scope string) bool {
	return p.Kind == KindService && slices.Contains(ServiceScopes, scope) && slices.Contains(p.Scopes, scope)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller of ctx, and false for an anonymous caller.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && p.Subject != ""
}
