// Package auth is the HTTP transport of the auth service: sign-in, tokens,
// the caller's profile, staff and client administration, the audit log,
// the JWKS and OpenID Connect sign-in.
package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/tokens"
	"github.com/tidbok/tidbok/transport/auth/oidclogin"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// Routes are the auth service's dependencies on the HTTP side.
type Routes struct {
	Service auth.Service
	// OIDC are the configured OpenID providers by name; may be empty.
	OIDC map[string]*oidclogin.RelyingParty
	// SignInLimiter limits the sign-in endpoints per client address.
	SignInLimiter *httpkit.RateLimiter
}

// Register lists every route of the auth service, in one place.
func (rt Routes) Register(mux *http.ServeMux) {
	s := rt.Service
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	limited := func(h http.Handler) http.Handler {
		if rt.SignInLimiter == nil {
			return h
		}
		return rt.SignInLimiter.Wrap(h)
	}
	mux.Handle("POST /v1/auth/citizen/code", limited(kithttp.NewServer(
		httpkit.Unary(s.RequestCitizenCode), decodeCodeRequest,
		httpkit.Encode(http.StatusAccepted, func(c auth.CodeChallenge) any {
			return map[string]any{"challenge_id": c.ID, "expires_in": int(c.ExpiresIn / time.Second)}
		}), opts...)))
	mux.Handle("POST /v1/auth/citizen/verify", limited(kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r verifyRequest) (auth.Tokens, error) {
			return s.VerifyCitizenCode(ctx, r.ChallengeID, r.Code)
		}), decodeJSON[verifyRequest], httpkit.Encode(http.StatusOK, tokensToJSON), opts...)))
	mux.Handle("POST /v1/auth/login", limited(kithttp.NewServer(
		httpkit.Unary(s.Login), decodeLoginRequest, httpkit.Encode(http.StatusOK, tokensToJSON), opts...)))
	mux.Handle("POST /v1/auth/token", rt.tokenRoute())
	mux.Handle("POST /v1/auth/logout", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r logoutRequest) (struct{}, error) {
			return struct{}{}, s.Logout(ctx, r.RefreshToken)
		}), decodeJSON[logoutRequest], httpkit.Encode(http.StatusNoContent, func(struct{}) any { return nil }), opts...))

	mux.Handle("GET /v1/me", kithttp.NewServer(
		httpkit.Unary(s.Me), decodeMeRequest, httpkit.Encode(http.StatusOK, meToJSON), opts...))
	mux.Handle("PATCH /v1/me", kithttp.NewServer(
		httpkit.Unary(s.UpdateProfile), decodeProfileUpdate, httpkit.Encode(http.StatusOK, meToJSON), opts...))
	mux.Handle("POST /v1/me/password", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r passwordRequest) (struct{}, error) {
			return struct{}{}, s.ChangePassword(ctx, r.CurrentPassword, r.NewPassword)
		}), decodeJSON[passwordRequest], httpkit.Encode(http.StatusNoContent, func(struct{}) any { return nil }), opts...))
	mux.Handle("POST /v1/me/totp", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, _ struct{}) (auth.TOTPEnrolment, error) { return s.BeginTOTPEnrolment(ctx) }),
		decodeNothing, httpkit.Encode(http.StatusOK, func(e auth.TOTPEnrolment) any {
			return map[string]string{"secret": e.Secret, "otpauth_url": e.URL}
		}), opts...))
	mux.Handle("POST /v1/me/totp/confirm", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r codeOnly) (struct{}, error) {
			return struct{}{}, s.ConfirmTOTPEnrolment(ctx, r.Code)
		}), decodeJSON[codeOnly], httpkit.Encode(http.StatusNoContent, func(struct{}) any { return nil }), opts...))

	mux.Handle("POST /v1/staff", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, n auth.NewStaff) (createdStaff, error) {
			st, pw, err := s.CreateStaff(ctx, n)
			return createdStaff{st, pw}, err
		}), decodeNewStaff, httpkit.Encode(http.StatusCreated, func(c createdStaff) any {
			return struct {
				staffJSON
				InitialPassword string `json:"initial_password,omitempty"`
			}{staffToJSON(c.Staff), c.Password}
		}), opts...))
	mux.Handle("GET /v1/staff", kithttp.NewServer(
		httpkit.Unary(s.ListStaff), decodeAgencyQuery, httpkit.Encode(http.StatusOK, func(l []auth.Staff) any {
			return httpkit.List[staffJSON]{Items: httpkit.Map(l, staffToJSON)}
		}), opts...))
	mux.Handle("PATCH /v1/staff/{id}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r staffUpdateRequest) (auth.Staff, error) {
			return s.UpdateStaff(ctx, r.ID, r.Update)
		}), decodeStaffUpdate, httpkit.Encode(http.StatusOK, func(st auth.Staff) any { return staffToJSON(st) }), opts...))
	mux.Handle("POST /v1/staff/{id}/reset-password", kithttp.NewServer(
		httpkit.Unary(s.ResetPassword), decodePathID, httpkit.Encode(http.StatusOK, func(pw string) any {
			return map[string]string{"temporary_password": pw}
		}), opts...))

	mux.Handle("POST /v1/clients", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, n auth.NewClient) (createdClient, error) {
			c, secret, err := s.CreateClient(ctx, n)
			return createdClient{c, secret}, err
		}), decodeNewClient, httpkit.Encode(http.StatusCreated, func(c createdClient) any {
			return struct {
				clientJSON
				ClientSecret string `json:"client_secret"`
			}{clientToJSON(c.Client), c.Secret}
		}), opts...))
	mux.Handle("GET /v1/clients", kithttp.NewServer(
		httpkit.Unary(s.ListClients), decodeAgencyQuery, httpkit.Encode(http.StatusOK, func(l []auth.Client) any {
			return httpkit.List[clientJSON]{Items: httpkit.Map(l, clientToJSON)}
		}), opts...))
	mux.Handle("POST /v1/clients/{id}/revoke", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, id string) (struct{}, error) { return struct{}{}, s.RevokeClient(ctx, id) }),
		decodeClientID, httpkit.Encode(http.StatusNoContent, func(struct{}) any { return nil }), opts...))

	mux.Handle("GET /v1/audit", kithttp.NewServer(
		httpkit.Unary(s.ListAudit), decodeAuditQuery, httpkit.Encode(http.StatusOK, func(p auth.AuditPage) any {
			return httpkit.List[auditJSON]{Items: httpkit.Map(p.Entries, auditToJSON), NextCursor: p.NextCursor}
		}), opts...))

	mux.Handle("GET "+tokens.JWKSPath, kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, _ struct{}) (tokens.JWKS, error) { return s.JWKS(ctx) }),
		decodeNothing, httpkit.Encode(http.StatusOK, func(j tokens.JWKS) any { return j }),
		httpkit.ServerOptions(kithttp.ServerAfter(func(ctx context.Context, w http.ResponseWriter) context.Context {
			w.Header().Set("Cache-Control", "public, max-age=300")
			return ctx
		}))...))

	registerInternal(mux, s)
	mux.Handle("GET /v1/auth/oidc/{provider}/start", limited(http.HandlerFunc(rt.oidcStart)))
	mux.Handle("GET /v1/auth/oidc/{provider}/callback", limited(http.HandlerFunc(rt.oidcCallback)))
}

