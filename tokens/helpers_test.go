package tokens

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tidbok/tidbok/core"
)

const (
	testIssuer   = "https://auth.tidbok.test"
	testAudience = "tidbok"
	testKID      = "key-2026-01"
)

// testNow is a whole second, so times survive the trip through NumericDate.
var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixedClock always tells the same time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// fakeClock is a clock tests move forward, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKey returns a private key derived from seed, the same on every run.
func testKey(seed byte) ed25519.PrivateKey {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s)
}

// fixture is a signer and a verifier that trusts it, on a fixed clock.
type fixture struct {
	priv     ed25519.PrivateKey
	signer   *Signer
	verifier *Verifier
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	priv := testKey(1)
	signer, err := NewSigner(priv, testKID, testIssuer)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	keys, err := NewKeySet(signer.PublicKey())
	if err != nil {
		t.Fatalf("NewKeySet: %v", err)
	}
	return fixture{priv: priv, signer: signer, verifier: newVerifier(t, keys, fixedClock{testNow})}
}

func newVerifier(t testing.TB, keys KeySource, clock core.Clock) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{
		Issuer:    testIssuer,
		Audiences: []string{testAudience, "booking"},
		Keys:      keys,
		Clock:     clock,
	})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func caseworker() core.Principal {
	return core.Principal{Kind: core.KindStaff, Subject: "staff-1", Role: core.RoleCaseworker, AgencyID: "agency-1"}
}

// issue returns a token for p from f's signer, at testNow.
func (f fixture) issue(t testing.TB, p core.Principal) string {
	t.Helper()
	tok, _, err := f.signer.Issue(p, testAudience, 0, testNow)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// validHeader and validClaims are what Signer would write, as maps that
// tests can bend into tokens Signer never writes.
func validHeader() map[string]any {
	return map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": testKID}
}

func validClaims() map[string]any {
	return map[string]any{
		"iss":       testIssuer,
		"sub":       "staff-1",
		"aud":       testAudience,
		"exp":       testNow.Add(DefaultTTL).Unix(),
		"iat":       testNow.Unix(),
		"nbf":       testNow.Unix(),
		"jti":       "jti-1",
		"kind":      "staff",
		"role":      "caseworker",
		"agency_id": "agency-1",
	}
}

// signRaw builds a compact JWS from header and claims exactly as given,
// signed by method with key.
func signRaw(t testing.TB, method jwt.SigningMethod, key any, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64(h) + "." + b64(c)
	sig, err := method.Sign(input, key)
	if err != nil {
		t.Fatalf("signing with %s: %v", method.Alg(), err)
	}
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// segments splits a compact token and decodes its three parts.
func segments(t testing.TB, token string) (header, payload, sig []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("segment is not base64url: %v", err)
		}
		return b
	}
	return dec(parts[0]), dec(parts[1]), dec(parts[2])
}
