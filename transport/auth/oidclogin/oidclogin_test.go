package oidclogin_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/transport/auth/oidclogin"
)

func TestSignInReturnsTheVerifiedIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mws      []func(http.Handler) http.Handler
		edit     func(*oidclogin.ProviderConfig)
		user     *user
		returnTo string
		want     oidclogin.Identity
		wantTo   string
	}{
		{
			name:     "citizen through an eID broker, with the personal identity number",
			user:     citizen(),
			returnTo: "/mina-arenden?flik=bokade#senaste",
			want:     citizenIdentity(),
			wantTo:   "/mina-arenden?flik=bokade#senaste",
		},
		{
			name: "staff provider that names the number claim differently",
			edit: func(c *oidclogin.ProviderConfig) {
				c.Purpose = oidclogin.PurposeStaff
				c.PINClaim = "urn:example:pnr"
			},
			user: &user{sub: "staff-7", claims: map[string]any{
				"email": "handlaggare@exempelby.se", "email_verified": "true",
				"urn:example:pnr": "197001011234",
				// The default claim is ignored when another is configured.
				oidclogin.DefaultPINClaim: "190001019999",
			}},
			returnTo: "",
			want: oidclogin.Identity{
				Subject: "staff-7", Email: "handlaggare@exempelby.se", EmailVerified: true,
				PersonalIdentityNumber: "197001011234",
			},
			wantTo: "/",
		},
		{
			name:   "provider that promises and sends the RFC 9207 iss parameter",
			mws:    announceISS(t, true),
			user:   citizen(),
			want:   citizenIdentity(),
			wantTo: "/",
		},
		{
			name:   "provider that sends no number",
			user:   &user{sub: "no-pin", claims: map[string]any{"email": "x@example.se"}},
			want:   oidclogin.Identity{Subject: "no-pin", Email: "x@example.se"},
			wantTo: "/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, newIdP(t, tt.mws...), tt.edit)
			browser := newBrowser(t)
			a.idp.QueueUser(tt.user)

			got := a.signIn(browser, tt.returnTo)

			wantSignedIn(t, got)
			want := tt.want
			want.Issuer = a.idp.Issuer()
			if got.id != want {
				t.Errorf("identity\n got %+v\nwant %+v", got.id, want)
			}
			if got.returnTo != tt.wantTo {
				t.Errorf("returnTo = %q, want %q", got.returnTo, tt.wantTo)
			}
			if cs := browser.Jar.Cookies(a.callbackURL()); len(cs) != 0 {
				t.Errorf("flow cookie still held after sign-in: %v", cs)
			}
		})
	}
}

func TestBeginSendsPKCEStateAndNonceAndSealsThem(t *testing.T) {
	t.Parallel()
	a := newApp(t, newIdP(t), nil)
	// No jar: this test reads Set-Cookie itself.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	type started struct {
		query  url.Values
		cookie *http.Cookie
	}
	start := func() started {
		t.Helper()
		resp, err := c.Get(a.srv.URL + "/login?return_to=/start")
		if err != nil {
			t.Fatalf("GET /login: %v", err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("GET /login: status %d, want 302", resp.StatusCode)
		}
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("location: %v", err)
		}
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("Begin set %d cookies, want 1", len(cookies))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		return started{loc.Query(), cookies[0]}
	}
	first, second := start(), start()

	q := first.query
	for param, want := range map[string]string{
		"response_type":         "code",
		"client_id":             a.idp.ClientID,
		"redirect_uri":          a.srv.URL + callbackPath,
		"code_challenge_method": "S256",
	} {
		if got := q.Get(param); got != want {
			t.Errorf("authorization request %s = %q, want %q", param, got, want)
		}
	}
	if scopes := strings.Fields(q.Get("scope")); !slices.Contains(scopes, "openid") {
		t.Errorf("scope %q lacks openid", q.Get("scope"))
	}
	if n := len(q.Get("code_challenge")); n != 43 {
		t.Errorf("code_challenge has %d characters, want 43 (base64url SHA-256)", n)
	}
	if q.Has("code_verifier") {
		t.Error("the PKCE verifier was sent to the browser")
	}
	for _, p := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(p)) < 20 {
			t.Errorf("%s %q is too short to be unguessable", p, q.Get(p))
		}
		if q.Get(p) == second.query.Get(p) {
			t.Errorf("two flows share %s %q", p, q.Get(p))
		}
	}

	ck := first.cookie
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != callbackPath || ck.Secure {
		t.Errorf("flow cookie HttpOnly=%v SameSite=%v Path=%q Secure=%v, want true, Lax, %q, false (http redirect URL)",
			ck.HttpOnly, ck.SameSite, ck.Path, ck.Secure, callbackPath)
	}
	if ck.MaxAge <= 0 || ck.MaxAge > 600 {
		t.Errorf("flow cookie Max-Age = %d, want at most 10 minutes", ck.MaxAge)
	}
	for _, secret := range []string{q.Get("state"), q.Get("nonce"), "/start"} {
		if strings.Contains(ck.Value, secret) {
			t.Errorf("flow cookie shows %q in clear", secret)
		}
	}
}

