package notifystore_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/services/notify"
)

// now is the tests' time, in a zone other than UTC: the store must keep
// instants, whatever zone they come in.
var now = time.Date(2027, 3, 22, 7, 0, 0, 0, mustLocation("Europe/Stockholm"))

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func message(key string, due time.Time) notify.StoredMessage {
	return notify.StoredMessage{ID: core.NewID(), DedupeKey: key, Channel: notify.ChannelEmail, Recipient: key + "@example.se",
		MessageID: "<" + key + "@exempelby.se>", Subject: "Bokat: " + key, Body: []byte(`{"Text":"` + key + `"}`),
		AgencyID: core.NewID(), Status: notify.StatusPending, NextAttemptAt: due, CreatedAt: due}
}

func keys(ms []notify.StoredMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.DedupeKey
	}
	return out
}

func enqueue(t *testing.T, o *notifystore.Outbox, ms ...notify.StoredMessage) {
	t.Helper()
	if err := o.Enqueue(context.Background(), ms); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := notifystore.NewOutbox(d)

		t.Run("a message is kept as it was stored, times in UTC", func(t *testing.T) {
			m := message("kept", now.Add(123456*time.Microsecond)) // PostgreSQL keeps microseconds
			enqueue(t, o, m)
			got, err := o.Message(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.DedupeKey != m.DedupeKey || got.MessageID != m.MessageID || string(got.Body) != string(m.Body) ||
				got.AgencyID != m.AgencyID || got.Status != notify.StatusPending || got.Attempts != 0 || got.SentAt != nil {
				t.Fatalf("read back %+v, stored %+v", got, m)
			}
			if got.NextAttemptAt.Location() != time.UTC || !got.NextAttemptAt.Equal(m.NextAttemptAt) {
				t.Fatalf("next attempt %s, stored %s", got.NextAttemptAt, m.NextAttemptAt)
			}
		})

		t.Run("a message whose dedupe key is stored is skipped", func(t *testing.T) {
			first := message("once", now)
			second := message("once", now)
			second.Subject = "the second"
			enqueue(t, o, first)
			enqueue(t, o, second, message("other", now))
			if _, err := o.Message(ctx, second.ID); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("the second message with the key was stored: %v", err)
			}
			got, err := o.Message(ctx, first.ID)
			if err != nil || got.Subject != first.Subject {
				t.Fatalf("the first message is %+v, %v", got, err)
			}
		})

		t.Run("a message is found by its dedupe key", func(t *testing.T) {
			m := message("invite:a1:0:staff", now)
			enqueue(t, o, m)
			got, err := o.MessageByKey(ctx, "invite:a1:0:staff")
			if err != nil || got.ID != m.ID {
				t.Fatalf("by key: %+v, %v", got, err)
			}
		})

		t.Run("an unknown message is not found", func(t *testing.T) {
			if _, err := o.Message(ctx, core.NewID()); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if _, err := o.MessageByKey(ctx, "invite:a1:1:staff"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("by key: err = %v, want ErrNotFound", err)
			}
		})
	})
}

