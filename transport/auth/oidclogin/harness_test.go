package oidclogin_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/transport/auth/oidclogin"
)

// The tests run a real OpenID provider (oauth2-proxy/mockoidc) and a real
// relying-party application on loopback, and drive both with an http.Client
// that keeps cookies and follows redirects one at a time, like a browser
// whose every step the test can watch, stop or tamper with.

const callbackPath = "/auth/oidc/test/callback"

var sealKey = bytes.Repeat([]byte{0x5e}, 32)

// newIdP starts a provider on loopback; mws wrap its handlers, for the few
// behaviours mockoidc has no switch for.
func newIdP(t *testing.T, mws ...func(http.Handler) http.Handler) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatalf("new provider: %v", err)
	}
	for _, mw := range mws {
		if err := m.AddMiddleware(mw); err != nil {
			t.Fatalf("provider middleware: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatalf("start provider: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// user is a person at the provider. Its claims go into the ID token as
// they are; edit, when set, changes the provider's own claims (iss, aud,
// nonce, exp) before signing, as a broken or malicious provider would.
type user struct {
	sub    string
	claims map[string]any
	edit   func(*mockoidc.IDTokenClaims)
}

func (u *user) ID() string { return u.sub }

func (u *user) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.sub})
}

func (u *user) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.edit != nil {
		u.edit(base)
	}
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	var m jwt.MapClaims
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range u.claims {
		m[k] = v
	}
	return m, nil
}

// citizen is someone who signs in through an eID broker.
func citizen() *user {
	return &user{sub: "a1b2c3", claims: map[string]any{
		"email":                   "karin@example.se",
		"email_verified":          true,
		"name":                    "Karin Lindqvist",
		"given_name":              "Karin",
		"family_name":             "Lindqvist",
		oidclogin.DefaultPINClaim: "198112189876",
	}}
}

// citizenIdentity is what the relying party should make of citizen(), but
// for the issuer.
func citizenIdentity() oidclogin.Identity {
	return oidclogin.Identity{
		Subject: "a1b2c3", Email: "karin@example.se", EmailVerified: true,
		Name: "Karin Lindqvist", GivenName: "Karin", FamilyName: "Lindqvist",
		PersonalIdentityNumber: "198112189876",
	}
}

// testClock is the relying party's clock, which a test can move forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// app is a relying-party application: /login calls Begin, the callback
// calls Finish and hands its answer to the test through results.
type app struct {
	t       *testing.T
	idp     *mockoidc.MockOIDC
	rp      *oidclogin.RelyingParty
	cfg     oidclogin.ProviderConfig
	srv     *httptest.Server
	clock   *testClock
	results chan result
}

type result struct {
	id       oidclogin.Identity
	returnTo string
	err      error
}

