package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// newTokenClient registers an integration client of agency A with scopes.
func (e *env) newTokenClient(t *testing.T, scopes ...string) (id, secret string) {
	t.Helper()
	admin := e.login(t, e.adminA).AccessToken
	r := e.call(t, http.MethodPost, "/v1/clients", admin, map[string]any{"agency_id": agencyA, "name": "Ärendesystem", "scopes": scopes})
	wantStatus(t, r, http.StatusCreated)
	m := r.object(t)
	id, _ = m["client_id"].(string)
	secret, _ = m["client_secret"].(string)
	e.secret(secret)
	return id, secret
}

// wantTokenError checks a refusal of the token endpoint: the problem
// document with the RFC 6749 section 5.2 members, and no caching.
func wantTokenError(t *testing.T, r response, status int, code string, field string) map[string]any {
	t.Helper()
	var p map[string]any
	if field != "" {
		p = wantProblem(t, r, status, field)
	} else {
		p = wantProblem(t, r, status)
	}
	if p["error"] != code {
		t.Fatalf("error = %v, want %q: %s", p["error"], code, r.Body)
	}
	d, _ := p["error_description"].(string)
	if d == "" || strings.ContainsFunc(d, func(r rune) bool { return r < 0x20 || r > 0x7e || r == '"' || r == '\\' }) {
		t.Fatalf("error_description %q is empty or not the characters RFC 6749 allows", d)
	}
	if p["type"] == nil || p["status"] != float64(status) {
		t.Fatalf("not a problem document: %s", r.Body)
	}
	wantNoStore(t, r)
	return p
}

func wantNoStore(t *testing.T, r response) {
	t.Helper()
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("Cache-Control %q, Pragma %q; want no-store and no-cache", r.Header.Get("Cache-Control"), r.Header.Get("Pragma"))
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		id, secret := e.newTokenClient(t, core.ScopeCasesRead)
		revoked, revokedSecret := e.newTokenClient(t, core.ScopeCasesRead)
		wantStatus(t, e.call(t, http.MethodPost, "/v1/clients/"+revoked+"/revoke", e.login(t, e.adminA).AccessToken, nil), http.StatusNoContent)
		citizen := e.signInCitizen(t, "email", "token-errors@example.se")
		cc := func(extra ...string) url.Values {
			v := url.Values{"grant_type": {"client_credentials"}}
			for i := 0; i+1 < len(extra); i += 2 {
				v.Add(extra[i], extra[i+1])
			}
			return v
		}
		raw := func(contentType, body string) response {
			req := e.newRequest(t, http.MethodPost, "/v1/auth/token", strings.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			return e.do(t, req)
		}

		tests := []struct {
			name   string
			send   func() response
			status int
			code   string
			field  string
			basic  bool // a WWW-Authenticate Basic challenge is due
		}{
			{"no grant_type", func() response { return e.form(t, "/v1/auth/token", url.Values{"scope": {"cases:read"}}, id, secret) },
				400, "invalid_request", "grant_type", false},
			{"a refresh without its token", func() response {
				return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}}, "", "")
			}, 400, "invalid_request", "refresh_token", false},
			{"a parameter sent twice", func() response {
				return e.form(t, "/v1/auth/token", cc("scope", "cases:read", "scope", "cases:write"), id, secret)
			}, 400, "invalid_request", "scope", false},
			{"credentials both in HTTP Basic and the body", func() response {
				return e.form(t, "/v1/auth/token", cc("client_secret", secret), id, secret)
			}, 400, "invalid_request", "client_secret", false},
			{"another client in the body than in HTTP Basic", func() response {
				return e.form(t, "/v1/auth/token", cc("client_id", revoked), id, secret)
			}, 400, "invalid_request", "client_id", false},
			{"a malformed form", func() response { return raw("application/x-www-form-urlencoded", "grant_type=%zz") },
				400, "invalid_request", "body", false},
			{"malformed JSON", func() response { return raw("application/json", `{"grant_type":`) },
				400, "invalid_request", "body", false},
			{"an unknown JSON field", func() response {
				return e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "audience": "x"})
			}, 400, "invalid_request", "audience", false},
			{"a body in another format", func() response { return raw("text/plain", "grant_type=client_credentials") },
				415, "invalid_request", "", false},
			{"a body too large", func() response {
				return raw("application/x-www-form-urlencoded", "grant_type=client_credentials&scope="+strings.Repeat("a", httpkit.MaxBodyBytes))
			}, 413, "invalid_request", "", false},
			{"the password grant", func() response {
				return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}, id, secret)
			}, 400, "unsupported_grant_type", "grant_type", false},
			{"the authorization code grant", func() response {
				return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, id, secret)
			}, 400, "unsupported_grant_type", "grant_type", false},
			{"no client credentials at all", func() response { return e.form(t, "/v1/auth/token", cc(), "", "") },
				400, "invalid_client", "client_id", false},
			{"a client id without its secret", func() response { return e.form(t, "/v1/auth/token", cc("client_id", id), "", "") },
				400, "invalid_client", "client_id", false},
			{"a wrong secret in HTTP Basic", func() response { return e.form(t, "/v1/auth/token", cc(), id, "tbs_wrong") },
				401, "invalid_client", "", true},
			{"a wrong secret in the body", func() response {
				return e.form(t, "/v1/auth/token", cc("client_id", id, "client_secret", "tbs_wrong"), "", "")
			}, 401, "invalid_client", "", true},
			{"an unknown client", func() response { return e.form(t, "/v1/auth/token", cc(), "tbk_unknown", "tbs_x") },
				401, "invalid_client", "", true},
			{"a revoked client", func() response { return e.form(t, "/v1/auth/token", cc(), revoked, revokedSecret) },
				401, "invalid_client", "", true},
			{"a scope not granted", func() response { return e.form(t, "/v1/auth/token", cc("scope", "cases:write"), id, secret) },
				400, "invalid_scope", "scope", false},
			{"a scope that does not exist", func() response { return e.form(t, "/v1/auth/token", cc("scope", "everything"), id, secret) },
				400, "invalid_scope", "scope", false},
			{"an unknown refresh token", func() response {
				return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt_unknown"}}, "", "")
			}, 400, "invalid_grant", "refresh_token", false},
			{"an access token as the refresh token", func() response {
				return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {citizen.AccessToken}}, "", "")
			}, 400, "invalid_grant", "refresh_token", false},
		}
		for _, tc := range tests {
			t.Run(tc.name+" is "+tc.code, func(t *testing.T) {
				r := tc.send()
				wantTokenError(t, r, tc.status, tc.code, tc.field)
				challenge := r.Header.Get("WWW-Authenticate")
				if tc.basic && challenge != `Basic realm="tidbok"` || !tc.basic && challenge != "" {
					t.Fatalf("WWW-Authenticate = %q, want a Basic challenge: %v", challenge, tc.basic)
				}
			})
		}

		t.Run("a used refresh token is invalid_grant", func(t *testing.T) {
			refresh := func(rt string) response {
				return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "", "")
			}
			next := e.tokens(t, refresh(citizen.RefreshToken))
			wantTokenError(t, refresh(citizen.RefreshToken), 400, "invalid_grant", "refresh_token")
			// Reuse revoked the family: the newest token too.
			wantTokenError(t, refresh(next.RefreshToken), 400, "invalid_grant", "refresh_token")
		})

		t.Run("a client locked after failed attempts is temporarily_unavailable", func(t *testing.T) {
			locked, lockedSecret := e.newTokenClient(t, core.ScopeCasesRead)
			for range e.cfg.AccountFreeFailures {
				wantTokenError(t, e.form(t, "/v1/auth/token", cc(), locked, "tbs_wrong"), 401, "invalid_client", "")
			}
			r := e.form(t, "/v1/auth/token", cc(), locked, lockedSecret)
			wantTokenError(t, r, http.StatusTooManyRequests, "temporarily_unavailable", "")
			if r.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			e.clock.Advance(e.cfg.MaxLock)
		})

		t.Run("tokens are not to be stored either", func(t *testing.T) {
			for _, r := range []response{
				e.form(t, "/v1/auth/token", cc(), id, secret),
				e.form(t, "/v1/auth/token", cc("client_id", id, "client_secret", secret), "", ""),
				e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
				e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {e.login(t, e.workerA).RefreshToken}}, "", ""),
			} {
				wantStatus(t, r, http.StatusOK)
				wantNoStore(t, r)
				if m := r.object(t); m["access_token"] == nil || m["error"] != nil {
					t.Fatalf("answer %s", r.Body)
				}
			}
		})

		t.Run("Swedish problem titles keep error_description in ASCII", func(t *testing.T) {
			req := e.newRequest(t, http.MethodPost, "/v1/auth/token", strings.NewReader(cc().Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept-Language", "sv")
			req.SetBasicAuth(id, "tbs_wrong")
			p := wantTokenError(t, e.do(t, req), 401, "invalid_client", "")
			if p["title"] != "Inloggning krävs" {
				t.Fatalf("title %v", p["title"])
			}
		})
	})
}