func TestClaimDue(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := notifystore.NewOutbox(d)
		// Mixed zones: the comparison must be by instant.
		enqueue(t, o,
			message("due-first", now.Add(-2*time.Minute).In(time.UTC)),
			message("due-second", now.Add(-time.Minute)),
			message("due-now", now.In(mustLocation("America/New_York"))),
			message("later", now.Add(time.Second)),
		)

		claimed, err := o.ClaimDue(ctx, now, 2, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(claimed); fmt.Sprint(got) != "[due-first due-second]" {
			t.Fatalf("claimed %v, want the two most overdue, oldest first", got)
		}
		claimed, err = o.ClaimDue(ctx, now, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(claimed); fmt.Sprint(got) != "[due-now]" {
			t.Fatalf("claimed %v, want only what was left due and unleased", got)
		}
		if again, _ := o.ClaimDue(ctx, now.Add(59*time.Second), 10, time.Minute); fmt.Sprint(keys(again)) != "[later]" {
			t.Fatalf("within the lease claimed %v, want only the message that fell due", keys(again))
		}
		again, err := o.ClaimDue(ctx, now.Add(time.Minute), 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(again); fmt.Sprint(got) != "[due-first due-second due-now]" {
			t.Fatalf("after the lease claimed %v, want the three leased first", got)
		}
	})
}

func TestSentFailedDeadAndRetried(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := notifystore.NewOutbox(d)
		sent, failed, dead := message("sent", now), message("failed", now), message("dead", now)
		enqueue(t, o, sent, failed, dead)
		if err := o.MarkSent(ctx, sent.ID, now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := o.MarkFailed(ctx, failed.ID, 1, now.Add(30*time.Second), "421 try later", false); err != nil {
			t.Fatal(err)
		}
		if err := o.MarkFailed(ctx, dead.ID, 1, now, "550 no such mailbox", true); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name     string
			id       string
			status   string
			attempts int
			lastErr  string
		}{
			{"a sent message counts its attempt and keeps no error", sent.ID, notify.StatusSent, 1, ""},
			{"a failed message waits for its next attempt", failed.ID, notify.StatusPending, 1, "421 try later"},
			{"a message refused for good is dead", dead.ID, notify.StatusDead, 1, "550 no such mailbox"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				m, err := o.Message(ctx, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				if m.Status != tc.status || m.Attempts != tc.attempts || m.LastError != tc.lastErr {
					t.Fatalf("status %s, attempts %d, error %q; want %s, %d, %q", m.Status, m.Attempts, m.LastError, tc.status, tc.attempts, tc.lastErr)
				}
				if (m.SentAt != nil) != (tc.status == notify.StatusSent) {
					t.Fatalf("sent at %v for a %s message", m.SentAt, m.Status)
				}
			})
		}

		t.Run("only pending messages are claimed", func(t *testing.T) {
			claimed, err := o.ClaimDue(ctx, now.Add(time.Hour), 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(keys(claimed)) != "[failed]" {
				t.Fatalf("claimed %v", keys(claimed))
			}
		})

		t.Run("the dead letters are listed for an admin, by agency", func(t *testing.T) {
			all, err := o.ListMessages(ctx, notify.StatusDead, "", 10)
			if err != nil || fmt.Sprint(keys(all)) != "[dead]" {
				t.Fatalf("dead letters %v, %v", keys(all), err)
			}
			other, err := o.ListMessages(ctx, notify.StatusDead, core.NewID(), 10)
			if err != nil || len(other) != 0 {
				t.Fatalf("another agency's dead letters %v, %v", keys(other), err)
			}
			mine, err := o.ListMessages(ctx, "", dead.AgencyID, 10)
			if err != nil || fmt.Sprint(keys(mine)) != "[dead]" {
				t.Fatalf("the agency's messages %v, %v", keys(mine), err)
			}
		})

		t.Run("a retried dead letter is pending and due at once, with fresh attempts", func(t *testing.T) {
			at := now.Add(24 * time.Hour)
			if err := o.Retry(ctx, dead.ID, at); err != nil {
				t.Fatal(err)
			}
			m, _ := o.Message(ctx, dead.ID)
			if m.Status != notify.StatusPending || m.Attempts != 0 || !m.NextAttemptAt.Equal(at) {
				t.Fatalf("after retry: %s, %d attempts, next %s", m.Status, m.Attempts, m.NextAttemptAt)
			}
			claimed, err := o.ClaimDue(ctx, at, 10, time.Minute)
			if err != nil || fmt.Sprint(keys(claimed)) != "[failed dead]" && fmt.Sprint(keys(claimed)) != "[dead failed]" {
				t.Fatalf("claimed %v, %v", keys(claimed), err)
			}
		})

		t.Run("only a dead letter can be retried", func(t *testing.T) {
			for _, id := range []string{sent.ID, failed.ID, core.NewID()} {
				if err := o.Retry(ctx, id, now); !errors.Is(err, core.ErrNotFound) {
					t.Fatalf("retry %s = %v, want ErrNotFound", id, err)
				}
			}
		})
	})
}

// Senders in several processes share the outbox: every message goes to
// exactly one of them.
func TestConcurrentSendersClaimEachMessageOnce(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := notifystore.NewOutbox(d)
		var ms []notify.StoredMessage
		for i := range 60 {
			ms = append(ms, message(fmt.Sprintf("m%02d", i), now.Add(-time.Duration(i)*time.Second)))
		}
		enqueue(t, o, ms...)

		var mu sync.Mutex
		claims := map[string]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := o.ClaimDue(ctx, now, 5, time.Minute)
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						claims[m.DedupeKey]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("claim: %v", err)
		}
		var twice []string
		for k, n := range claims {
			if n != 1 {
				twice = append(twice, k)
			}
		}
		sort.Strings(twice)
		if len(claims) != 60 || len(twice) > 0 {
			t.Fatalf("%d of 60 messages claimed; claimed more than once: %v", len(claims), twice)
		}
	})
}

