package notifyapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/mail"
)

// arrivals sorts what the SMTP server received for a set of appointments:
// every copy by Message-ID, and every Message-ID by recipient and UID.
type arrivals struct {
	copies  map[string]int    // Message-ID → copies received
	pairs   map[string]string // recipient|UID → Message-ID
	mixedUp []string          // Message-IDs seen with two recipients or UIDs
}

func (e *env) arrivalsFor(t *testing.T, appointments []appointment) arrivals {
	t.Helper()
	uids := map[string]bool{}
	for _, a := range appointments {
		uids[calendar.UID(a.ID)] = true
	}
	out := arrivals{copies: map[string]int{}, pairs: map[string]string{}}
	pairOf := map[string]string{}
	for _, m := range e.smtp.All() {
		ev := m.Invite(t)
		if ev == nil || !uids[ev.UID] {
			continue
		}
		pair := m.Recipient() + "|" + ev.UID
		out.copies[m.MessageID]++
		if p, ok := pairOf[m.MessageID]; ok && p != pair {
			out.mixedUp = append(out.mixedUp, m.MessageID)
		}
		pairOf[m.MessageID] = pair
		if id, ok := out.pairs[pair]; ok && id != m.MessageID {
			// The same invitation under two Message-IDs: a receiver could
			// not tell it is a copy.
			out.mixedUp = append(out.mixedUp, pair)
		}
		out.pairs[pair] = m.MessageID
	}
	return out
}

// wantEveryInvitation checks that each appointment's citizen and staff
// member got their invitation, and returns how many copies arrived beyond one.
func (a arrivals) wantEveryInvitation(t *testing.T, appointments []appointment, citizens []string) (duplicates int) {
	t.Helper()
	for i, ap := range appointments {
		for _, who := range []string{citizens[i], bertilEmail} {
			if _, ok := a.pairs[who+"|"+calendar.UID(ap.ID)]; !ok {
				t.Errorf("lost: the invitation to %s for %s never arrived", who, ap.ID)
			}
		}
	}
	if len(a.pairs) != 2*len(appointments) || len(a.copies) != 2*len(appointments) {
		t.Errorf("%d recipient+UID pairs under %d Message-IDs, want %d of each", len(a.pairs), len(a.copies), 2*len(appointments))
	}
	if len(a.mixedUp) > 0 {
		t.Errorf("copies that a receiver cannot recognise as copies: %v", a.mixedUp)
	}
	for _, n := range a.copies {
		duplicates += n - 1
	}
	return duplicates
}

