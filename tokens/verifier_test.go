package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tidbok/tidbok/core"
)

func TestVerifyReturnsThePrincipalIssued(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		p    core.Principal
	}{
		{"citizen", core.Principal{Kind: core.KindCitizen, Subject: "citizen-1"}},
		{"caseworker", caseworker()},
		{"agency admin", core.Principal{Kind: core.KindStaff, Subject: "s-2", Role: core.RoleAgencyAdmin, AgencyID: "agency-2"}},
		{"system admin without agency", core.Principal{Kind: core.KindStaff, Subject: "s-3", Role: core.RoleSystemAdmin}},
		{"client with scopes", core.Principal{Kind: core.KindClient, Subject: "client-1", AgencyID: "agency-1",
			Scopes: []string{core.ScopeCasesRead, core.ScopeCallbacksWrite}}},
		{"service with service scopes", core.Principal{Kind: core.KindService, Subject: "tbsvc_notify",
			Scopes: []string{core.ScopeEventsRead, core.ScopePeopleRead}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := f.issue(t, tt.p)
			got, err := f.verifier.Verify(t.Context(), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.TokenID == "" {
				t.Error("TokenID is empty, want the jti")
			}
			want := tt.p
			want.TokenID = got.TokenID
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Verify = %+v, want %+v", got, want)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		header func(map[string]any)
		claims func(map[string]any)
	}{
		{"typ spelled as a full media type", func(h map[string]any) { h["typ"] = "application/at+jwt" }, nil},
		{"typ in capitals", func(h map[string]any) { h["typ"] = "AT+JWT" }, nil},
		{"expiry passed within the leeway", nil, func(c map[string]any) { c["exp"] = testNow.Add(-29 * time.Second).Unix() }},
		{"nbf ahead within the leeway", nil, func(c map[string]any) { c["nbf"] = testNow.Add(29 * time.Second).Unix() }},
		{"iat ahead within the leeway", nil, func(c map[string]any) { c["iat"] = testNow.Add(29 * time.Second).Unix() }},
		{"no nbf", nil, func(c map[string]any) { delete(c, "nbf") }},
		{"the verifier's second audience", nil, func(c map[string]any) { c["aud"] = "booking" }},
		{"an audience list with one of ours", nil, func(c map[string]any) { c["aud"] = []string{"intake", "booking"} }},
		{"a claim we do not know", nil, func(c map[string]any) { c["client_id"] = "portal" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := validHeader(), validClaims()
			if tt.header != nil {
				tt.header(h)
			}
			if tt.claims != nil {
				tt.claims(c)
			}
			p, err := f.verifier.Verify(t.Context(), signRaw(t, jwt.SigningMethodEdDSA, f.priv, h, c))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != "staff-1" || p.TokenID != "jti-1" {
				t.Errorf("Verify = %+v, want subject staff-1 and token id jti-1", p)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t)
	pub := f.priv.Public().(ed25519.PublicKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		method jwt.SigningMethod // default EdDSA
		key    any               // default the trusted key
		header func(map[string]any)
		claims func(map[string]any)
		want   error
	}{
		// Algorithms.
		{name: "alg none", method: jwt.SigningMethodNone, key: jwt.UnsafeAllowNoneSignatureType,
			header: func(h map[string]any) { h["alg"] = "none" }, want: errAlgorithm},
		{name: "HS256 keyed with the public key bytes", method: jwt.SigningMethodHS256, key: []byte(pub),
			header: func(h map[string]any) { h["alg"] = "HS256" }, want: errAlgorithm},
		{name: "ES256", method: jwt.SigningMethodES256, key: ecKey,
			header: func(h map[string]any) { h["alg"] = "ES256" }, want: errAlgorithm},
		{name: "alg the library does not know", header: func(h map[string]any) { h["alg"] = "Ed448" }, want: errAlgorithm},
		{name: "no alg", header: func(h map[string]any) { delete(h, "alg") }, want: errAlgorithm},

		// Keys.
		{name: "signature of another Ed25519 key under our kid", key: testKey(9), want: errSignature},
		{name: "unknown kid", header: func(h map[string]any) { h["kid"] = "key-1999" }, want: ErrUnknownKey},
		{name: "no kid", header: func(h map[string]any) { delete(h, "kid") }, want: errKeyID},
		{name: "kid that is not a string", header: func(h map[string]any) { h["kid"] = 7 }, want: errKeyID},
		// Signed with the trusted key: the header alone must sink them.
		{name: "embedded jwk", header: func(h map[string]any) {
			h["jwk"] = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(pub)}
		}, want: errHeader},
		{name: "jku", header: func(h map[string]any) { h["jku"] = "https://attacker.example/jwks.json" }, want: errHeader},
		{name: "x5u", header: func(h map[string]any) { h["x5u"] = "https://attacker.example/cert.pem" }, want: errHeader},
		{name: "x5c", header: func(h map[string]any) { h["x5c"] = []string{"MIIB"} }, want: errHeader},
		{name: "crit", header: func(h map[string]any) { h["crit"] = []string{"b64"}; h["b64"] = false }, want: errHeader},

		// Type.
		{name: "no typ", header: func(h map[string]any) { delete(h, "typ") }, want: errType},
		{name: "typ JWT", header: func(h map[string]any) { h["typ"] = "JWT" }, want: errType},
		{name: "typ of a logout token", header: func(h map[string]any) { h["typ"] = "logout+jwt" }, want: errType},

		// Time.
		{name: "expired beyond the leeway", claims: func(c map[string]any) { c["exp"] = testNow.Add(-31 * time.Second).Unix() }, want: errExpired},
		{name: "nbf beyond the leeway", claims: func(c map[string]any) { c["nbf"] = testNow.Add(31 * time.Second).Unix() }, want: errNotYetValid},
		{name: "iat beyond the leeway", claims: func(c map[string]any) { c["iat"] = testNow.Add(31 * time.Second).Unix() }, want: errNotYetValid},
		{name: "no exp", claims: func(c map[string]any) { delete(c, "exp") }, want: errMissingClaim},
		{name: "no iat", claims: func(c map[string]any) { delete(c, "iat") }, want: errMissingClaim},
		{name: "exp that is not a number", claims: func(c map[string]any) { c["exp"] = "tomorrow" }, want: errMalformed},

		// Who the token is from and for.
		{name: "wrong audience", claims: func(c map[string]any) { c["aud"] = "intake" }, want: errAudience},
		{name: "no audience", claims: func(c map[string]any) { delete(c, "aud") }, want: errMissingClaim},
		{name: "wrong issuer", claims: func(c map[string]any) { c["iss"] = "https://auth.attacker.example" }, want: errIssuer},
		{name: "no issuer", claims: func(c map[string]any) { delete(c, "iss") }, want: errMissingClaim},
		{name: "no jti", claims: func(c map[string]any) { delete(c, "jti") }, want: errMissingClaim},

		// The principal.
		{name: "no sub", claims: func(c map[string]any) { delete(c, "sub") }, want: errSubject},
		{name: "unknown kind", claims: func(c map[string]any) { c["kind"] = "admin" }, want: errKind},
		{name: "no kind", claims: func(c map[string]any) { delete(c, "kind") }, want: errKind},
		{name: "staff with unknown role", claims: func(c map[string]any) { c["role"] = "superuser" }, want: errRole},
		{name: "staff without role", claims: func(c map[string]any) { delete(c, "role") }, want: errRole},
		{name: "caseworker without agency", claims: func(c map[string]any) { delete(c, "agency_id") }, want: errPrincipal},
		{name: "citizen with a role", claims: func(c map[string]any) { c["kind"] = "citizen"; delete(c, "agency_id") }, want: errPrincipal},
		{name: "client with a role", claims: func(c map[string]any) { c["kind"] = "client"; c["scope"] = "cases:read" }, want: errPrincipal},
		// Tidbok's in-process principal never comes from a token.
		{name: "system", claims: func(c map[string]any) { c["kind"] = "system"; delete(c, "role"); delete(c, "agency_id") }, want: errKind},
		{name: "service of an agency", claims: func(c map[string]any) { c["kind"] = "service"; delete(c, "role"); c["scope"] = "events:read" }, want: errPrincipal},
		{name: "service with an agency scope", claims: func(c map[string]any) {
			c["kind"] = "service"
			delete(c, "role")
			delete(c, "agency_id")
			c["scope"] = "cases:read"
		}, want: errPrincipal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, key := tt.method, tt.key
			if method == nil {
				method = jwt.SigningMethodEdDSA
			}
			if key == nil {
				key = f.priv
			}
			h, c := validHeader(), validClaims()
			if tt.header != nil {
				tt.header(h)
			}
			if tt.claims != nil {
				tt.claims(c)
			}
			token := signRaw(t, method, key, h, c)

			_, err := f.verifier.Verify(t.Context(), token)
			assertRefused(t, err, tt.want, token)
		})
	}
}

// TestVerifyRefusesAlteredTokens changes a signed token after signing: each
// change keeps the token well formed, so only the signature can catch it.
func TestVerifyRefusesAlteredTokens(t *testing.T) {
	f := newFixture(t)
	token := f.issue(t, caseworker())
	parts := strings.Split(token, ".")
	header, payload, sig := segments(t, token)

	tests := []struct {
		name  string
		token string
	}{
		{"payload with another subject", parts[0] + "." +
			b64([]byte(strings.Replace(string(payload), `"sub":"staff-1"`, `"sub":"staff-2"`, 1))) + "." + parts[2]},
		{"payload with a raised role", parts[0] + "." +
			b64([]byte(strings.Replace(string(payload), `"role":"caseworker"`, `"role":"system_admin"`, 1))) + "." + parts[2]},
		{"header with the same meaning in other bytes", b64([]byte(strings.Replace(string(header), `{`, `{ `, 1))) + "." +
			parts[1] + "." + parts[2]},
		{"signature with one bit flipped", parts[0] + "." + parts[1] + "." + b64(flipBit(sig, 100))},
		{"signature of the unaltered token over another payload", f.issue(t, caseworker())[:len(parts[0])+1+len(parts[1])] + "." + parts[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token == token {
				t.Fatal("test did not change the token")
			}
			_, err := f.verifier.Verify(t.Context(), tt.token)
			assertRefused(t, err, errSignature, tt.token)
		})
	}
}

// TestVerifyRefusesEveryOneCharacterChange replaces each character of a
// valid token with another base64url character in turn.
func TestVerifyRefusesEveryOneCharacterChange(t *testing.T) {
	f := newFixture(t)
	token := f.issue(t, caseworker())
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(token) {
		if token[i] == '.' {
			continue
		}
		j := strings.IndexByte(alphabet, token[i])
		changed := token[:i] + string(alphabet[(j+1)%len(alphabet)]) + token[i+1:]
		if _, err := f.verifier.Verify(t.Context(), changed); !errors.Is(err, core.ErrUnauthenticated) {
			t.Fatalf("character %d changed: Verify error = %v, want a refusal", i, err)
		}
	}
}

// TestVerifyRefusesNonCanonicalBase64 sets the spare bits of the
// signature's last character: a lax decoder reads the same signature from
// it, and so would accept a token that is not the one signed.
func TestVerifyRefusesNonCanonicalBase64(t *testing.T) {
	f := newFixture(t)
	token := f.issue(t, caseworker())
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// 64 signature bytes fill 85 characters and 2 bits of the 86th; its low 4
	// bits are spare.
	last := strings.IndexByte(alphabet, token[len(token)-1])
	changed := token[:len(token)-1] + string(alphabet[last|1])
	if changed == token {
		changed = token[:len(token)-1] + string(alphabet[last|2])
	}
	_, err := f.verifier.Verify(t.Context(), changed)
	assertRefused(t, err, errMalformed, changed)
}

func TestVerifyRefusesMalformedInput(t *testing.T) {
	f := newFixture(t)
	valid := f.issue(t, caseworker())
	tests := map[string]string{
		"empty":                   "",
		"one segment":             "abc",
		"four segments":           valid + ".e30",
		"header not base64":       "!!!." + strings.SplitN(valid, ".", 2)[1],
		"header not JSON":         b64([]byte("nope")) + valid[strings.IndexByte(valid, '.'):],
		"padding":                 valid + "==",
		"longer than the maximum": valid + strings.Repeat("A", MaxTokenBytes),
	}
	for name, token := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := f.verifier.Verify(t.Context(), token)
			if !errors.Is(err, core.ErrUnauthenticated) {
				t.Fatalf("Verify error = %v, want a refusal", err)
			}
		})
	}
}

