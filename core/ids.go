package core

import (
	"regexp"
	"strings"
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

// NormalizePhone turns a Swedish or international phone number into E.164:
// "070-123 45 67" becomes "+46701234567". It reports false for anything that
// is not a phone number.
func NormalizePhone(s string) (string, bool) {
	r := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(r, "00"):
		r = "+" + r[2:]
	case strings.HasPrefix(r, "0"):
		r = "+46" + r[1:]
	}
	return r, phonePattern.MatchString(r)
}

var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
