package auth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// The routes below serve the other Tidbok services when they run in other
// processes: the citizen and staff register and the audit log. Only a
// service principal with the scope reaches them (core.AuthorizeService).
// Where a service acts for the person who called it (staff finding a
// citizen), it says who that is in on_behalf_of, which it took from the
// person's own verified token; the auth service then decides as it would in
// process. Personal identity numbers never leave the auth service: a service
// learns only whether there is one, and its masked form.

// CitizenRecord is a citizen as the other services see them.
type CitizenRecord struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Email       string `json:"email,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Language    string `json:"language"`
	NotifyEmail bool   `json:"notify_email"`
	NotifySMS   bool   `json:"notify_sms"`
	HasPIN      bool   `json:"has_personal_identity_number"`
	MaskedPIN   string `json:"masked_personal_identity_number,omitempty"`
}

// RecordOf is c as the other services see them.
func RecordOf(c auth.Citizen) CitizenRecord {
	r := CitizenRecord{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Language: c.Language,
		NotifyEmail: c.NotifyEmail, NotifySMS: c.NotifySMS, HasPIN: !c.PIN.IsZero()}
	if r.HasPIN {
		r.MaskedPIN = c.PIN.Masked()
	}
	return r
}

// People is the citizen and staff register as the other services use it:
// LocalPeople in process, InternalClient over HTTP.
type People interface {
	// ResolveCitizen finds or creates the citizen ref names, for the staff
	// member or integration client of ctx.
	ResolveCitizen(ctx context.Context, ref auth.CitizenRef) (CitizenRecord, error)
	Citizen(ctx context.Context, id string) (CitizenRecord, error)
	StaffAgency(ctx context.Context, id string) (string, error)
	// StaffLanguage is the language a staff account reads (sv or en).
	StaffLanguage(ctx context.Context, id string) (string, error)
}

// Auditor appends to the audit log: the auth service itself in process,
// InternalClient over HTTP.
type Auditor interface {
	RecordAudit(ctx context.Context, e auth.AuditEntry) error
}

// LocalPeople is People in process.
type LocalPeople struct{ Register auth.CitizenRegister }

func (p LocalPeople) ResolveCitizen(ctx context.Context, ref auth.CitizenRef) (CitizenRecord, error) {
	c, err := p.Register.ResolveCitizen(ctx, ref)
	return RecordOf(c), err
}

func (p LocalPeople) Citizen(ctx context.Context, id string) (CitizenRecord, error) {
	c, err := p.Register.CitizenContact(ctx, id)
	return RecordOf(c), err
}

func (p LocalPeople) StaffAgency(ctx context.Context, id string) (string, error) {
	return p.Register.StaffAgency(ctx, id)
}

func (p LocalPeople) StaffLanguage(ctx context.Context, id string) (string, error) {
	return p.Register.StaffLanguage(ctx, id)
}

// actorJSON is the person a service acts for, as their token named them.
type actorJSON struct {
	Kind     string   `json:"kind"`
	Subject  string   `json:"subject"`
	Role     string   `json:"role,omitempty"`
	AgencyID string   `json:"agency_id,omitempty"`
	Scopes   []string `json:"scopes,omitempty"`
	TokenID  string   `json:"token_id,omitempty"`
}

func actorOf(ctx context.Context) *actorJSON {
	p, ok := core.PrincipalFrom(ctx)
	if !ok {
		return nil
	}
	return &actorJSON{Kind: string(p.Kind), Subject: p.Subject, Role: string(p.Role), AgencyID: p.AgencyID, Scopes: p.Scopes, TokenID: p.TokenID}
}

// principal is the actor as a principal. Only people and integrations are
// acted for: a service cannot lend another service's or Tidbok's own rights.
func (a *actorJSON) principal() (core.Principal, error) {
	if a == nil {
		return core.Principal{}, core.Invalid("on_behalf_of", "is required: the staff member or client the service acts for")
	}
	kind := core.PrincipalKind(a.Kind)
	var v core.Validator
	v.Check(kind == core.KindCitizen || kind == core.KindStaff || kind == core.KindClient, "on_behalf_of.kind", "must be citizen, staff or client")
	v.Check(a.Subject != "" && len(a.Subject) <= 100 && plainText(a.Subject), "on_behalf_of.subject", "is required")
	v.Check(a.Role == "" || core.Role(a.Role).Valid(), "on_behalf_of.role", "is not a role")
	for _, sc := range a.Scopes {
		v.Check(slices.Contains(core.AllScopes, sc), "on_behalf_of.scopes", "holds an unknown scope")
	}
	if err := v.Err(); err != nil {
		return core.Principal{}, err
	}
	return core.Principal{Kind: kind, Subject: a.Subject, Role: core.Role(a.Role), AgencyID: a.AgencyID, Scopes: a.Scopes, TokenID: a.TokenID}, nil
}

type citizenRefJSON struct {
	ID                     string `json:"id,omitempty"`
	PersonalIdentityNumber string `json:"personal_identity_number,omitempty"`
	Email                  string `json:"email,omitempty"`
	Phone                  string `json:"phone,omitempty"`
	Name                   string `json:"name,omitempty"`
}

type resolveRequest struct {
	Citizen    citizenRefJSON `json:"citizen"`
	OnBehalfOf *actorJSON     `json:"on_behalf_of"`
}

type staffRecord struct {
	ID       string `json:"id"`
	AgencyID string `json:"agency_id"`
	Language string `json:"language,omitempty"`
}

type auditRequest struct {
	Action     string `json:"action"`
	TargetKind string `json:"target_kind"`
	TargetID   string `json:"target_id"`
	AgencyID   string `json:"agency_id,omitempty"`
	ActorKind  string `json:"actor_kind,omitempty"`
	ActorID    string `json:"actor_id,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
	ClientIP   string `json:"client_ip,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// registerInternal lists the auth service's routes for the other services.
func registerInternal(mux *http.ServeMux, s auth.Service) {
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	record := func(c CitizenRecord) any { return c }
	mux.Handle("GET /v1/internal/citizens/{id}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, id string) (CitizenRecord, error) {
			if _, err := core.AuthorizeService(ctx, core.ScopePeopleRead); err != nil {
				return CitizenRecord{}, err
			}
			return LocalPeople{s}.Citizen(ctx, id)
		}), decodePathID, httpkit.Encode(http.StatusOK, record), opts...))
	mux.Handle("POST /v1/internal/citizens/resolve", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r resolveRequest) (CitizenRecord, error) {
			if _, err := core.AuthorizeService(ctx, core.ScopePeopleWrite); err != nil {
				return CitizenRecord{}, err
			}
			actor, err := r.OnBehalfOf.principal()
			if err != nil {
				return CitizenRecord{}, err
			}
			return LocalPeople{s}.ResolveCitizen(core.WithPrincipal(ctx, actor), auth.CitizenRef(r.Citizen))
		}), decodeJSON[resolveRequest], httpkit.Encode(http.StatusOK, record), opts...))
	mux.Handle("GET /v1/internal/staff/{id}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, id string) (staffRecord, error) {
			if _, err := core.AuthorizeService(ctx, core.ScopePeopleRead); err != nil {
				return staffRecord{}, err
			}
			agency, err := s.StaffAgency(ctx, id)
			if err != nil {
				return staffRecord{}, err
			}
			language, err := s.StaffLanguage(ctx, id)
			return staffRecord{ID: id, AgencyID: agency, Language: language}, err
		}), decodePathID, httpkit.Encode(http.StatusOK, func(r staffRecord) any { return r }), opts...))
	mux.Handle("POST /v1/internal/audit", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r auditRequest) (struct{}, error) {
			if _, err := core.AuthorizeService(ctx, core.ScopeAuditWrite); err != nil {
				return struct{}{}, err
			}
			return struct{}{}, s.RecordAudit(ctx, auth.AuditEntry{Action: r.Action, TargetKind: r.TargetKind, TargetID: r.TargetID,
				AgencyID: r.AgencyID, ActorKind: r.ActorKind, ActorID: r.ActorID, Outcome: r.Outcome, ClientIP: r.ClientIP,
				RequestID: r.RequestID, Detail: r.Detail})
		}), decodeAudit, httpkit.Encode(http.StatusNoContent, func(struct{}) any { return nil }), opts...))
}

func decodeAudit(ctx context.Context, r *http.Request) (any, error) {
	req, err := decodeJSON[auditRequest](ctx, r)
	if err != nil {
		return nil, err
	}
	a := req.(auditRequest)
	var v core.Validator
	v.Check(a.Action != "", "action", "is required")
	for _, f := range []struct{ name, value string }{
		{"action", a.Action}, {"target_kind", a.TargetKind}, {"target_id", a.TargetID}, {"agency_id", a.AgencyID},
		{"actor_id", a.ActorID}, {"client_ip", a.ClientIP}, {"request_id", a.RequestID}, {"outcome", a.Outcome},
	} {
		v.Check(len(f.value) <= 200 && plainText(f.value), f.name, "must be at most 200 characters, no control characters")
	}
	v.Check(len(a.Detail) <= 1000 && plainText(a.Detail), "detail", "must be at most 1000 characters, no control characters")
	v.Check(a.ActorKind == "" || slices.Contains([]string{"citizen", "staff", "client", "service", "system", "anonymous"}, a.ActorKind),
		"actor_kind", "must be citizen, staff, client, service, system or anonymous")
	v.Check(a.Outcome == "" || a.Outcome == "success" || a.Outcome == "failure" || a.Outcome == "denied", "outcome", "must be success, failure or denied")
	if err := v.Err(); err != nil {
		return nil, err
	}
	return a, nil
}

func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// InternalClient is People and Auditor over HTTP, for processes that run
// other services and reach auth on another host. httpClient carries this
// process's service token.
type InternalClient struct {
	citizen endpointFunc
	resolve endpointFunc
	staff   endpointFunc
	audit   endpointFunc
}

type endpointFunc = func(ctx context.Context, request any) (any, error)

var (
	_ People  = (*InternalClient)(nil)
	_ Auditor = (*InternalClient)(nil)
)

// NewInternalClient returns a client of the auth service's internal routes
// at baseURL (for example http://auth:8080).
func NewInternalClient(baseURL string, httpClient *http.Client) (*InternalClient, error) {
	base, err := httpkit.ServiceBaseURL("auth", baseURL)
	if err != nil {
		return nil, err
	}
	return &InternalClient{
		citizen: httpkit.JSONEndpoint[CitizenRecord](http.MethodGet, base, httpClient),
		resolve: httpkit.JSONEndpoint[CitizenRecord](http.MethodPost, base, httpClient),
		staff:   httpkit.JSONEndpoint[staffRecord](http.MethodGet, base, httpClient),
		audit:   httpkit.JSONEndpoint[struct{}](http.MethodPost, base, httpClient),
	}, nil
}

func (c *InternalClient) ResolveCitizen(ctx context.Context, ref auth.CitizenRef) (CitizenRecord, error) {
	actor := actorOf(ctx)
	if actor == nil {
		return CitizenRecord{}, core.ErrUnauthenticated
	}
	return httpkit.Do[CitizenRecord](ctx, c.resolve, httpkit.Call{Path: "/v1/internal/citizens/resolve",
		Body: resolveRequest{Citizen: citizenRefJSON(ref), OnBehalfOf: actor}})
}

func (c *InternalClient) Citizen(ctx context.Context, id string) (CitizenRecord, error) {
	if !core.ValidID(id) {
		return CitizenRecord{}, core.Invalid("citizen.id", "must be a UUID")
	}
	return httpkit.Do[CitizenRecord](ctx, c.citizen, httpkit.Call{Path: "/v1/internal/citizens/" + url.PathEscape(id)})
}

func (c *InternalClient) StaffAgency(ctx context.Context, id string) (string, error) {
	r, err := c.staffRecord(ctx, id)
	return r.AgencyID, err
}

func (c *InternalClient) StaffLanguage(ctx context.Context, id string) (string, error) {
	r, err := c.staffRecord(ctx, id)
	return r.Language, err
}

func (c *InternalClient) staffRecord(ctx context.Context, id string) (staffRecord, error) {
	if !core.ValidID(id) {
		return staffRecord{}, core.Invalid("staff_id", "must be a UUID")
	}
	return httpkit.Do[staffRecord](ctx, c.staff, httpkit.Call{Path: "/v1/internal/staff/" + url.PathEscape(id)})
}

// RecordAudit appends e, naming as actor the caller of ctx as the in-process
// log would, and the client address and request id of the request being
// served.
func (c *InternalClient) RecordAudit(ctx context.Context, e auth.AuditEntry) error {
	if e.ActorKind == "" {
		if p, ok := core.PrincipalFrom(ctx); ok {
			e.ActorKind, e.ActorID = string(p.Kind), p.Subject
			if e.AgencyID == "" {
				e.AgencyID = p.AgencyID
			}
		} else {
			e.ActorKind = "anonymous"
		}
	}
	meta := core.RequestMetaFrom(ctx)
	if e.ClientIP == "" {
		e.ClientIP = meta.ClientIP
	}
	if e.RequestID == "" {
		e.RequestID = meta.RequestID
	}
	if e.Detail == "" && meta.Via != "" {
		e.Detail = "via " + meta.Via
	}
	_, err := httpkit.Do[struct{}](ctx, c.audit, httpkit.Call{Path: "/v1/internal/audit", Body: auditRequest{
		Action: e.Action, TargetKind: e.TargetKind, TargetID: e.TargetID, AgencyID: e.AgencyID, ActorKind: e.ActorKind,
		ActorID: e.ActorID, Outcome: e.Outcome, ClientIP: e.ClientIP, RequestID: e.RequestID, Detail: e.Detail}})
	return err
}