// The per-address limit of the sign-in routes answers the token endpoint's
// way too.
func TestTokenRateLimit(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, withLimiter(httpkit.NewRateLimiter(1, 1)))
		wantTokenError(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"password"}}, "", ""), 400, "unsupported_grant_type", "grant_type")
		r := e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, "tbk_x", "tbs_x")
		wantTokenError(t, r, http.StatusTooManyRequests, "temporarily_unavailable", "")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	})
}

// An OAuth 2.0 client library reads the RFC 6749 error code.
func TestTokenErrorsThroughOAuth2Library(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		id, secret := e.newTokenClient(t, core.ScopeCasesRead)
		ctx := context.WithValue(t.Context(), oauth2.HTTPClient, e.srv.Client())
		tokenURL := e.srv.URL + "/v1/auth/token"
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			cfg := func(secret string, scopes ...string) *clientcredentials.Config {
				return &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: tokenURL, Scopes: scopes, AuthStyle: style}
			}
			tok, err := cfg(secret, core.ScopeCasesRead).Token(ctx)
			if err != nil || tok.AccessToken == "" || tok.Expiry.Before(time.Now()) {
				t.Fatalf("style %d: token %+v, %v", style, tok, err)
			}
			for _, tc := range []struct {
				name   string
				cfg    *clientcredentials.Config
				status int
				code   string
			}{
				{"a wrong secret", cfg("tbs_wrong"), 401, "invalid_client"},
				{"a scope not granted", cfg(secret, core.ScopeCasesWrite), 400, "invalid_scope"},
			} {
				_, err := tc.cfg.Token(ctx)
				var re *oauth2.RetrieveError
				if !errors.As(err, &re) {
					t.Fatalf("style %d, %s: %v is no RetrieveError", style, tc.name, err)
				}
				if re.ErrorCode != tc.code || re.ErrorDescription == "" || re.Response.StatusCode != tc.status {
					t.Fatalf("style %d, %s: code %q, description %q, status %d; want %q and %d",
						style, tc.name, re.ErrorCode, re.ErrorDescription, re.Response.StatusCode, tc.code, tc.status)
				}
			}
		}
	})
}
