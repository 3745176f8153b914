package httpkit_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/tokens"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// fakeVerifier knows a few tokens by heart.
type fakeVerifier map[string]struct {
	p   core.Principal
	err error
}

func (f fakeVerifier) Verify(_ context.Context, token string) (core.Principal, error) {
	r, ok := f[token]
	if !ok {
		return core.Principal{}, fmt.Errorf("%w: invalid signature", core.ErrUnauthenticated)
	}
	return r.p, r.err
}

var staff = core.Principal{Kind: core.KindStaff, Subject: "staff-1", Role: core.RoleCaseworker, AgencyID: "agency-1", TokenID: "jti-1"}

// newAuthServer serves one route behind Authenticate that answers with the
// caller's subject, or "anonymous", and counts how often it was reached.
func newAuthServer(t *testing.T, v httpkit.TokenVerifier) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	reached := new(atomic.Int64)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/whoami", func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		p, ok := core.PrincipalFrom(r.Context())
		if !ok {
			fmt.Fprint(w, "anonymous")
			return
		}
		fmt.Fprint(w, p.Subject)
	})
	mux.HandleFunc("GET /v1/me", func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		p, err := httpkit.RequirePrincipal(r.Context())
		if err != nil {
			httpkit.WriteError(r.Context(), w, err)
			return
		}
		fmt.Fprint(w, p.Subject)
	})
	srv := httptest.NewServer(httpkit.Authenticate(v)(mux))
	t.Cleanup(srv.Close)
	return srv, reached
}

type response struct {
	status  int
	header  http.Header
	body    string
	problem httpkit.Problem
}

func get(t *testing.T, url string, authorization ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if resp.Header.Get("Content-Type") == httpkit.ProblemContentType {
		if err := json.Unmarshal(body, &r.problem); err != nil {
			t.Fatalf("problem body %q: %v", body, err)
		}
	}
	return r
}

func TestAuthenticateLetsThrough(t *testing.T) {
	srv, _ := newAuthServer(t, fakeVerifier{"good-token": {p: staff}})
	tests := []struct {
		name          string
		authorization []string
		want          string
	}{
		{"a request without Authorization as anonymous", nil, "anonymous"},
		{"a valid bearer token as its principal", []string{"Bearer good-token"}, "staff-1"},
		{"a scheme written in lower case", []string{"bearer good-token"}, "staff-1"},
		{"HTTP Basic credentials as anonymous, for the token endpoint", []string{"Basic Y2xpZW50OnNlY3JldA=="}, "anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, srv.URL+"/v1/whoami", tt.authorization...)
			if r.status != http.StatusOK || r.body != tt.want {
				t.Errorf("got %d %q, want 200 %q", r.status, r.body, tt.want)
			}
		})
	}
}

func TestAuthenticateRefuses(t *testing.T) {
	expired := fmt.Errorf("%w: access token expired", core.ErrUnauthenticated)
	srv, reached := newAuthServer(t, fakeVerifier{"good-token": {p: staff}, "expired-token": {err: expired}})
	tests := []struct {
		name          string
		authorization []string
		wantDetail    string
	}{
		{"an invalid token", []string{"Bearer forged-token"}, "invalid signature"},
		{"an expired token", []string{"Bearer expired-token"}, "expired"},
		{"Bearer without a token", []string{"Bearer"}, "malformed Authorization header"},
		{"Bearer and a space without a token", []string{"Bearer "}, "malformed Authorization header"},
		{"a token with a space in it", []string{"Bearer good-token extra"}, "malformed Authorization header"},
		{"two spaces before the token", []string{"Bearer  good-token"}, "malformed Authorization header"},
		{"two Authorization headers", []string{"Bearer good-token", "Bearer good-token"}, "malformed Authorization header"},
		{"an empty Authorization header", []string{""}, "malformed Authorization header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := reached.Load()
			r := get(t, srv.URL+"/v1/whoami", tt.authorization...)

			if r.status != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401; body %s", r.status, r.body)
			}
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if r.problem.Type != httpkit.ProblemTypePrefix+"unauthenticated" || r.problem.Status != 401 {
				t.Errorf("problem = %+v, want type unauthenticated and status 401", r.problem)
			}
			if !strings.Contains(r.problem.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to say %q", r.problem.Detail, tt.wantDetail)
			}
			if strings.Contains(r.body, "-token") {
				t.Errorf("body %q repeats the token", r.body)
			}
			if reached.Load() != before {
				t.Error("the handler was reached")
			}
		})
	}
}

