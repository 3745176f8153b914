package tokens

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tidbok/tidbok/core"
)

// FuzzVerify feeds Verify arbitrary strings. Verify must not panic, must
// refuse with ErrUnauthenticated, and must accept no string other than the
// one token this test signed: the fuzzer cannot forge an Ed25519 signature,
// so any other accepted string means one signature fits several tokens.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	// Fixed claims, a fixed key and deterministic Ed25519: every fuzz worker
	// process computes the same token, so "the signed one" means one string.
	valid := signRaw(f, jwt.SigningMethodEdDSA, fx.priv, validHeader(), validClaims())
	parts := strings.Split(valid, ".")
	pub := fx.priv.Public().(ed25519.PublicKey)

	hs := validHeader()
	hs["alg"] = "HS256"
	none := validHeader()
	none["alg"] = "none"
	jku := validHeader()
	jku["jku"] = "https://attacker.example/jwks.json"

	f.Add(valid)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + "B")
	f.Add(parts[0] + ".e30." + parts[2])
	f.Add(valid + ".")
	f.Add(signRaw(f, jwt.SigningMethodHS256, []byte(pub), hs, validClaims()))
	f.Add(signRaw(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, none, validClaims()))
	f.Add(signRaw(f, jwt.SigningMethodEdDSA, fx.priv, jku, validClaims()))
	f.Add(signRaw(f, jwt.SigningMethodEdDSA, testKey(7), validHeader(), validClaims()))
	f.Add("")
	f.Add("..")
	f.Add("e30.e30.")

	f.Fuzz(func(t *testing.T, token string) {
		p, err := fx.verifier.Verify(t.Context(), token)
		if err == nil {
			if token != valid {
				t.Fatalf("accepted a token that differs from the signed one: %q", token)
			}
			if p.Subject != "staff-1" {
				t.Fatalf("accepted the signed token as %+v", p)
			}
			return
		}
		if !errors.Is(err, core.ErrUnauthenticated) {
			t.Fatalf("error %v does not wrap core.ErrUnauthenticated", err)
		}
	})
}
