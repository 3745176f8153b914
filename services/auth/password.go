package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the cost parameters of password hashing.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// OWASPArgon2 are OWASP's recommended argon2id parameters (m=19 MiB, t=2, p=1).
var OWASPArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// hashPassword returns a PHC-format argon2id hash of password.
func hashPassword(password string, p Argon2Params) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

var errBadHash = errors.New("malformed password hash")

// verifyPassword reports whether password matches the PHC hash, in time that
// does not depend on where they differ.
func verifyPassword(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Password rules: long enough to resist guessing, short enough to bound the
// cost of hashing. No composition rules (NIST SP 800-63B).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 128
)

func checkPassword(password string) error {
	n := len([]rune(password))
	if n < MinPasswordLength || n > MaxPasswordLength {
		return fmt.Errorf("must be %d to %d characters", MinPasswordLength, MaxPasswordLength)
	}
	return nil
}

// generatePassword makes a password for a new or reset account: 20
// characters from an alphabet without look-alikes.
func generatePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

// HashPassword returns the stored form of a password, for tools that create
// accounts outside the service (the demo seed).
func HashPassword(password string) string { return hashPassword(password, OWASPArgon2) }

// HashClientSecret returns the stored form of a client secret.
func HashClientSecret(secret string) string { return hashToken(secret) }

// NewClientSecret returns a fresh client secret.
func NewClientSecret() string { return randomToken("tbs_") }

// GeneratePassword returns a fresh random password.
func GeneratePassword() string { return generatePassword() }
