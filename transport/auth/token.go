package auth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// The token endpoint speaks to OAuth 2.0 client libraries as well as to
// people: its errors are problem documents like every other route's, with
// the members RFC 6749 §5.2 has clients read (RFC 9457 allows extension
// members), and no answer of it may be cached (§5.1).

// OAuth 2.0 error codes of the token endpoint (RFC 6749 §5.2), and two
// from the OAuth error registry for the failures §5.2 has none for.
const (
	oauthInvalidRequest         = "invalid_request"
	oauthInvalidClient          = "invalid_client"
	oauthInvalidGrant           = "invalid_grant"
	oauthUnsupportedGrantType   = "unsupported_grant_type"
	oauthInvalidScope           = "invalid_scope"
	oauthServerError            = "server_error"
	oauthTemporarilyUnavailable = "temporarily_unavailable"
)

// basicChallenge answers a client whose authentication failed (§5.2).
const basicChallenge = `Basic realm="tidbok"`

type tokenRequest struct {
	GrantType    string   `json:"grant_type"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Scope        string   `json:"scope"`
	RefreshToken string   `json:"refresh_token"`
	Scopes       []string `json:"-"` // from Scope; a JSON "scopes" is an unknown field
}

// tokenError is a failure of the token endpoint with its OAuth error code.
type tokenError struct {
	code string
	err  error
}

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

func oauthErr(code string, err error) error { return &tokenError{code: code, err: err} }

// tokenProblem is the problem document with the OAuth members.
type tokenProblem struct {
	*httpkit.Problem
	OAuthError       string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// tokenRoute is POST /v1/auth/token: client credentials and refresh tokens.
func (rt Routes) tokenRoute() http.Handler {
	s := rt.Service
	server := kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r tokenRequest) (auth.Tokens, error) {
			if r.GrantType == "refresh_token" {
				t, err := s.Refresh(ctx, r.RefreshToken)
				return t, refreshFailure(err)
			}
			t, err := s.ClientCredentials(ctx, r.ClientID, r.ClientSecret, r.Scopes)
			return t, clientFailure(err)
		}),
		decodeTokenRequest,
		func(ctx context.Context, w http.ResponseWriter, response any) error {
			r := response.(httpkit.Result[auth.Tokens])
			if r.Err != nil {
				writeTokenError(ctx, w, r.Err)
				return nil
			}
			return httpkit.WriteJSON(w, http.StatusOK, tokensToJSON(r.Value))
		},
		httpkit.ServerOptions(kithttp.ServerErrorEncoder(func(ctx context.Context, err error, w http.ResponseWriter) {
			writeTokenError(ctx, w, err)
		}))...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer, tokens or refusal, is not to be stored (§5.1).
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		if rt.SignInLimiter != nil {
			if wait, ok := rt.SignInLimiter.Allow(r); !ok {
				writeTokenError(r.Context(), w, &core.RetryAfterError{Kind: core.ErrRateLimited, Wait: wait, Cause: "too many requests from your address"})
				return
			}
		}
		server.ServeHTTP(w, r)
	})
}

// clientFailure gives a failure of the client credentials grant its code.
func clientFailure(err error) error {
	var ve *core.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, core.ErrUnauthenticated):
		return oauthErr(oauthInvalidClient, err)
	case errors.As(err, &ve) && len(ve.Fields) > 0 && ve.Fields[0].Field == "scope":
		return oauthErr(oauthInvalidScope, err)
	}
	return err
}

// refreshFailure gives a failure of the refresh token grant its code. A
// refresh token that is not (or no longer) good is invalid_grant, which
// §5.2 answers 400: the request is wrong, not the client's authentication.
func refreshFailure(err error) error {
	if errors.Is(err, core.ErrUnauthenticated) {
		return oauthErr(oauthInvalidGrant, core.Invalid("refresh_token", "is invalid, expired, revoked or already used; sign in again"))
	}
	return err
}

// writeTokenError answers a failed token request: the problem document
// httpkit.WriteError makes (which also records the error for the request
// log, so the error_id in the body is the logged one), with error and
// error_description added, and for a refused client a Basic challenge.
func writeTokenError(ctx context.Context, w http.ResponseWriter, err error) {
	c := &captured{header: w.Header(), status: http.StatusOK}
	httpkit.WriteError(ctx, c, err)
	var p httpkit.Problem
	if json.Unmarshal(c.body.Bytes(), &p) != nil {
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body.Bytes())
		return
	}
	if c.status == http.StatusUnauthorized {
		// The token endpoint takes no bearer token: a client that failed to
		// authenticate is asked for its credentials (§5.2).
		w.Header().Set("WWW-Authenticate", basicChallenge)
	}
	w.WriteHeader(c.status)
	_ = json.NewEncoder(w).Encode(tokenProblem{Problem: &p, OAuthError: oauthCode(err, c.status), ErrorDescription: description(&p)})
}

// captured holds what httpkit.WriteError writes, sharing the real headers.
type captured struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captured) Header() http.Header         { return c.header }
func (c *captured) WriteHeader(status int)      { c.status = status }
func (c *captured) Write(b []byte) (int, error) { return c.body.Write(b) }

func oauthCode(err error, status int) string {
	var te *tokenError
	switch {
	case errors.As(err, &te):
		return te.code
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
		return oauthTemporarilyUnavailable
	case status >= 500:
		return oauthServerError
	}
	return oauthInvalidRequest
}

// description is error_description, the problem's detail in the
// characters §5.2 allows (printable ASCII but '"' and '\'): quotes become
// apostrophes, anything else outside that set a question mark.
func description(p *httpkit.Problem) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\' || r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, cmp.Or(p.Detail, p.Title))
}

// decodeTokenRequest reads an OAuth2 token request as RFC 6749 has it (a
// form, client credentials in HTTP Basic or the form), or the same fields
// as JSON.
func decodeTokenRequest(_ context.Context, r *http.Request) (any, error) {
	req, err := readTokenRequest(r)
	if err != nil {
		return nil, err
	}
	req.Scopes = strings.Fields(req.Scope)
	switch req.GrantType {
	case "client_credentials":
		if req.ClientID == "" || req.ClientSecret == "" {
			// No client authentication is invalid_client (§5.2).
			return nil, oauthErr(oauthInvalidClient, core.Invalid("client_id", "client_id and client_secret are required (form fields or HTTP Basic)"))
		}
	case "refresh_token":
		if req.RefreshToken == "" {
			return nil, oauthErr(oauthInvalidRequest, core.Invalid("refresh_token", "is required"))
		}
	case "":
		return nil, oauthErr(oauthInvalidRequest, core.Invalid("grant_type", "is required: client_credentials or refresh_token"))
	default:
		return nil, oauthErr(oauthUnsupportedGrantType, core.Invalid("grant_type", "must be client_credentials or refresh_token"))
	}
	return req, nil
}

func readTokenRequest(r *http.Request) (tokenRequest, error) {
	var req tokenRequest
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			var maxBytes *http.MaxBytesError
			if errors.As(err, &maxBytes) {
				return req, err
			}
			return req, core.Invalid("body", "is not a valid form")
		}
		f := r.PostForm
		for name, values := range f {
			// A parameter sent twice is invalid_request (§3.2).
			if len(values) > 1 {
				return req, core.Invalid(name, "is sent more than once")
			}
		}
		req = tokenRequest{GrantType: f.Get("grant_type"), ClientID: f.Get("client_id"), ClientSecret: f.Get("client_secret"),
			Scope: f.Get("scope"), RefreshToken: f.Get("refresh_token")}
	default:
		if err := httpkit.DecodeJSONBody(r, &req); err != nil {
			return req, err
		}
	}
	if id, secret, ok := r.BasicAuth(); ok {
		// A client uses one way of authenticating, not two (§2.3).
		if req.ClientSecret != "" {
			return req, core.Invalid("client_secret", "give the client's credentials in HTTP Basic or in the body, not both")
		}
		// RFC 6749 §2.3.1: the credentials are form-encoded inside Basic.
		if u, err := url.QueryUnescape(id); err == nil {
			id = u
		}
		if u, err := url.QueryUnescape(secret); err == nil {
			secret = u
		}
		if req.ClientID != "" && req.ClientID != id {
			return req, core.Invalid("client_id", "differs from the client in HTTP Basic")
		}
		req.ClientID, req.ClientSecret = id, secret
	}
	return req, nil
}
