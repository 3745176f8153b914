package tokens

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// JWKSPath is where the auth service publishes its public keys.
const JWKSPath = "/.well-known/jwks.json"

// ErrUnknownKey is what a KeySource returns, wrapped or not, for a key id it
// does not know. The Verifier turns it into a refusal; any other error from
// a KeySource means the keys could not be read, and becomes core.ErrUnavailable.
var ErrUnknownKey = errors.New("unknown signing key")

// KeySource finds the public key a token's kid names.
type KeySource interface {
	Key(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// KeySourceFunc adapts a function to KeySource, for an auth service that
// serves its own keys from its store in process.
type KeySourceFunc func(ctx context.Context, kid string) (ed25519.PublicKey, error)

// Key calls f.
func (f KeySourceFunc) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	return f(ctx, kid)
}

// Key is one public signing key. NotAfter is when the last token signed with
// it expires (zero: the key is still signing); after it the key is no longer
// published.
type Key struct {
	KID      string
	Public   ed25519.PublicKey
	NotAfter time.Time
}

// KeySet is a fixed set of public keys. It is a KeySource, safe for
// concurrent use, and cannot be changed once built.
type KeySet struct {
	keys []Key
	byID map[string]ed25519.PublicKey
}

// NewKeySet returns the set of keys, refusing a key of the wrong size, an
// empty key id and a key id used twice.
func NewKeySet(keys ...Key) (*KeySet, error) {
	s := &KeySet{keys: make([]Key, 0, len(keys)), byID: make(map[string]ed25519.PublicKey, len(keys))}
	for _, k := range keys {
		if k.KID == "" {
			return nil, errors.New("tokens: key with an empty key id")
		}
		if len(k.Public) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("tokens: key %q is %d bytes, want %d", k.KID, len(k.Public), ed25519.PublicKeySize)
		}
		if _, dup := s.byID[k.KID]; dup {
			return nil, fmt.Errorf("tokens: key id %q used twice", k.KID)
		}
		// Copy, so no caller can change a key behind the set's back.
		k.Public = slices.Clone(k.Public)
		s.keys = append(s.keys, k)
		s.byID[k.KID] = k.Public
	}
	return s, nil
}

// Key returns the key named kid, or an error wrapping ErrUnknownKey.
func (s *KeySet) Key(_ context.Context, kid string) (ed25519.PublicKey, error) {
	if k, ok := s.byID[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// Keys returns the keys in the order they were given.
func (s *KeySet) Keys() []Key {
	out := make([]Key, len(s.keys))
	for i, k := range s.keys {
		k.Public = slices.Clone(k.Public)
		out[i] = k
	}
	return out
}

// JWK is one public key in a JWK Set: an Ed25519 key is an OKP key with curve
// Ed25519 and the key bytes in x (RFC 8037 section 2).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
}

// JWKS is a JWK Set document (RFC 7517 section 5), as served at JWKSPath.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWKS returns the document publishing the keys still in use at now: a key
// whose NotAfter has passed signs nothing that is still valid.
func (s *KeySet) JWKS(now time.Time) JWKS {
	doc := JWKS{Keys: []JWK{}}
	for _, k := range s.keys {
		if !k.NotAfter.IsZero() && now.After(k.NotAfter) {
			continue
		}
		doc.Keys = append(doc.Keys, JWK{
			Kty: "OKP",
			Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(k.Public),
			Kid: k.KID,
			Use: "sig",
			Alg: Algorithm,
		})
	}
	return doc
}

// maxJWKS bounds the keys in a document we accept; rotation keeps a handful.
const maxJWKS = 64

// rawJWK is a JWK as received, with the members we refuse to see.
type rawJWK struct {
	JWK
	D   *string `json:"d"`   // an OKP private key
	Jku *string `json:"jku"` // not a JWK member, but never follow one
}

// ParseJWKS reads a JWK Set document. It accepts only Ed25519 signing keys
// and refuses the whole document when any key is something else, carries
// private key material, or when key ids are missing or repeated: the
// publisher is our own auth service, so anything unexpected is a fault to
// report, not to skip.
func ParseJWKS(data []byte) (*KeySet, error) {
	var doc struct {
		Keys []rawJWK `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("tokens: JWKS is not JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("tokens: JWKS has data after the document")
	}
	if len(doc.Keys) == 0 {
		return nil, errors.New("tokens: JWKS has no keys")
	}
	if len(doc.Keys) > maxJWKS {
		return nil, fmt.Errorf("tokens: JWKS has %d keys, at most %d accepted", len(doc.Keys), maxJWKS)
	}
	keys := make([]Key, 0, len(doc.Keys))
	for i, j := range doc.Keys {
		k, err := parseJWK(j)
		if err != nil {
			return nil, fmt.Errorf("tokens: JWKS key %d: %w", i, err)
		}
		keys = append(keys, k)
	}
	return NewKeySet(keys...)
}

func parseJWK(j rawJWK) (Key, error) {
	switch {
	case j.Kty != "OKP":
		return Key{}, fmt.Errorf("key type %q is not OKP", j.Kty)
	case j.Crv != "Ed25519":
		return Key{}, fmt.Errorf("curve %q is not Ed25519", j.Crv)
	case j.D != nil:
		return Key{}, errors.New("holds private key material")
	case j.Jku != nil:
		return Key{}, errors.New("carries jku")
	case j.Alg != "" && j.Alg != Algorithm:
		return Key{}, fmt.Errorf("alg %q is not %s", j.Alg, Algorithm)
	case j.Use != "" && j.Use != "sig":
		return Key{}, fmt.Errorf("use %q is not sig", j.Use)
	case j.Kid == "":
		return Key{}, errors.New("has no kid")
	}
	// Strict: one encoding per key, no padding, no stray bits.
	x, err := base64.RawURLEncoding.Strict().DecodeString(j.X)
	if err != nil {
		return Key{}, errors.New("x is not base64url")
	}
	if len(x) != ed25519.PublicKeySize {
		return Key{}, fmt.Errorf("x is %d bytes, want %d", len(x), ed25519.PublicKeySize)
	}
	return Key{KID: j.Kid, Public: ed25519.PublicKey(x)}, nil
}