func TestAuthenticateAnswersUnavailableWhenKeysCannotBeRead(t *testing.T) {
	down := fmt.Errorf("%w: signing keys are unavailable", core.ErrUnavailable)
	srv, reached := newAuthServer(t, fakeVerifier{"good-token": {err: down}})

	r := get(t, srv.URL+"/v1/whoami", "Bearer good-token")

	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Errorf("got %d with Retry-After %q, want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	// A challenge would tell the client its token is bad and to sign in again.
	if got := r.header.Get("WWW-Authenticate"); got != "" {
		t.Errorf("WWW-Authenticate = %q, want none", got)
	}
	if reached.Load() != 0 {
		t.Error("the handler was reached")
	}
}

func TestRequirePrincipal(t *testing.T) {
	srv, _ := newAuthServer(t, fakeVerifier{"good-token": {p: staff}})

	anon := get(t, srv.URL+"/v1/me")
	if anon.status != http.StatusUnauthorized || anon.problem.Type != httpkit.ProblemTypePrefix+"unauthenticated" {
		t.Errorf("anonymous: got %d %+v, want 401 unauthenticated", anon.status, anon.problem)
	}
	signedIn := get(t, srv.URL+"/v1/me", "Bearer good-token")
	if signedIn.status != http.StatusOK || signedIn.body != "staff-1" {
		t.Errorf("signed in: got %d %q, want 200 staff-1", signedIn.status, signedIn.body)
	}
}

// TestAuthenticateWithTokensVerifier runs the middleware with the real
// verifier, on tokens from the real signer.
func TestAuthenticateWithTokensVerifier(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	signer, err := tokens.NewSigner(ed25519.NewKeyFromSeed(seed), "k1", "https://auth.test")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tokens.NewKeySet(signer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	v, err := tokens.NewVerifier(tokens.VerifierConfig{Issuer: "https://auth.test", Audiences: []string{"tidbok"}, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newAuthServer(t, v)
	p := staff
	p.TokenID = ""
	valid, _, err := signer.Issue(p, "tidbok", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	expired, _, err := signer.Issue(p, "tidbok", time.Minute, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	if r := get(t, srv.URL+"/v1/me", "Bearer "+valid); r.status != http.StatusOK || r.body != "staff-1" {
		t.Errorf("valid token: got %d %q, want 200 staff-1", r.status, r.body)
	}
	r := get(t, srv.URL+"/v1/me", "Bearer "+expired)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.problem.Detail, "expired") {
		t.Errorf("expired token: got %d %+v, want 401 saying expired", r.status, r.problem)
	}
	if strings.Contains(r.body, expired) {
		t.Error("the answer repeats the token")
	}
}

// The request log and metrics name the route of a signed-in request too,
// though Authenticate hands the mux a copy of the request.
func TestSignedInRequestsAreLoggedByRoute(t *testing.T) {
	var logs logBuffer
	_, m := httpkit.NewRegistry()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	v := fakeVerifier{"good": {p: staff}}
	srv := httptest.NewServer(httpkit.Middleware(newJSONLogger(&logs), m)(httpkit.Authenticate(v)(mux)))
	defer srv.Close()
	if r := get(t, srv.URL+"/v1/things/1", "Bearer good"); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	if !strings.Contains(logs.String(), `"route":"GET /v1/things/{id}"`) {
		t.Fatalf("log line lacks the route:\n%s", logs.String())
	}
}