func TestNothingLostNothingTwice(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		slots := e.freeSlots(t, 61)

		t.Run("an SMTP outage delays the invitations but loses none", func(t *testing.T) {
			e.smtp.Stop()
			var booked []appointment
			var citizens []string
			for i := range 50 {
				booked = append(booked, e.book(t, slots[i], map[string]string{"email": email(i), "name": fmt.Sprintf("Medborgare %d", i)}))
				citizens = append(citizens, email(i))
			}
			if n := e.pump(t); n < 50 {
				t.Fatalf("the pump read %d new events, want at least 50", n)
			}
			if sent, err := e.server.Sender.SendDue(ctx, 500); err != nil || sent != 0 {
				t.Fatalf("SendDue with the server down = %d, %v; want 0 sent, no error", sent, err)
			}
			pending := e.messages(t, notify.StatusPending)
			if len(pending) != 100 {
				t.Fatalf("%d messages pending, want 100 (50 citizens, 50 for the staff member)", len(pending))
			}
			for _, m := range pending {
				if m.Attempts != 1 || !m.NextAttemptAt.After(e.clock.Now()) || m.LastError == "" {
					t.Fatalf("after a failed attempt: attempts %d, next %s (now %s), error %q",
						m.Attempts, m.NextAttemptAt, e.clock.Now(), m.LastError)
				}
			}
			// Before the backoff has passed nothing is tried again.
			if sent, err := e.server.Sender.SendDue(ctx, 500); err != nil || sent != 0 {
				t.Fatalf("SendDue within the backoff = %d, %v", sent, err)
			}
			if again := e.messages(t, notify.StatusPending); again[0].Attempts != 1 {
				t.Fatalf("a message was tried again within its backoff: attempts %d", again[0].Attempts)
			}

			e.smtp.Start()
			e.clock.Advance(time.Minute)
			if sent := e.send(t); sent != 100 {
				t.Errorf("sent %d after the server came back, want 100", sent)
			}
			if dup := e.arrivalsFor(t, booked).wantEveryInvitation(t, booked, citizens); dup != 0 {
				t.Errorf("%d invitations arrived twice", dup)
			}
			for _, m := range e.messages(t, "") {
				if m.Status != notify.StatusSent || m.Attempts != 2 || m.SentAt == nil {
					t.Errorf("stored message %s: %s after %d attempts", m.DedupeKey, m.Status, m.Attempts)
				}
			}

			// Reading every event again, from the very start, sends nothing twice.
			if err := e.outbox.SetCursor(ctx, "notify<-booking", 0); err != nil {
				t.Fatal(err)
			}
			e.deliver(t)
			if n := len(e.messages(t, "")); n != 100 {
				t.Errorf("%d messages stored after reading the events again, want 100", n)
			}
			if dup := e.arrivalsFor(t, booked).wantEveryInvitation(t, booked, citizens); dup != 0 {
				t.Errorf("%d invitations arrived twice after reading the events again", dup)
			}
		})

		t.Run("a sender killed mid-batch loses nothing when another starts", func(t *testing.T) {
			var booked []appointment
			var citizens []string
			for i := 50; i < 60; i++ {
				booked = append(booked, e.book(t, slots[i], map[string]string{"email": email(i)}))
				citizens = append(citizens, email(i))
			}
			e.pump(t)
			before := e.smtp.Count()
			// The server takes 7 messages, keeps the 8th without answering,
			// and the sender dies at that moment.
			dying, kill := context.WithCancel(ctx)
			defer kill()
			e.smtp.DropAfterN(7, kill)
			sent, err := e.server.Sender.SendDue(dying, 50)
			if sent != 7 || !errors.Is(err, context.Canceled) {
				t.Fatalf("the dying sender sent %d (%v), want 7 and context.Canceled", sent, err)
			}
			if got := e.smtp.Count() - before; got != 8 {
				t.Fatalf("the server kept %d messages, want 8", got)
			}

			// A new sender, as after a restart. Until the dead sender's
			// lease runs out, its messages are left alone.
			mailer, err := mail.NewMailer(e.smtp.URL(), "")
			if err != nil {
				t.Fatal(err)
			}
			restarted := notify.Sender{Repo: e.outbox, Mailer: mailer, Clock: e.clock}
			if n, err := restarted.SendDue(ctx, 50); err != nil || n != 0 {
				t.Fatalf("the new sender took leased messages: %d, %v", n, err)
			}
			e.clock.Advance(2*time.Minute + time.Second)
			total := 0
			for {
				n, err := restarted.SendDue(ctx, 50)
				if err != nil {
					t.Fatal(err)
				}
				if total += n; n == 0 {
					break
				}
			}
			if total != 13 {
				t.Errorf("the new sender sent %d, want the 13 the dead one left", total)
			}
			// The 8th message reached the server, but the dead sender never
			// heard so: it goes again, with the same Message-ID.
			dup := e.arrivalsFor(t, booked).wantEveryInvitation(t, booked, citizens)
			if dup != 1 {
				t.Errorf("%d copies arrived twice, want exactly the one in flight when the sender died", dup)
			}
			if n := len(e.messages(t, notify.StatusPending)); n != 0 {
				t.Errorf("%d messages still pending", n)
			}
		})

		t.Run("a refused recipient is a dead letter until an admin retries it", func(t *testing.T) {
			const refused = "finns.inte@example.se"
			e.smtp.SetRefused(refused, true)
			a := e.book(t, slots[60], map[string]string{"email": refused})
			e.deliver(t)
			var dead notify.StoredMessage
			for _, m := range e.messages(t, notify.StatusDead) {
				if m.Recipient == refused {
					dead = m
				}
			}
			if dead.ID == "" || dead.Attempts != 1 || !strings.Contains(dead.LastError, "550") {
				t.Fatalf("the refused message is %+v, want dead after 1 attempt with the 550", dead)
			}
			if got := e.invitationsFor(t, a.ID); len(got[bertilEmail]) != 1 || len(got[refused]) != 0 {
				t.Fatalf("invitations %v, want the staff member's only", got)
			}
			// Dead letters stay dead, however long one waits.
			e.clock.Advance(48 * time.Hour)
			if n := e.send(t); n != 0 {
				t.Fatalf("a dead letter was sent again on its own: %d", n)
			}

			if err := e.outbox.Retry(ctx, dead.ID, e.clock.Now()); !errors.Is(err, nil) {
				t.Fatalf("retry: %v", err)
			}
			if err := e.outbox.Retry(ctx, dead.ID, e.clock.Now()); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("retrying a message that is not dead = %v, want ErrNotFound", err)
			}
			// Still refused: dead again after one more attempt.
			if n := e.send(t); n != 0 {
				t.Fatalf("sent %d while the recipient is refused", n)
			}
			e.smtp.SetRefused(refused, false)
			if err := e.outbox.Retry(ctx, dead.ID, e.clock.Now()); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if n := e.send(t); n != 1 {
				t.Fatalf("sent %d after the retry, want 1", n)
			}
			got := e.invitationsFor(t, a.ID)[refused]
			if len(got) != 1 || "<"+got[0].MessageID+">" != dead.MessageID {
				t.Fatalf("after the retry %d invitations arrived, want 1 with Message-ID %s", len(got), dead.MessageID)
			}
			if m, err := e.outbox.Message(ctx, dead.ID); err != nil || m.Status != notify.StatusSent {
				t.Fatalf("the retried message is %s, %v", m.Status, err)
			}
		})
	})
}