func TestReminders(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := notifystore.NewOutbox(d)
		due := func(at time.Time) []string {
			t.Helper()
			ids, err := o.DueReminders(ctx, at, 100)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		a, b := core.NewID(), core.NewID()
		if err := o.PlanReminder(ctx, a, 0, now); err != nil {
			t.Fatal(err)
		}

		t.Run("a reminder is due from its time on", func(t *testing.T) {
			if got := due(now.Add(-time.Second)); len(got) != 0 {
				t.Fatalf("due early: %v", got)
			}
			if got := due(now); fmt.Sprint(got) != fmt.Sprint([]string{a}) {
				t.Fatalf("due %v, want %s", got, a)
			}
		})
		t.Run("a sent reminder is not due again", func(t *testing.T) {
			if err := o.MarkReminded(ctx, a, 0); err != nil {
				t.Fatal(err)
			}
			if got := due(now.Add(time.Hour)); len(got) != 0 {
				t.Fatalf("due again: %v", got)
			}
		})
		t.Run("a moved meeting's reminder is due at its new time", func(t *testing.T) {
			if err := o.PlanReminder(ctx, a, 1, now.Add(48*time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got := due(now.Add(47 * time.Hour)); len(got) != 0 {
				t.Fatalf("due before the new time: %v", got)
			}
			if got := due(now.Add(48 * time.Hour)); fmt.Sprint(got) != fmt.Sprint([]string{a}) {
				t.Fatalf("due %v at the new time", got)
			}
		})
		t.Run("an older version arriving late does not move the plan back", func(t *testing.T) {
			if err := o.PlanReminder(ctx, a, 0, now); err != nil {
				t.Fatal(err)
			}
			if got := due(now.Add(time.Hour)); len(got) != 0 {
				t.Fatalf("the stale plan made it due: %v", got)
			}
		})
		t.Run("a dropped reminder is never due", func(t *testing.T) {
			if err := o.PlanReminder(ctx, b, 0, now); err != nil {
				t.Fatal(err)
			}
			if err := o.DropReminder(ctx, b); err != nil {
				t.Fatal(err)
			}
			for _, id := range due(now.Add(72 * time.Hour)) {
				if id == b {
					t.Fatalf("dropped reminder is due")
				}
			}
		})
	})
}

func TestCursorsAndConsumedEvents(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		o := notifystore.NewOutbox(d)
		if pos, err := o.Cursor(ctx, "notify<-booking"); err != nil || pos != 0 {
			t.Fatalf("a new consumer's cursor = %d, %v; want 0", pos, err)
		}
		for _, pos := range []int64{7, 3} {
			if err := o.SetCursor(ctx, "notify<-booking", pos); err != nil {
				t.Fatal(err)
			}
			if got, err := o.Cursor(ctx, "notify<-booking"); err != nil || got != pos {
				t.Fatalf("cursor = %d, %v; want %d", got, err, pos)
			}
		}
		if got, _ := o.Cursor(ctx, "notify<-intake"); got != 0 {
			t.Fatalf("consumers share a cursor: %d", got)
		}

		first, second := core.NewID(), core.NewID()
		for range 2 { // marking twice is fine
			if err := o.MarkConsumed(ctx, "notify<-booking", []string{first}, now); err != nil {
				t.Fatal(err)
			}
		}
		got, err := o.Consumed(ctx, "notify<-booking", []string{first, second})
		if err != nil || !got[first] || got[second] || len(got) != 1 {
			t.Fatalf("consumed = %v, %v; want only %s", got, err, first)
		}
		// Another consumer of the same events keeps its own record.
		if got, err := o.Consumed(ctx, "webhooks<-booking", []string{first, second}); err != nil || len(got) != 0 {
			t.Fatalf("another consumer sees %v, %v as consumed", got, err)
		}
		if got, err := o.Consumed(ctx, "notify<-booking", nil); err != nil || len(got) != 0 {
			t.Fatalf("consumed of nothing = %v, %v", got, err)
		}
	})
}