type createdStaff struct {
	Staff    auth.Staff
	Password string
}

type createdClient struct {
	Client auth.Client
	Secret string
}

// ---- decoders ----

func decodeJSON[T any](_ context.Context, r *http.Request) (any, error) {
	var v T
	if err := httpkit.DecodeJSONBody(r, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeNothing(context.Context, *http.Request) (any, error) { return struct{}{}, nil }

type codeRequest struct {
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Language string `json:"language"`
}

func decodeCodeRequest(ctx context.Context, r *http.Request) (any, error) {
	var body codeRequest
	if err := httpkit.DecodeJSONBody(r, &body); err != nil {
		return nil, err
	}
	// Without a language in the body or the request, the service writes
	// Swedish: most citizens of a Swedish agency read it first.
	if body.Language == "" && r.Header.Get("Accept-Language") != "" {
		body.Language = httpkit.LanguageFrom(ctx)
	}
	return auth.CodeRequest{Email: body.Email, Phone: body.Phone, Language: body.Language}, nil
}

type verifyRequest struct {
	ChallengeID string `json:"challenge_id"`
	Code        string `json:"code"`
}

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTP     string `json:"totp"`
}

func decodeLoginRequest(_ context.Context, r *http.Request) (any, error) {
	var b loginBody
	if err := httpkit.DecodeJSONBody(r, &b); err != nil {
		return nil, err
	}
	return auth.LoginRequest{Email: b.Email, Password: b.Password, TOTP: b.TOTP}, nil
}

type logoutRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func decodeMeRequest(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	switch q.Get("reveal") {
	case "":
		return false, nil
	case "personal_identity_number":
		return true, nil
	}
	return nil, core.Invalid("reveal", "can only be personal_identity_number")
}

type profileBody struct {
	Name                   *string `json:"name"`
	Phone                  *string `json:"phone"`
	Language               *string `json:"language"`
	NotifyEmail            *bool   `json:"notify_email"`
	NotifySMS              *bool   `json:"notify_sms"`
	PersonalIdentityNumber *string `json:"personal_identity_number"`
}

func decodeProfileUpdate(_ context.Context, r *http.Request) (any, error) {
	var b profileBody
	if err := httpkit.DecodeJSONBody(r, &b); err != nil {
		return nil, err
	}
	return auth.ProfileUpdate(b), nil
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

type codeOnly struct {
	Code string `json:"code"`
}

type newStaffBody struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	AgencyID string `json:"agency_id"`
	Password string `json:"password"`
	Language string `json:"language"`
}

func decodeNewStaff(_ context.Context, r *http.Request) (any, error) {
	var b newStaffBody
	if err := httpkit.DecodeJSONBody(r, &b); err != nil {
		return nil, err
	}
	return auth.NewStaff{Email: b.Email, Name: b.Name, Role: core.Role(b.Role), AgencyID: b.AgencyID, Password: b.Password, Language: b.Language}, nil
}

func decodeAgencyQuery(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	id := q.Get("agency_id")
	if id == "" {
		// Staff see their own agency's by default.
		if p, ok := core.PrincipalFrom(r.Context()); ok {
			id = p.AgencyID
		}
	}
	// The service checks the id, after it has checked the caller.
	return id, nil
}

type staffUpdateRequest struct {
	ID     string
	Update auth.StaffUpdate
}

func decodeStaffUpdate(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var b struct {
		Name     *string `json:"name"`
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
		Language *string `json:"language"`
	}
	if err := httpkit.DecodeJSONBody(r, &b); err != nil {
		return nil, err
	}
	u := auth.StaffUpdate{Name: b.Name, Disabled: b.Disabled, Language: b.Language}
	if b.Role != nil {
		role := core.Role(*b.Role)
		u.Role = &role
	}
	return staffUpdateRequest{ID: id, Update: u}, nil
}

func decodePathID(_ context.Context, r *http.Request) (any, error) {
	return httpkit.PathID(r, "id")
}

func decodeClientID(_ context.Context, r *http.Request) (any, error) {
	id := r.PathValue("id")
	if !strings.HasPrefix(id, "tbk_") || len(id) > 64 {
		return nil, core.Invalid("id", "must be a client_id")
	}
	return id, nil
}

type newClientBody struct {
	AgencyID string   `json:"agency_id"`
	Name     string   `json:"name"`
	Scopes   []string `json:"scopes"`
}

func decodeNewClient(_ context.Context, r *http.Request) (any, error) {
	var b newClientBody
	if err := httpkit.DecodeJSONBody(r, &b); err != nil {
		return nil, err
	}
	return auth.NewClient(b), nil
}

func decodeAuditQuery(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	aq := auth.AuditQuery{Action: q.Get("action"), ActorID: q.Get("actor_id"), TargetKind: q.Get("target_kind"),
		TargetID: q.Get("target_id"), Cursor: q.Get("cursor")}
	var v core.Validator
	for name, dst := range map[string]*time.Time{"from": &aq.From, "to": &aq.To} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			v.Check(err == nil, name, "must be an RFC 3339 time such as 2026-05-04T09:00:00+02:00")
			*dst = t
		}
	}
	if s := q.Get("limit"); s != "" {
		var n int
		if err := json.Unmarshal([]byte(s), &n); err != nil || n < 1 {
			v.Add("limit", "must be a positive whole number")
		}
		aq.Limit = n
	}
	return aq, v.Err()
}