func TestBeginSetsASecureCookieForAnHTTPSCallback(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	rp, err := oidclogin.NewRelyingParty(t.Context(), baseConfig(idp, "https://tidbok.example/auth/oidc/test/callback"), sealKey)
	if err != nil {
		t.Fatalf("NewRelyingParty: %v", err)
	}
	rec := httptest.NewRecorder()

	if err := rp.Begin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), "/"); err != nil {
		t.Fatalf("Begin: %v", err)
	}

	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly || cookies[0].Path != "/auth/oidc/test/callback" {
		t.Errorf("cookies %+v, want one Secure HttpOnly cookie scoped to the callback path", cookies)
	}
}

func TestBeginRefusesReturnToOffSite(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	rp, err := oidclogin.NewRelyingParty(t.Context(), baseConfig(idp, "http://127.0.0.1:1"+callbackPath), sealKey)
	if err != nil {
		t.Fatalf("NewRelyingParty: %v", err)
	}
	for _, returnTo := range []string{
		"https://evil.example/",
		"//evil.example/path",
		"/\\evil.example",
		"\\\\evil.example",
		"/\t/evil.example",
		"javascript:alert(1)",
		"http:/evil.example",
		"evil.example/path",
		"/" + strings.Repeat("a", 2000),
	} {
		t.Run(returnTo[:min(len(returnTo), 30)], func(t *testing.T) {
			rec := httptest.NewRecorder()

			err := rp.Begin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), returnTo)

			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("Begin(%q) = %v, want core.ErrInvalid", returnTo, err)
			}
			if rec.Header().Get("Location") != "" || rec.Header().Get("Set-Cookie") != "" {
				t.Errorf("refused Begin still wrote headers %v", rec.Header())
			}
		})
	}
}

// In the injection tests the victim's state has leaked (a Referer, a
// log, a proxy): state alone no longer protects, and these show what does.
func TestFinishRefusesAnInjectedCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// attackerCode obtains a code at the provider for the attacker.
		attackerCode func(t *testing.T, a *app) string
		want         oidclogin.Reason
		wantDetail   string
	}{
		{
			// Protected by PKCE: the code is bound to the attacker's
			// challenge, and the victim's verifier does not match it.
			name: "code from the attacker's own flow through this site",
			attackerCode: func(t *testing.T, a *app) string {
				return a.authorize(newBrowser(t), a.begin(newBrowser(t), "/")).Query().Get("code")
			},
			want:       oidclogin.ReasonExchange,
			wantDetail: "invalid_grant",
		},
		{
			// The attacker asks for a code without PKCE, which this provider
			// (like many) allows; the nonce check is what refuses it.
			name: "code obtained without PKCE, for another nonce",
			attackerCode: func(t *testing.T, a *app) string {
				return authorizeDirectly(t, a, "attacker-nonce")
			},
			want: oidclogin.ReasonNonce,
		},
		{
			name: "code obtained without PKCE or nonce",
			attackerCode: func(t *testing.T, a *app) string {
				return authorizeDirectly(t, a, "")
			},
			want: oidclogin.ReasonNonce,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, newIdP(t), nil)
			victim := newBrowser(t)
			leakedState := a.begin(victim, "/").Query().Get("state")
			code := tt.attackerCode(t, a)
			cb := a.callbackURL()
			cb.RawQuery = url.Values{"code": {code}, "state": {leakedState}}.Encode()

			re := wantRefused(t, a.finish(victim, cb), tt.want)

			if re.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", re.Detail, tt.wantDetail)
			}
		})
	}
}

