package tokens

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

// rfc8037 is the key of RFC 8037 appendix A.1 and A.2.
var rfc8037 = struct{ d, x string }{
	d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
	x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}

func rfc8037Public(t *testing.T) ed25519.PublicKey {
	t.Helper()
	seed, err := base64.RawURLEncoding.DecodeString(rfc8037.d)
	if err != nil {
		t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}

func TestJWKSMatchesRFC8037(t *testing.T) {
	set, err := NewKeySet(Key{KID: "rfc", Public: rfc8037Public(t)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(set.JWKS(testNow))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + rfc8037.x + `","kid":"rfc","use":"sig","alg":"EdDSA"}]}`
	if string(got) != want {
		t.Errorf("JWKS =\n%s\nwant\n%s", got, want)
	}
}

func TestJWKSPublishesOnlyKeysStillInUse(t *testing.T) {
	set, err := NewKeySet(
		Key{KID: "current", Public: testKey(1).Public().(ed25519.PublicKey)},
		Key{KID: "retiring", Public: testKey(2).Public().(ed25519.PublicKey), NotAfter: testNow.Add(time.Minute)},
		Key{KID: "retired", Public: testKey(3).Public().(ed25519.PublicKey), NotAfter: testNow.Add(-time.Second)},
	)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.JWKS(testNow).Keys {
		kids = append(kids, k.Kid)
	}
	if want := []string{"current", "retiring"}; !slices.Equal(kids, want) {
		t.Errorf("published %v, want %v", kids, want)
	}
}

func TestParseJWKSReadsWhatJWKSWrites(t *testing.T) {
	keys := []Key{
		{KID: "a", Public: testKey(1).Public().(ed25519.PublicKey)},
		{KID: "b", Public: testKey(2).Public().(ed25519.PublicKey)},
	}
	set, err := NewKeySet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(set.JWKS(testNow))
	if err != nil {
		t.Fatal(err)
	}

	parsed, err := ParseJWKS(doc)
	if err != nil {
		t.Fatalf("ParseJWKS: %v", err)
	}
	for _, k := range keys {
		got, err := parsed.Key(t.Context(), k.KID)
		if err != nil || !got.Equal(k.Public) {
			t.Errorf("Key(%q) = %x, %v; want %x", k.KID, got, err, k.Public)
		}
	}
	if _, err := parsed.Key(t.Context(), "c"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key(unknown) error = %v, want ErrUnknownKey", err)
	}
}

func TestParseJWKSRefuses(t *testing.T) {
	x := rfc8037.x
	key := func(members string) string { return `{"keys":[{` + members + `}]}` }
	tests := map[string]string{
		"not JSON":               `keys`,
		"data after the set":     key(`"kty":"OKP","crv":"Ed25519","x":"`+x+`","kid":"a"`) + `{}`,
		"no keys":                `{"keys":[]}`,
		"RSA key":                key(`"kty":"RSA","n":"AQAB","e":"AQAB","kid":"a"`),
		"EC key":                 key(`"kty":"EC","crv":"P-256","x":"` + x + `","y":"` + x + `","kid":"a"`),
		"X25519 key":             key(`"kty":"OKP","crv":"X25519","x":"` + x + `","kid":"a"`),
		"Ed448 key":              key(`"kty":"OKP","crv":"Ed448","x":"` + x + `","kid":"a"`),
		"private key":            key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `","d":"` + rfc8037.d + `","kid":"a"`),
		"key for another alg":    key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `","kid":"a","alg":"HS256"`),
		"key for encryption":     key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `","kid":"a","use":"enc"`),
		"no kid":                 key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `"`),
		"x too short":            key(`"kty":"OKP","crv":"Ed25519","x":"` + x[:40] + `","kid":"a"`),
		"x too long":             key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `AAAA","kid":"a"`),
		"x padded":               key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `=","kid":"a"`),
		"x in standard base64":   key(`"kty":"OKP","crv":"Ed25519","x":"` + "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo" + `","kid":"a"`),
		"x with stray low bits":  key(`"kty":"OKP","crv":"Ed25519","x":"` + x[:len(x)-1] + "p" + `","kid":"a"`),
		"the same kid twice":     `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + x + `","kid":"a"},{"kty":"OKP","crv":"Ed25519","x":"` + x + `","kid":"a"}]}`,
		"keys that is no list":   `{"keys":{}}`,
		"a jku next to the key":  key(`"kty":"OKP","crv":"Ed25519","x":"` + x + `","kid":"a","jku":"https://x.example"`),
		"more keys than allowed": manyKeys(maxJWKS + 1),
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			if set, err := ParseJWKS([]byte(doc)); err == nil {
				t.Errorf("ParseJWKS accepted %d keys, want an error", len(set.Keys()))
			}
		})
	}
}

func manyKeys(n int) string {
	doc := JWKS{}
	for i := range n {
		doc.Keys = append(doc.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: rfc8037.x, Kid: string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func TestNewKeySetRefuses(t *testing.T) {
	pub := testKey(1).Public().(ed25519.PublicKey)
	tests := map[string][]Key{
		"empty kid":      {{Public: pub}},
		"short key":      {{KID: "a", Public: pub[:31]}},
		"kid used twice": {{KID: "a", Public: pub}, {KID: "a", Public: testKey(2).Public().(ed25519.PublicKey)}},
	}
	for name, keys := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := NewKeySet(keys...); err == nil {
				t.Error("NewKeySet succeeded, want an error")
			}
		})
	}
}

func TestKeySetKeepsItsOwnCopy(t *testing.T) {
	pub := slices.Clone(testKey(1).Public().(ed25519.PublicKey))
	set, err := NewKeySet(Key{KID: "a", Public: pub})
	if err != nil {
		t.Fatal(err)
	}
	pub[0] ^= 0xff
	set.Keys()[0].Public[1] ^= 0xff

	got, _ := set.Key(t.Context(), "a")
	if !got.Equal(testKey(1).Public()) {
		t.Error("changing the caller's slices changed the set's key")
	}
}
