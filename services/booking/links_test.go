package booking_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
)

func links(t *testing.T, seed byte) *booking.ManageLinks {
	t.Helper()
	l, err := booking.NewManageLinks(bytes.Repeat([]byte{seed}, booking.ManageLinkSecretSize))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestManageLinks(t *testing.T) {
	now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	a := booking.Appointment{ID: core.NewID(), CitizenID: core.NewID(), End: now.Add(48 * time.Hour)}
	l := links(t, 1)
	token, err := l.Mint(a)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a minted token verifies to its appointment, citizen and end", func(t *testing.T) {
		c, err := l.Verify(token, now)
		if err != nil {
			t.Fatal(err)
		}
		if c.AppointmentID != a.ID || c.CitizenID != a.CitizenID || !c.Expires.Equal(a.End.Truncate(time.Second)) {
			t.Fatalf("claims %+v, want %s %s %v", c, a.ID, a.CitizenID, a.End)
		}
	})

	t.Run("denied", func(t *testing.T) {
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		flip := func(i int) string {
			b := bytes.Clone(raw)
			b[i] ^= 1
			return base64.RawURLEncoding.EncodeToString(b)
		}
		other, _ := l.Mint(booking.Appointment{ID: core.NewID(), CitizenID: a.CitizenID, End: a.End})
		otherRaw, _ := base64.RawURLEncoding.DecodeString(other)
		// Another appointment's id under this token's signature.
		swapped := bytes.Clone(raw)
		copy(swapped[1:17], otherRaw[1:17])
		foreign, _ := links(t, 2).Mint(a)
		for name, tok := range map[string]string{
			"a changed appointment id":                 flip(3),
			"a changed citizen id":                     flip(20),
			"a later expiry":                           flip(40),
			"a changed signature":                      flip(len(raw) - 1),
			"another appointment's id, this signature": base64.RawURLEncoding.EncodeToString(swapped),
			"signed with another secret":               foreign,
			"empty":                                    "",
			"truncated":                                token[:len(token)-1],
			"not base64":                               "!" + token[1:],
			"padded":                                   token + "=",
		} {
			if _, err := l.Verify(tok, now); !errors.Is(err, booking.ErrLinkInvalid) || !errors.Is(err, core.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrLinkInvalid", name, err)
			}
		}
		if _, err := l.Verify(token, a.End); !errors.Is(err, booking.ErrLinkExpired) {
			t.Errorf("at the meeting's end: err = %v, want ErrLinkExpired", err)
		}
	})

	t.Run("form tokens are bound to their link", func(t *testing.T) {
		other, _ := l.Mint(booking.Appointment{ID: core.NewID(), CitizenID: a.CitizenID, End: a.End})
		if !l.CheckFormToken(token, l.FormToken(token)) {
			t.Fatal("the link's own form token is refused")
		}
		if l.CheckFormToken(token, l.FormToken(other)) || l.CheckFormToken(token, "") || l.CheckFormToken(token, token) {
			t.Fatal("a form token of another link, an empty one or the link itself is accepted")
		}
	})

	t.Run("a short secret is refused", func(t *testing.T) {
		if _, err := booking.NewManageLinks(make([]byte, 16)); err == nil {
			t.Fatal("a 16-byte secret was accepted")
		}
	})
}

func BenchmarkManageLinkVerify(b *testing.B) {
	l, _ := booking.NewManageLinks(bytes.Repeat([]byte{1}, booking.ManageLinkSecretSize))
	now := time.Now()
	token, _ := l.Mint(booking.Appointment{ID: core.NewID(), CitizenID: core.NewID(), End: now.Add(time.Hour)})
	for b.Loop() {
		if _, err := l.Verify(token, now); err != nil {
			b.Fatal(err)
		}
	}
}