// authorizeDirectly asks the provider for a code the way an attacker's own
// client would, with no PKCE challenge, and returns the code.
func authorizeDirectly(t *testing.T, a *app, nonce string) string {
	t.Helper()
	q := url.Values{
		"client_id":     {a.idp.ClientID},
		"redirect_uri":  {a.cfg.RedirectURL},
		"response_type": {"code"},
		"scope":         {"openid email"},
		"state":         {"attacker-state"},
	}
	if nonce != "" {
		q.Set("nonce", nonce)
	}
	return redirect(t, newBrowser(t), a.idp.AuthorizationEndpoint()+"?"+q.Encode()).Query().Get("code")
}

func TestFinishRefusesATamperedCallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper func(t *testing.T, a *app, q url.Values)
		want   oidclogin.Reason
	}{
		{
			name:   "state changed",
			tamper: func(_ *testing.T, _ *app, q url.Values) { q.Set("state", flip(q.Get("state"))) },
			want:   oidclogin.ReasonStateMismatch,
		},
		{
			name:   "state removed",
			tamper: func(_ *testing.T, _ *app, q url.Values) { q.Del("state") },
			want:   oidclogin.ReasonStateMismatch,
		},
		{
			// Login CSRF: the attacker's own callback, which would sign the
			// victim in as the attacker.
			name: "code and state of another browser's flow",
			tamper: func(t *testing.T, a *app, q url.Values) {
				other := a.authorize(newBrowser(t), a.begin(newBrowser(t), "/")).Query()
				q.Set("code", other.Get("code"))
				q.Set("state", other.Get("state"))
			},
			want: oidclogin.ReasonStateMismatch,
		},
		{
			name:   "provider error forged without the state",
			tamper: func(_ *testing.T, _ *app, q url.Values) { q.Set("error", "access_denied"); q.Del("state") },
			want:   oidclogin.ReasonStateMismatch,
		},
		{
			name:   "code removed",
			tamper: func(_ *testing.T, _ *app, q url.Values) { q.Del("code") },
			want:   oidclogin.ReasonNoCode,
		},
		{
			// RFC 9207: the response names another issuer (a mix-up attack).
			name:   "iss parameter names another issuer",
			tamper: func(_ *testing.T, a *app, q url.Values) { q.Set("iss", a.idp.Issuer()+"/") },
			want:   oidclogin.ReasonIssuerMismatch,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, newIdP(t), nil)
			browser := newBrowser(t)
			cb := a.authorize(browser, a.begin(browser, "/"))
			q := cb.Query()
			tt.tamper(t, a, q)
			cb.RawQuery = q.Encode()

			wantRefused(t, a.finish(browser, cb), tt.want)
		})
	}
}

func TestFinishRefusesABadFlowCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// tamper changes what the browser holds before the callback and
		// returns the client to send it with.
		tamper func(t *testing.T, a *app, browser *http.Client) *http.Client
		want   oidclogin.Reason
	}{
		{
			name:   "no cookie: callback opened in another browser",
			tamper: func(t *testing.T, _ *app, _ *http.Client) *http.Client { return newBrowser(t) },
			want:   oidclogin.ReasonNoFlow,
		},
		{
			name: "one character changed",
			tamper: func(_ *testing.T, a *app, b *http.Client) *http.Client {
				ck := a.flowCookie(b)
				a.setFlowCookie(b, ck.Name, flip(ck.Value))
				return b
			},
			want: oidclogin.ReasonBadFlowCookie,
		},
		{
			name: "sealed with another key",
			tamper: func(t *testing.T, a *app, b *http.Client) *http.Client {
				ck := beginElsewhere(t, a, a.cfg, bytes.Repeat([]byte{0x11}, 32))
				a.setFlowCookie(b, ck.Name, ck.Value)
				return b
			},
			want: oidclogin.ReasonBadFlowCookie,
		},
		{
			// The cookie's name is sealed with it: a flow begun at one
			// provider cannot be finished at another.
			name: "begun for another provider, renamed",
			tamper: func(t *testing.T, a *app, b *http.Client) *http.Client {
				cfg := a.cfg
				cfg.Name = "other"
				ck := beginElsewhere(t, a, cfg, sealKey)
				a.setFlowCookie(b, a.flowCookie(b).Name, ck.Value)
				return b
			},
			want: oidclogin.ReasonBadFlowCookie,
		},
		{
			// The browser still sends the cookie (its jar keeps real time):
			// the expiry sealed inside is what refuses.
			name: "older than ten minutes",
			tamper: func(_ *testing.T, a *app, b *http.Client) *http.Client {
				a.clock.Advance(10*time.Minute + time.Second)
				return b
			},
			want: oidclogin.ReasonFlowExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, newIdP(t), nil)
			browser := newBrowser(t)
			cb := a.authorize(browser, a.begin(browser, "/"))
			sender := tt.tamper(t, a, browser)

			wantRefused(t, a.finish(sender, cb), tt.want)
		})
	}
}

