package pin

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tidbok/tidbok/core"
)

// testKey returns a fixed key whose bytes all differ, so using the wrong half
// of it shows.
func testKey(t *testing.T, seed byte) []byte {
	t.Helper()
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = seed + byte(i)
	}
	return key
}

func newTestSealer(t *testing.T, seed byte) *Sealer {
	t.Helper()
	s, err := NewSealer(testKey(t, seed))
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newTestSealer(t, 1)
	for _, in := range []string{"19811218-9876", "121212+1212", "701063-2391"} {
		n := mustParse(t, in)
		sealed, err := s.Seal(n)
		if err != nil {
			t.Fatalf("Seal(%s): %v", n, err)
		}
		if bytes.Contains(sealed, []byte(n.Digits())) || bytes.Contains(sealed, []byte(n.Digits()[8:])) {
			t.Errorf("sealed bytes contain the number in clear")
		}
		if len(sealed) != 12+12+16 {
			t.Errorf("sealed length %d, want nonce 12 + digits 12 + tag 16", len(sealed))
		}
		got, err := s.Open(sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if got != n || got.IsCoordination() != n.IsCoordination() {
			t.Errorf("Open gave %s, want %s", got.Reveal(), n.Reveal())
		}
	}
}

func TestSealingTwiceDiffersButLookupHashIsStable(t *testing.T) {
	s := newTestSealer(t, 1)
	n := mustParse(t, "19811218-9876")
	a, err := s.Seal(n)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Seal(n)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) || bytes.Equal(a[:12], b[:12]) {
		t.Error("two seals of one number must differ, nonce included")
	}
	h := s.LookupHash(n)
	if h != s.LookupHash(mustParse(t, "811218-9876")) {
		t.Error("LookupHash must be the same for the same number, however written")
	}
	if h != newTestSealer(t, 1).LookupHash(n) {
		t.Error("LookupHash must be the same for another Sealer with the same key")
	}
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("LookupHash %q is not 64 lower-case hex digits", h)
	}
}

func TestLookupHashIsHMACOfDigitsWithTheSecondHalfOfTheKey(t *testing.T) {
	key := testKey(t, 1)
	s := newTestSealer(t, 1)
	n := mustParse(t, "701063-2391")
	m := hmac.New(sha256.New, key[32:])
	m.Write([]byte("197010632391"))
	if want := hex.EncodeToString(m.Sum(nil)); s.LookupHash(n) != want {
		t.Errorf("LookupHash = %s, want %s", s.LookupHash(n), want)
	}
}

func TestLookupHashDiffersByNumberAndKey(t *testing.T) {
	s := newTestSealer(t, 1)
	a, b := mustParse(t, "19811218-9876"), mustParse(t, "19121212-1212")
	if s.LookupHash(a) == s.LookupHash(b) {
		t.Error("different numbers must hash differently")
	}
	if s.LookupHash(a) == newTestSealer(t, 2).LookupHash(a) {
		t.Error("different keys must hash differently")
	}
}

func TestOpenRefusesEveryAlteredByte(t *testing.T) {
	s := newTestSealer(t, 1)
	sealed, err := s.Seal(mustParse(t, "19811218-9876"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(sealed)
			b[i] ^= flip
			if n, err := s.Open(b); err == nil {
				t.Errorf("byte %d ^ %#x: Open gave %s, want an error", i, flip, n.Reveal())
			}
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	s := newTestSealer(t, 1)
	n := mustParse(t, "19811218-9876")
	sealed, err := s.Seal(n)
	if err != nil {
		t.Fatal(err)
	}
	fromOtherKey, err := newTestSealer(t, 2).Seal(n)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"shorter than nonce and tag", sealed[:27]},
		{"truncated by one byte", sealed[:len(sealed)-1]},
		{"one byte appended", append(bytes.Clone(sealed), 0)},
		{"nonce only", sealed[:12]},
		{"sealed with another key", fromOtherKey},
		{"sealed for another purpose", sealRaw(t, testKey(t, 1), []byte(n.Digits()), []byte("tidbok/other/v1"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := s.Open(tt.in); err == nil {
				t.Errorf("Open gave %s, want an error", got.Reveal())
			}
		})
	}
}

func TestOpenChecksTheNumberInsideAnAuthenticValue(t *testing.T) {
	// Only Seal writes with this key, but a bug elsewhere must not yield an
	// invalid Number.
	key := testKey(t, 1)
	s := newTestSealer(t, 1)
	for _, plain := range []string{"", "hello", "19811218-9876", "198112189877", "19810230123"} {
		_, err := s.Open(sealRaw(t, key, []byte(plain), []byte("tidbok/pin/v1")))
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Open(sealed %q) = %v, want an invalid-number error", plain, err)
		}
	}
}

// sealRaw seals plain as Seal would, but with any content and additional data.
func sealRaw(t testing.TB, key, plain, ad []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		t.Fatal(err)
	}
	return aead.Seal(nil, nil, plain, ad)
}

func TestSealRefusesTheZeroNumber(t *testing.T) {
	s := newTestSealer(t, 1)
	if _, err := s.Seal(Number{}); err == nil {
		t.Error("Seal(Number{}) must fail")
	}
	if h := s.LookupHash(Number{}); h != "" {
		t.Errorf("LookupHash(Number{}) = %q, want \"\" so zero numbers never share an index entry", h)
	}
}

func TestNewSealerRefusesWrongKeyLengths(t *testing.T) {
	for _, size := range []int{0, 16, 32, 63, 65, 128} {
		if _, err := NewSealer(make([]byte, size)); err == nil {
			t.Errorf("NewSealer with %d bytes succeeded", size)
		}
	}
}

func TestNewSealerCopiesTheKey(t *testing.T) {
	key := testKey(t, 1)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	n := mustParse(t, "19811218-9876")
	before := s.LookupHash(n)
	clear(key)
	if s.LookupHash(n) != before {
		t.Error("changing the caller's key slice changed the Sealer")
	}
}

func TestSealerIsSafeForConcurrentUse(t *testing.T) {
	s := newTestSealer(t, 1)
	n := mustParse(t, "19811218-9876")
	want := s.LookupHash(n)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 50 {
				b, err := s.Seal(n)
				if err == nil {
					var got Number
					got, err = s.Open(b)
					if err == nil && (got != n || s.LookupHash(got) != want) {
						err = errors.New("round trip changed the number")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
