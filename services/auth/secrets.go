package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/tidbok/tidbok/pin"
)

// Keyring holds the auth service's own secrets: a key that seals signing keys
// and TOTP secrets at rest, and a key for the HMACs of one-time codes and
// throttle keys. Personal identity numbers have their own sealer.
type Keyring struct {
	aead   cipher.AEAD
	mac    []byte
	Sealer *pin.Sealer
}

// KeySize is the length of the auth key: 32 bytes to seal, 32 to MAC.
const KeySize = 64

// NewKeyring builds a keyring from a 64-byte auth key and the PIN sealer.
func NewKeyring(authKey []byte, pinSealer *pin.Sealer) (*Keyring, error) {
	if len(authKey) != KeySize {
		return nil, fmt.Errorf("auth key must be %d bytes, got %d", KeySize, len(authKey))
	}
	if pinSealer == nil {
		return nil, errors.New("a PIN sealer is required")
	}
	block, err := aes.NewCipher(authKey[:32])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &Keyring{aead: aead, mac: append([]byte(nil), authKey[32:]...), Sealer: pinSealer}, nil
}

func (k *Keyring) seal(label string, plaintext []byte) []byte {
	return k.aead.Seal(nil, nil, plaintext, []byte("tidbok/auth/"+label))
}

func (k *Keyring) open(label string, sealed []byte) ([]byte, error) {
	out, err := k.aead.Open(nil, nil, sealed, []byte("tidbok/auth/"+label))
	if err != nil {
		return nil, fmt.Errorf("open sealed %s: %w", label, err)
	}
	return out, nil
}

// hmacHex is a keyed hash, for values that must be found again but are
// worthless to a thief of the database (codes, throttle keys).
func (k *Keyring) hmacHex(parts ...string) string {
	h := hmac.New(sha256.New, k.mac)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashToken hashes a high-entropy secret (refresh token, client secret). A
// plain SHA-256 suffices: 256 random bits cannot be guessed from it.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// randomToken returns prefix and 32 random bytes, base64url.
func randomToken(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Derive returns a 32-byte key for purpose, independent of every other
// derived key, so one configured secret can serve several uses.
func (k *Keyring) Derive(purpose string) []byte {
	h := hmac.New(sha256.New, k.mac)
	h.Write([]byte("tidbok/derive/" + purpose))
	return h.Sum(nil)
}