// beginElsewhere runs Begin on another relying party for the same provider
// and returns the flow cookie it sets.
func beginElsewhere(t *testing.T, a *app, cfg oidclogin.ProviderConfig, key []byte) *http.Cookie {
	t.Helper()
	rp, err := oidclogin.NewRelyingParty(t.Context(), cfg, key)
	if err != nil {
		t.Fatalf("NewRelyingParty: %v", err)
	}
	rec := httptest.NewRecorder()
	if err := rp.Begin(rec, httptest.NewRequest(http.MethodGet, "/login", nil), "/"); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("Begin set %d cookies", len(cookies))
	}
	return cookies[0]
}

func TestFinishRefusesAReplayedCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// keepCookie replays with a copy of the flow cookie saved before
		// the first callback.
		keepCookie bool
		want       oidclogin.Reason
		wantDetail string
	}{
		{
			// Protected by the relying party: Finish cleared the flow
			// cookie, so the second callback has no flow to finish.
			name: "same browser, callback opened again",
			want: oidclogin.ReasonNoFlow,
		},
		{
			// Protected by the provider: the flow cookie passes, but a code
			// is good for one exchange only.
			name:       "with a saved copy of the flow cookie",
			keepCookie: true,
			want:       oidclogin.ReasonExchange,
			wantDetail: "invalid_grant",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, newIdP(t), nil)
			browser := newBrowser(t)
			cb := a.authorize(browser, a.begin(browser, "/"))
			saved := a.flowCookie(browser)
			wantSignedIn(t, a.finish(browser, cb))
			if tt.keepCookie {
				a.setFlowCookie(browser, saved.Name, saved.Value)
			}

			got := a.finish(browser, cb)

			re := wantRefused(t, got, tt.want)
			if re.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", re.Detail, tt.wantDetail)
			}
			// mockoidc echoes the code in its error_description.
			if code := cb.Query().Get("code"); strings.Contains(got.err.Error(), code) {
				t.Errorf("error %q contains the authorization code", got.err)
			}
		})
	}
}

