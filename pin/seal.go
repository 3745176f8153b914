package pin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeySize is the length of a Sealer key: 32 bytes of AES-256 key followed by
// 32 bytes of HMAC-SHA256 key.
const KeySize = 64

// additionalData binds sealed values to this use and format version, so a
// ciphertext made with the same key for something else does not open as a
// number.
var additionalData = []byte("tidbok/pin/v1")

// Sealer encrypts numbers for storage and computes the keyed hash used to find
// a stored number. It is safe for concurrent use.
type Sealer struct {
	aead    cipher.AEAD
	hashKey []byte
}

// NewSealer returns a Sealer for a KeySize-byte key (see KeyFromBase64 and
// LoadOrCreateKeyFile). Encryption and look-up use separate halves, so the
// hash stored in a unique index says nothing about the encryption key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("pin: sealer key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		return nil, fmt.Errorf("pin: sealer: %w", err)
	}
	// A fresh random 96-bit nonce per value, prepended to the ciphertext:
	// safe for up to 2^32 seals per key, far more than there are people.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("pin: sealer: %w", err)
	}
	return &Sealer{aead: aead, hashKey: append([]byte(nil), key[32:]...)}, nil
}

// Seal encrypts n's Digits with AES-256-GCM and returns nonce||ciphertext||tag.
// Sealing the same number twice gives different bytes; use LookupHash to find it.
func (s *Sealer) Seal(n Number) ([]byte, error) {
	if n.IsZero() {
		return nil, errors.New("pin: cannot seal the zero Number")
	}
	return s.aead.Seal(nil, nil, []byte(n.Digits()), additionalData), nil
}

// Open decrypts what Seal returned. Altered bytes or another key give an error,
// never a wrong number.
func (s *Sealer) Open(b []byte) (Number, error) {
	plain, err := s.aead.Open(nil, nil, b, additionalData)
	if err != nil {
		// The cause says no more than this, and must not hint at the key.
		return Number{}, errors.New("pin: sealed number cannot be opened: altered, truncated or sealed with another key")
	}
	n, err := fromDigits(string(plain))
	if err != nil {
		return Number{}, fmt.Errorf("pin: sealed value is not a valid number: %w", err)
	}
	return n, nil
}

// LookupHash returns the hex HMAC-SHA256 of n's Digits. It is the same for the
// same number and key, so a store keeps it in a unique index to find a person
// by number without decrypting every row. It returns "" for the zero Number,
// which a store should keep as NULL rather than as a shared value.
func (s *Sealer) LookupHash(n Number) string {
	if n.IsZero() {
		return ""
	}
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(n.Digits()))
	return hex.EncodeToString(m.Sum(nil))
}
