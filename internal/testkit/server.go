package testkit

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/tidbok/tidbok/pin"
	"github.com/tidbok/tidbok/services/auth"
)

// CheapArgon2 keeps password hashing fast under -race.
var CheapArgon2 = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

// AuthConfig is auth's default configuration for issuer with CheapArgon2
// and access tokens that live for ttl (0: the default), so that tests that
// move the clock by days need not sign in again.
func AuthConfig(issuer string, ttl time.Duration) auth.Config {
	cfg := auth.DefaultConfig(issuer)
	cfg.Argon2 = CheapArgon2
	if ttl > 0 {
		cfg.AccessTTL = ttl
	}
	return cfg
}

// Keyring is a fresh signing keyring sealed with a fresh key.
func Keyring(t testing.TB) *auth.Keyring {
	t.Helper()
	sealer, err := pin.NewSealer(RandomBytes(t, pin.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := auth.NewKeyring(RandomBytes(t, auth.KeySize), sealer)
	if err != nil {
		t.Fatal(err)
	}
	return keyring
}

// RandomBytes returns n random bytes.
func RandomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Stockholm is the agencies' zone.
var Stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return loc
}()