// The provider signs these tokens with its real key, so only the claim
// checks stand between them and a sign-in.
func TestFinishRefusesAnIDTokenWithWrongClaims(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		edit   func(a *app, c *mockoidc.IDTokenClaims)
		claims map[string]any
		want   oidclogin.Reason
	}{
		{
			name: "issued under another issuer",
			edit: func(a *app, c *mockoidc.IDTokenClaims) { c.Issuer = a.idp.Issuer() + "/" },
			want: oidclogin.ReasonIDToken,
		},
		{
			name: "for another client",
			edit: func(_ *app, c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"another-client"} },
			want: oidclogin.ReasonIDToken,
		},
		{
			name: "for several clients without azp",
			edit: func(a *app, c *mockoidc.IDTokenClaims) {
				c.Audience = jwt.ClaimStrings{a.idp.ClientID, "another-client"}
			},
			want: oidclogin.ReasonIDToken,
		},
		{
			name: "expired",
			edit: func(_ *app, c *mockoidc.IDTokenClaims) {
				c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
				c.NotBefore = c.IssuedAt
				c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute))
			},
			want: oidclogin.ReasonIDToken,
		},
		{
			name: "nonce of another flow",
			edit: func(_ *app, c *mockoidc.IDTokenClaims) { c.Nonce = "nonce-of-another-flow" },
			want: oidclogin.ReasonNonce,
		},
		{
			name: "no nonce",
			edit: func(_ *app, c *mockoidc.IDTokenClaims) { c.Nonce = "" },
			want: oidclogin.ReasonNonce,
		},
		{
			name:   "personal identity number that is not a string",
			claims: map[string]any{oidclogin.DefaultPINClaim: 198112189876},
			want:   oidclogin.ReasonIDToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, newIdP(t), nil)
			u := citizen()
			if tt.edit != nil {
				u.edit = func(c *mockoidc.IDTokenClaims) { tt.edit(a, c) }
			}
			for k, v := range tt.claims {
				u.claims[k] = v
			}
			a.idp.QueueUser(u)

			wantRefused(t, a.signIn(newBrowser(t), "/"), tt.want)
		})
	}
}

func TestFinishRefusesAnIDTokenSignedOutsideTheAllowList(t *testing.T) {
	t.Parallel()
	stranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	tests := []struct {
		name string
		// method and key, when set, re-sign the provider's ID token.
		method     jwt.SigningMethod
		key        func(idp *mockoidc.MockOIDC) any
		allowed    []string
		wantDetail string
	}{
		{
			// mockoidc signs only RS256, so the allow-list is narrowed.
			name:       "RS256 when only ES256 is allowed",
			allowed:    []string{oidc.ES256},
			wantDetail: `unexpected signature algorithm "RS256"`,
		},
		{
			// The classic confusion: an HMAC keyed with the client secret,
			// which the client itself could have made.
			name:       "HS256 keyed with the client secret",
			method:     jwt.SigningMethodHS256,
			key:        func(idp *mockoidc.MockOIDC) any { return []byte(idp.ClientSecret) },
			wantDetail: `unexpected signature algorithm "HS256"`,
		},
		{
			name:       "alg none",
			method:     jwt.SigningMethodNone,
			key:        func(*mockoidc.MockOIDC) any { return jwt.UnsafeAllowNoneSignatureType },
			wantDetail: `unexpected signature algorithm "none"`,
		},
		{
			// ES256 is allowed; the key is not the provider's.
			name:       "ES256 by a key the provider does not publish",
			method:     jwt.SigningMethodES256,
			key:        func(*mockoidc.MockOIDC) any { return stranger },
			wantDetail: "failed to verify signature",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var idp *mockoidc.MockOIDC
			var mws []func(http.Handler) http.Handler
			if tt.method != nil {
				// The key is read per request: the client secret exists
				// only once the provider does.
				mws = append(mws, resignIDToken(t, tt.method, func() any { return tt.key(idp) }))
			}
			idp = newIdP(t, mws...)
			a := newApp(t, idp, func(c *oidclogin.ProviderConfig) { c.AllowedAlgs = tt.allowed })

			re := wantRefused(t, a.signIn(newBrowser(t), "/"), oidclogin.ReasonIDToken)

			if !strings.Contains(re.Detail, tt.wantDetail) {
				t.Errorf("detail %q does not say %q", re.Detail, tt.wantDetail)
			}
		})
	}
}

func TestFinishRefusesWhenTheProviderSendsAnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		code       string
		wantDetail string
	}{
		{name: "user cancelled at the provider", code: "access_denied", wantDetail: "access_denied"},
		{name: "error code with markup is not passed on", code: "<script>x</script>", wantDetail: "unrecognised error code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, newIdP(t, refuseAuthorization(tt.code)), nil)

			re := wantRefused(t, a.signIn(newBrowser(t), "/"), oidclogin.ReasonProviderError)

			if re.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", re.Detail, tt.wantDetail)
			}
		})
	}
}

func TestFinishRefusesAMissingISSThatWasPromised(t *testing.T) {
	t.Parallel()
	a := newApp(t, newIdP(t, announceISS(t, false)...), nil)

	wantRefused(t, a.signIn(newBrowser(t), "/"), oidclogin.ReasonIssuerMismatch)
}

