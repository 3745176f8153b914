package core

import (
	"time"

	"github.com/google/uuid"
)

// NewID returns a new identifier: a UUIDv7, so rows inserted together sort
// together in indexes.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// ValidID reports whether s is an identifier in canonical form. Callers use it
// to answer a malformed id with 400 before asking the store.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// StableID derives a fixed identifier from a name, for demo and seed data that
// must get the same ids every time it is loaded.
func StableID(name string) string {
	return uuid.NewSHA1(stableNamespace, []byte(name)).String()
}

var stableNamespace = uuid.MustParse("5f0c3a52-8d7e-4c1e-9a54-3b2f1d0e7a61")

// Clock tells the time; services take one so tests can fix it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
