package tokens

import (
	"crypto/ed25519"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

func TestIssueWritesRFC9068Token(t *testing.T) {
	f := newFixture(t)
	p := core.Principal{Kind: core.KindClient, Subject: "client-1", AgencyID: "agency-1",
		Scopes: []string{core.ScopeCasesRead, core.ScopeAppointmentsWrite}}
	// A sub-second now: the token and the returned expiry must agree anyway.
	now := testNow.Add(700 * time.Millisecond)

	token, expiresAt, err := f.signer.Issue(p, "booking", 0, now)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}

	h, c, sig := segments(t, token)
	var header map[string]any
	if err := json.Unmarshal(h, &header); err != nil {
		t.Fatalf("header: %v", err)
	}
	wantHeader := map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": testKID}
	if !maps.Equal(header, wantHeader) {
		t.Errorf("header = %v, want %v", header, wantHeader)
	}
	// Checked with the standard library alone, not with the code under test.
	input := token[:strings.LastIndexByte(token, '.')]
	if !ed25519.Verify(f.priv.Public().(ed25519.PublicKey), []byte(input), sig) {
		t.Error("signature does not verify with the signer's public key")
	}

	var got struct {
		Iss      string   `json:"iss"`
		Sub      string   `json:"sub"`
		Aud      []string `json:"aud"`
		Exp      int64    `json:"exp"`
		Iat      int64    `json:"iat"`
		Nbf      int64    `json:"nbf"`
		Jti      string   `json:"jti"`
		Kind     string   `json:"kind"`
		Role     *string  `json:"role"`
		AgencyID string   `json:"agency_id"`
		Scope    string   `json:"scope"`
	}
	if err := json.Unmarshal(c, &got); err != nil {
		t.Fatalf("claims: %v", err)
	}
	switch {
	case got.Iss != testIssuer, got.Sub != "client-1", !slices.Equal(got.Aud, []string{"booking"}):
		t.Errorf("iss, sub, aud = %q, %q, %q", got.Iss, got.Sub, got.Aud)
	case got.Iat != testNow.Unix() || got.Nbf != testNow.Unix():
		t.Errorf("iat, nbf = %d, %d, want %d", got.Iat, got.Nbf, testNow.Unix())
	case got.Exp != testNow.Add(DefaultTTL).Unix():
		t.Errorf("exp = %d, want 15 minutes after iat (%d)", got.Exp, testNow.Add(DefaultTTL).Unix())
	case len(got.Jti) < 20:
		t.Errorf("jti = %q, want a long random id", got.Jti)
	case got.Kind != "client" || got.AgencyID != "agency-1" || got.Role != nil:
		t.Errorf("kind, agency_id, role = %q, %q, %v", got.Kind, got.AgencyID, got.Role)
	case got.Scope != "cases:read appointments:write":
		t.Errorf("scope = %q", got.Scope)
	}
	if !expiresAt.Equal(time.Unix(got.Exp, 0)) || expiresAt.Location() != time.UTC {
		t.Errorf("expiresAt = %v, want the token's exp %v in UTC", expiresAt, time.Unix(got.Exp, 0).UTC())
	}
}

func TestIssueHonoursTTL(t *testing.T) {
	f := newFixture(t)
	_, expiresAt, err := f.signer.Issue(caseworker(), testAudience, 10*time.Minute, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := testNow.Add(10 * time.Minute); !expiresAt.Equal(want) {
		t.Errorf("expiresAt = %v, want %v", expiresAt, want)
	}
}

func TestIssueGivesEveryTokenItsOwnID(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}
	for range 50 {
		p, err := f.verifier.Verify(t.Context(), f.issue(t, caseworker()))
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.TokenID] {
			t.Fatalf("jti %q issued twice", p.TokenID)
		}
		seen[p.TokenID] = true
	}
}

func TestIssueRefuses(t *testing.T) {
	f := newFixture(t)
	ok := caseworker()
	tests := []struct {
		name     string
		p        core.Principal
		audience string
		ttl      time.Duration
	}{
		{"principal without subject", core.Principal{Kind: core.KindCitizen}, testAudience, 0},
		{"unknown kind", core.Principal{Kind: "robot", Subject: "r"}, testAudience, 0},
		{"staff with unknown role", core.Principal{Kind: core.KindStaff, Subject: "s", Role: "root", AgencyID: "a"}, testAudience, 0},
		{"caseworker without agency", core.Principal{Kind: core.KindStaff, Subject: "s", Role: core.RoleCaseworker}, testAudience, 0},
		{"citizen with a role", core.Principal{Kind: core.KindCitizen, Subject: "c", Role: core.RoleCaseworker}, testAudience, 0},
		{"client without agency", core.Principal{Kind: core.KindClient, Subject: "c", Scopes: []string{"cases:read"}}, testAudience, 0},
		{"scope with a space", core.Principal{Kind: core.KindClient, Subject: "c", AgencyID: "a", Scopes: []string{"cases:read cases:write"}}, testAudience, 0},
		{"empty scope", core.Principal{Kind: core.KindClient, Subject: "c", AgencyID: "a", Scopes: []string{""}}, testAudience, 0},
		{"service with an agency", core.Principal{Kind: core.KindService, Subject: "s", AgencyID: "a", Scopes: []string{core.ScopeEventsRead}}, testAudience, 0},
		{"service without scopes", core.Principal{Kind: core.KindService, Subject: "s"}, testAudience, 0},
		{"service with a client scope", core.Principal{Kind: core.KindService, Subject: "s", Scopes: []string{core.ScopeCasesWrite}}, testAudience, 0},
		{"empty audience", ok, "", 0},
		{"negative lifetime", ok, testAudience, -time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, _, err := f.signer.Issue(tt.p, tt.audience, tt.ttl, testNow)
			if err == nil {
				t.Fatalf("Issue succeeded with token of %d bytes, want an error", len(token))
			}
		})
	}
}

func TestNewSignerRefuses(t *testing.T) {
	good := testKey(1)
	mismatched := slices.Clone(good)
	copy(mismatched[ed25519.SeedSize:], testKey(2).Public().(ed25519.PublicKey))
	tests := []struct {
		name        string
		key         ed25519.PrivateKey
		kid, issuer string
	}{
		{"short key", good[:40], "k", testIssuer},
		{"public half of another key", mismatched, "k", testIssuer},
		{"empty kid", good, "", testIssuer},
		{"empty issuer", good, "k", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSigner(tt.key, tt.kid, tt.issuer); err == nil {
				t.Error("NewSigner succeeded, want an error")
			}
		})
	}
}
