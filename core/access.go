package core

import (
	"context"
	"fmt"
	"slices"
)

// This file is the one place that decides who may act on what. Services ask
// it with the resource's owner (a citizen id, an agency id); the answer
// depends only on the verified principal, never on ids the caller sent.

// Caller returns the principal of ctx, or ErrUnauthenticated.
func Caller(ctx context.Context) (Principal, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Principal{}, fmt.Errorf("sign in first: %w", ErrUnauthenticated)
	}
	return p, nil
}

// AuthorizeCitizenData allows the citizen themself, staff of agencyID (any
// staff role; system admins everywhere) and clients of agencyID holding
// scope. agencyID is the agency the data belongs to ("" for data that belongs
// to no agency, which only the citizen and system admins may reach).
func AuthorizeCitizenData(ctx context.Context, citizenID, agencyID, scope string) (Principal, error) {
	p, err := Caller(ctx)
	if err != nil {
		return p, err
	}
	switch p.Kind {
	case KindSystem:
		return p, nil
	case KindCitizen:
		if p.IsCitizen(citizenID) {
			return p, nil
		}
	case KindStaff:
		if p.IsSystemAdmin() || (agencyID != "" && p.AgencyID == agencyID) {
			return p, nil
		}
	case KindClient:
		if agencyID != "" && p.AgencyID == agencyID && p.HasScope(scope) {
			return p, nil
		}
	}
	return p, forbidden(p)
}

// AuthorizeAgency allows staff of agencyID with one of roles (any staff role
// when roles is empty; system admins always) and clients of agencyID holding
// scope (clients never when scope is "").
func AuthorizeAgency(ctx context.Context, agencyID, scope string, roles ...Role) (Principal, error) {
	p, err := Caller(ctx)
	if err != nil {
		return p, err
	}
	switch p.Kind {
	case KindSystem:
		return p, nil
	case KindStaff:
		if p.IsSystemAdmin() {
			return p, nil
		}
		if agencyID != "" && p.AgencyID == agencyID && (len(roles) == 0 || slices.Contains(roles, p.Role)) {
			return p, nil
		}
	case KindClient:
		if scope != "" && agencyID != "" && p.AgencyID == agencyID && p.HasScope(scope) {
			return p, nil
		}
	}
	return p, forbidden(p)
}

// AuthorizeSystemAdmin allows only system administrators.
func AuthorizeSystemAdmin(ctx context.Context) (Principal, error) {
	p, err := Caller(ctx)
	if err != nil {
		return p, err
	}
	if !p.IsSystemAdmin() {
		return p, forbidden(p)
	}
	return p, nil
}

// AuthorizeService allows only another Tidbok process holding the service
// scope. Citizens, staff (system admins too) and integration clients are
// refused: the internal routes serve the services, not people.
func AuthorizeService(ctx context.Context, scope string) (Principal, error) {
	p, err := Caller(ctx)
	if err != nil {
		return p, err
	}
	if !p.HasServiceScope(scope) {
		return p, forbidden(p)
	}
	return p, nil
}

// AuthorizeStatistics allows reading an agency's statistics: its staff of
// every role, system admins, and clients of the agency holding
// statistics:read. Caseworkers may, because the figures are counts and
// durations without personal data, drawn from cases and meetings a
// caseworker can already read one by one. Citizens never.
func AuthorizeStatistics(ctx context.Context, agencyID string) (Principal, error) {
	return AuthorizeAgency(ctx, agencyID, ScopeStatisticsRead)
}

func forbidden(p Principal) error {
	return fmt.Errorf("this %s may not do that: %w", p.Kind, ErrForbidden)
}

// RequestMeta is what the transport knows about a request that services
// record in audit entries.
type RequestMeta struct {
	ClientIP  string
	RequestID string
	// Via says how a caller without a token of their own reached Tidbok
	// ("manage link"), for the audit log.
	Via string
}

type metaKey struct{}

// WithRequestMeta returns ctx carrying m.
func WithRequestMeta(ctx context.Context, m RequestMeta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// RequestMetaFrom returns the request metadata of ctx (empty outside requests).
func RequestMetaFrom(ctx context.Context) RequestMeta {
	m, _ := ctx.Value(metaKey{}).(RequestMeta)
	return m
}