func TestFinishReportsAnUnavailableTokenEndpoint(t *testing.T) {
	t.Parallel()
	down := onPath(mockoidc.TokenEndpoint, func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"temporarily_unavailable"}`))
	})
	a := newApp(t, newIdP(t, down), nil)

	got := a.signIn(newBrowser(t), "/")

	if !errors.Is(got.err, core.ErrUnavailable) || errors.Is(got.err, core.ErrUnauthenticated) {
		t.Fatalf("error %v, want core.ErrUnavailable and not a refusal", got.err)
	}
}

func TestNewRelyingPartyRefusesAnIssuerMismatch(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	tests := []struct {
		name   string
		issuer string
	}{
		{"trailing slash", idp.Issuer() + "/"},
		{"localhost for 127.0.0.1", strings.Replace(idp.Issuer(), "127.0.0.1", "localhost", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(idp, "http://127.0.0.1:1"+callbackPath)
			cfg.Issuer = tt.issuer

			rp, err := oidclogin.NewRelyingParty(t.Context(), cfg, sealKey)

			if rp != nil || !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("NewRelyingParty with issuer %q = %v, %v; want core.ErrInvalid", tt.issuer, rp, err)
			}
			if _, ok := errors.AsType[*oidc.IssuerMismatchError](err); !ok {
				t.Errorf("error %v is not an issuer mismatch", err)
			}
		})
	}
}

func TestNewRelyingPartyRefusesABadConfiguration(t *testing.T) {
	t.Parallel()
	valid := oidclogin.ProviderConfig{
		Name: "freja", Issuer: "https://idp.example", ClientID: "tidbok", ClientSecret: "s3cret",
		RedirectURL: "https://tidbok.example/auth/oidc/freja/callback", Purpose: oidclogin.PurposeCitizen,
	}
	tests := []struct {
		name  string
		edit  func(*oidclogin.ProviderConfig)
		key   []byte
		field string
	}{
		{"name missing", func(c *oidclogin.ProviderConfig) { c.Name = "" }, sealKey, "name"},
		{"name not a slug", func(c *oidclogin.ProviderConfig) { c.Name = "Freja/eID" }, sealKey, "name"},
		{"issuer over plain http", func(c *oidclogin.ProviderConfig) { c.Issuer = "http://idp.example" }, sealKey, "issuer"},
		{"issuer not absolute", func(c *oidclogin.ProviderConfig) { c.Issuer = "idp.example" }, sealKey, "issuer"},
		{"client id missing", func(c *oidclogin.ProviderConfig) { c.ClientID = "" }, sealKey, "client_id"},
		{"client secret missing", func(c *oidclogin.ProviderConfig) { c.ClientSecret = "" }, sealKey, "client_secret"},
		{"redirect URL relative", func(c *oidclogin.ProviderConfig) { c.RedirectURL = "/callback" }, sealKey, "redirect_url"},
		{"alg none allowed", func(c *oidclogin.ProviderConfig) { c.AllowedAlgs = []string{"RS256", "none"} }, sealKey, "allowed_algs"},
		{"HS256 allowed", func(c *oidclogin.ProviderConfig) { c.AllowedAlgs = []string{"HS256"} }, sealKey, "allowed_algs"},
		{"purpose unknown", func(c *oidclogin.ProviderConfig) { c.Purpose = "admin" }, sealKey, "purpose"},
		{"seal key too short", nil, sealKey[:16], "seal_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			if tt.edit != nil {
				tt.edit(&cfg)
			}

			// Refused before discovery: https://idp.example is never contacted.
			_, err := oidclogin.NewRelyingParty(t.Context(), cfg, tt.key)

			ve, ok := errors.AsType[*core.ValidationError](err)
			if !ok {
				t.Fatalf("error %v, want a validation error on %s", err, tt.field)
			}
			if !slices.ContainsFunc(ve.Fields, func(f core.FieldError) bool { return f.Field == tt.field }) {
				t.Errorf("error %v does not name field %s", err, tt.field)
			}
		})
	}
}

// flip changes the middle character of s, so it stays well-formed.
func flip(s string) string {
	if s == "" {
		return "x"
	}
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