func TestVerifyReportsUnreadableKeysAsUnavailable(t *testing.T) {
	f := newFixture(t)
	cause := errors.New("dial tcp 10.1.2.3:8080: connection refused")
	v := newVerifier(t, KeySourceFunc(func(context.Context, string) (ed25519.PublicKey, error) {
		return nil, cause
	}), fixedClock{testNow})

	_, err := v.Verify(t.Context(), f.issue(t, caseworker()))

	// A good token must not be told to sign in again because auth is down.
	if !errors.Is(err, core.ErrUnavailable) || errors.Is(err, core.ErrUnauthenticated) {
		t.Fatalf("Verify error = %v, want unavailable and not unauthenticated", err)
	}
	if !errors.Is(err, cause) {
		t.Error("error does not keep its cause for the log")
	}
	if strings.Contains(err.Error(), "10.1.2.3") {
		t.Errorf("error message %q shows an internal address", err)
	}
}

func TestNewVerifierRefusesIncompleteConfig(t *testing.T) {
	keys, _ := NewKeySet()
	tests := map[string]VerifierConfig{
		"no issuer":      {Audiences: []string{"a"}, Keys: keys},
		"no audience":    {Issuer: testIssuer, Keys: keys},
		"empty audience": {Issuer: testIssuer, Audiences: []string{""}, Keys: keys},
		"no keys":        {Issuer: testIssuer, Audiences: []string{"a"}},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := NewVerifier(cfg); err == nil {
				t.Error("NewVerifier succeeded, want an error")
			}
		})
	}
}

// assertRefused checks that err is a refusal for reason and that its
// message repeats nothing of the token.
func assertRefused(t *testing.T, err, reason error, token string) {
	t.Helper()
	if err == nil {
		t.Fatal("Verify accepted the token")
	}
	if !errors.Is(err, core.ErrUnauthenticated) {
		t.Errorf("error %v does not wrap core.ErrUnauthenticated", err)
	}
	if !errors.Is(err, reason) {
		t.Errorf("error = %v, want reason %v", err, reason)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) > 3 && strings.Contains(err.Error(), part) {
			t.Errorf("error %q repeats part of the token", err)
		}
	}
	for _, alg := range []string{"none", "HS256", "ES256", "Ed448"} {
		if strings.Contains(err.Error(), alg) {
			t.Errorf("error %q repeats the token's alg", err)
		}
	}
}

func flipBit(b []byte, bit int) []byte {
	out := append([]byte(nil), b...)
	out[bit/8] ^= 1 << (bit % 8)
	return out
}