// newApp starts an application signing in through idp; edit adjusts the
// provider configuration before the relying party is built.
func newApp(t *testing.T, idp *mockoidc.MockOIDC, edit func(*oidclogin.ProviderConfig)) *app {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := baseConfig(idp, srv.URL+callbackPath)
	if edit != nil {
		edit(&cfg)
	}
	a := &app{t: t, idp: idp, cfg: cfg, srv: srv, clock: &testClock{}, results: make(chan result, 1)}
	rp, err := oidclogin.NewRelyingParty(t.Context(), cfg, sealKey, oidclogin.WithClock(a.clock.Now))
	if err != nil {
		t.Fatalf("NewRelyingParty: %v", err)
	}
	a.rp = rp
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		if err := rp.Begin(w, r, r.URL.Query().Get("return_to")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("GET "+callbackPath, func(w http.ResponseWriter, r *http.Request) {
		id, returnTo, err := rp.Finish(w, r)
		a.results <- result{id, returnTo, err}
		if err != nil {
			http.Error(w, "sign-in refused", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
	})
	return a
}

func baseConfig(idp *mockoidc.MockOIDC, redirectURL string) oidclogin.ProviderConfig {
	return oidclogin.ProviderConfig{
		Name:         "test",
		Issuer:       idp.Issuer(),
		ClientID:     idp.ClientID,
		ClientSecret: idp.ClientSecret,
		RedirectURL:  redirectURL,
		Scopes:       []string{"email", "profile"},
		Purpose:      oidclogin.PurposeCitizen,
	}
}

// newBrowser returns a client that keeps cookies and leaves each redirect
// to the test.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookie jar: %v", err)
	}
	return &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// redirect GETs u and returns where the 302 it must answer points.
func redirect(t *testing.T, c *http.Client, u string) *url.URL {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s: status %d, want 302: %s", u, resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return loc
}

// begin starts a sign-in in browser and returns the authorization request
// it is sent to.
func (a *app) begin(browser *http.Client, returnTo string) *url.URL {
	a.t.Helper()
	auth := redirect(a.t, browser, a.srv.URL+"/login?return_to="+url.QueryEscape(returnTo))
	if !strings.HasPrefix(auth.String(), a.idp.AuthorizationEndpoint()) {
		a.t.Fatalf("login redirected to %s, want the provider's authorization endpoint", auth)
	}
	return auth
}

// authorize takes browser through the provider and returns the callback it
// is sent back to, with code and state.
func (a *app) authorize(browser *http.Client, auth *url.URL) *url.URL {
	a.t.Helper()
	cb := redirect(a.t, browser, auth.String())
	if cb.Path != callbackPath {
		a.t.Fatalf("provider redirected to %s, want the callback", cb)
	}
	return cb
}

// finish visits the callback and returns Finish's answer.
func (a *app) finish(browser *http.Client, cb *url.URL) result {
	a.t.Helper()
	resp, err := browser.Get(cb.String())
	if err != nil {
		a.t.Fatalf("GET callback: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	select {
	case r := <-a.results:
		return r
	default:
		a.t.Fatalf("callback answered %d without running Finish", resp.StatusCode)
		return result{}
	}
}

// signIn runs a whole flow in browser.
func (a *app) signIn(browser *http.Client, returnTo string) result {
	a.t.Helper()
	return a.finish(browser, a.authorize(browser, a.begin(browser, returnTo)))
}

// callbackURL is the application's callback, for cookie look-ups.
func (a *app) callbackURL() *url.URL {
	u, _ := url.Parse(a.srv.URL + callbackPath)
	return u
}

// flowCookie returns the flow cookie browser holds for the callback.
func (a *app) flowCookie(browser *http.Client) *http.Cookie {
	a.t.Helper()
	cs := browser.Jar.Cookies(a.callbackURL())
	if len(cs) != 1 {
		a.t.Fatalf("browser holds %d cookies for the callback, want the flow cookie", len(cs))
	}
	return cs[0]
}

// setFlowCookie replaces the flow cookie browser holds.
func (a *app) setFlowCookie(browser *http.Client, name, value string) {
	browser.Jar.SetCookies(a.callbackURL(), []*http.Cookie{{Name: name, Value: value, Path: callbackPath}})
}

// wantRefused asserts that Finish refused for reason, and gave away nothing.
func wantRefused(t *testing.T, r result, reason oidclogin.Reason) *oidclogin.RefusedError {
	t.Helper()
	if r.err == nil {
		t.Fatalf("sign-in accepted as %+v, want refusal %q", r.id, reason)
	}
	if !errors.Is(r.err, core.ErrUnauthenticated) {
		t.Fatalf("error %v is not core.ErrUnauthenticated", r.err)
	}
	re, ok := errors.AsType[*oidclogin.RefusedError](r.err)
	if !ok {
		t.Fatalf("error %v is not a *RefusedError", r.err)
	}
	if re.Reason != reason {
		t.Fatalf("refused for %q (%v), want %q", re.Reason, r.err, reason)
	}
	if r.id != (oidclogin.Identity{}) || r.returnTo != "" {
		t.Fatalf("refusal came with identity %+v and returnTo %q", r.id, r.returnTo)
	}
	return re
}

// wantSignedIn asserts that Finish accepted.
func wantSignedIn(t *testing.T, r result) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("sign-in refused: %v", r.err)
	}
}

// onPath runs h for requests to path at the provider, instead of or around
// the provider's own handler (next).
func onPath(path string, h func(w http.ResponseWriter, r *http.Request, next http.Handler)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == path {
				h(w, r, next)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// refuseAuthorization makes the provider send every user back with the
// OAuth error code, as a real provider does when the user cancels.
func refuseAuthorization(code string) func(http.Handler) http.Handler {
	return onPath(mockoidc.AuthorizationEndpoint, func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		back, err := url.Parse(r.FormValue("redirect_uri"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		q := back.Query()
		q.Set("error", code)
		q.Set("error_description", "The user cancelled")
		q.Set("state", r.FormValue("state"))
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
}

// resignIDToken makes the token endpoint return the provider's ID token
// with its claims unchanged but signed with method and key() instead.
func resignIDToken(t *testing.T, method jwt.SigningMethod, key func() any) func(http.Handler) http.Handler {
	return onPath(mockoidc.TokenEndpoint, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		signed, body, err := resign(rec.Body.Bytes(), method, key())
		if err != nil {
			t.Errorf("re-sign id token: %v", err)
			http.Error(w, "re-sign failed", http.StatusInternalServerError)
			return
		}
		body["id_token"] = signed
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
}

func resign(tokenResponse []byte, method jwt.SigningMethod, key any) (string, map[string]any, error) {
	var body map[string]any
	if err := json.Unmarshal(tokenResponse, &body); err != nil {
		return "", nil, err
	}
	raw, _ := body["id_token"].(string)
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", nil, errors.New("id token is not a JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", nil, err
	}
	var claims jwt.MapClaims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", nil, err
	}
	signed, err := jwt.NewWithClaims(method, claims).SignedString(key)
	return signed, body, err
}

// announceISS makes the provider promise the RFC 9207 "iss" parameter in
// its discovery document; with send it also keeps the promise.
func announceISS(t *testing.T, send bool) []func(http.Handler) http.Handler {
	discovery := onPath(mockoidc.DiscoveryEndpoint, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Errorf("discovery document: %v", err)
		}
		doc["authorization_response_iss_parameter_supported"] = true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	})
	if !send {
		return []func(http.Handler) http.Handler{discovery}
	}
	authorize := onPath(mockoidc.AuthorizationEndpoint, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		back, err := url.Parse(rec.Header().Get("Location"))
		if err != nil || rec.Code != http.StatusFound {
			t.Errorf("authorization response %d %q: %v", rec.Code, rec.Header().Get("Location"), err)
			return
		}
		q := back.Query()
		q.Set("iss", "http://"+r.Host+mockoidc.IssuerBase)
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	return []func(http.Handler) http.Handler{discovery, authorize}
}
