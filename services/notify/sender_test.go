package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
)

// memoryOutbox is an OutboxRepository in memory, leasing as the stores do.
type memoryOutbox struct {
	mu   sync.Mutex
	msgs map[string]*notify.StoredMessage
}

func (o *memoryOutbox) Enqueue(_ context.Context, ms []notify.StoredMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range ms {
		o.msgs[m.ID] = &m
	}
	return nil
}

func (o *memoryOutbox) ClaimDue(_ context.Context, now time.Time, limit int, lease time.Duration) ([]notify.StoredMessage, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []*notify.StoredMessage
	for _, m := range o.msgs {
		if m.Status == notify.StatusPending && !m.NextAttemptAt.After(now) {
			due = append(due, m)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].DedupeKey < due[j].DedupeKey })
	var out []notify.StoredMessage
	for _, m := range due[:min(limit, len(due))] {
		out = append(out, *m)
		m.NextAttemptAt = now.Add(lease)
	}
	return out, nil
}

func (o *memoryOutbox) MarkSent(_ context.Context, id string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id]
	m.Status, m.SentAt, m.Attempts = notify.StatusSent, &at, m.Attempts+1
	return nil
}

func (o *memoryOutbox) MarkFailed(_ context.Context, id string, attempts int, next time.Time, lastError string, dead bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id]
	m.Attempts, m.NextAttemptAt, m.LastError = attempts, next, lastError
	if dead {
		m.Status = notify.StatusDead
	}
	return nil
}

func (o *memoryOutbox) ListMessages(context.Context, string, string, int) ([]notify.StoredMessage, error) {
	return nil, nil
}

func (o *memoryOutbox) Message(_ context.Context, id string) (notify.StoredMessage, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m, ok := o.msgs[id]; ok {
		return *m, nil
	}
	return notify.StoredMessage{}, core.ErrNotFound
}

func (o *memoryOutbox) MessageByKey(context.Context, string) (notify.StoredMessage, error) {
	return notify.StoredMessage{}, core.ErrNotFound
}

func (o *memoryOutbox) Retry(context.Context, string, time.Time) error { return nil }

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// relay is a Mailer that answers with err and takes took of the clock.
type relay struct {
	clock *stepClock
	took  time.Duration
	err   error
	mu    sync.Mutex
	ids   []string // the Message-IDs it was given
}

func (r *relay) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	r.ids = append(r.ids, m.MessageID)
	r.mu.Unlock()
	r.clock.Advance(r.took)
	return r.err
}

var t0 = time.Date(2027, 3, 22, 6, 0, 0, 0, time.UTC)

func stored(n int, attempts int) *memoryOutbox {
	o := &memoryOutbox{msgs: map[string]*notify.StoredMessage{}}
	for i := range n {
		body, _ := json.Marshal(notify.Message{From: notify.Address{Email: "bokning@exempelby.se"},
			To: []notify.Address{{Email: "karin@example.se"}}, Subject: "Bokat", Text: "Bokat."})
		id := core.NewID()
		o.msgs[id] = &notify.StoredMessage{ID: id, DedupeKey: fmt.Sprintf("m%02d", i), Channel: notify.ChannelEmail,
			Recipient: "karin@example.se", MessageID: fmt.Sprintf("<m%02d@exempelby.se>", i), Body: body,
			Status: notify.StatusPending, Attempts: attempts, NextAttemptAt: t0, CreatedAt: t0}
	}
	return o
}

func (o *memoryOutbox) only(t *testing.T) notify.StoredMessage {
	t.Helper()
	if len(o.msgs) != 1 {
		t.Fatalf("%d messages", len(o.msgs))
	}
	for _, m := range o.msgs {
		return *m
	}
	panic("unreachable")
}

func TestSenderOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		attempts int   // before this one
		err      error // the relay's answer
		status   string
		next     [2]time.Duration // the next attempt's window after now
	}{
		{"a delivered message is sent", 0, nil, notify.StatusSent, [2]time.Duration{}},
		{"a refused message is dead after one attempt", 0, fmt.Errorf("550: %w", notify.ErrPermanent), notify.StatusDead, [2]time.Duration{}},
		{"a failed message waits 30 seconds and a little", 0, fmt.Errorf("421: %w", core.ErrUnavailable), notify.StatusPending,
			[2]time.Duration{30 * time.Second, 36 * time.Second}},
		{"the seventh failure waits four hours and a little", 6, fmt.Errorf("421: %w", core.ErrUnavailable), notify.StatusPending,
			[2]time.Duration{4 * time.Hour, 4*time.Hour + 48*time.Minute}},
		{"after the last retry a message is dead", 8, fmt.Errorf("421: %w", core.ErrUnavailable), notify.StatusDead, [2]time.Duration{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &stepClock{t: t0}
			o := stored(1, tc.attempts)
			s := notify.Sender{Repo: o, Mailer: &relay{clock: clock, err: tc.err}, Clock: clock}
			if _, err := s.SendDue(context.Background(), 10); err != nil {
				t.Fatal(err)
			}
			m := o.only(t)
			if m.Status != tc.status || m.Attempts != tc.attempts+1 {
				t.Fatalf("%s after %d attempts, want %s after %d", m.Status, m.Attempts, tc.status, tc.attempts+1)
			}
			if tc.status == notify.StatusPending {
				wait := m.NextAttemptAt.Sub(clock.Now())
				if wait < tc.next[0] || wait > tc.next[1] {
					t.Fatalf("next attempt in %s, want %s to %s", wait, tc.next[0], tc.next[1])
				}
			}
		})
	}
}

func TestEveryAttemptCarriesTheStoredMessageID(t *testing.T) {
	clock := &stepClock{t: t0}
	o := stored(1, 0)
	r := &relay{clock: clock, err: core.ErrUnavailable}
	s := notify.Sender{Repo: o, Mailer: r, Clock: clock}
	for range 3 {
		if _, err := s.SendDue(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
	}
	if len(r.ids) != 3 || r.ids[0] != "<m00@exempelby.se>" || r.ids[1] != r.ids[0] || r.ids[2] != r.ids[0] {
		t.Fatalf("Message-IDs per attempt: %v", r.ids)
	}
}

// A relay so slow that the batch outlasts the lease would let a second
// sender claim messages the first is still sending.
func TestASlowRelayEndsTheBatchAtHalfTheLease(t *testing.T) {
	clock := &stepClock{t: t0}
	o := stored(5, 0)
	s := notify.Sender{Repo: o, Mailer: &relay{clock: clock, took: 25 * time.Second}, Clock: clock, Lease: 2 * time.Minute}
	sent, err := s.SendDue(context.Background(), 10)
	if err != nil || sent != 3 {
		t.Fatalf("sent %d, %v; want 3 (started at 0, 25 and 50 seconds of a 2-minute lease)", sent, err)
	}
	// The two left wait for the lease to run out, then go.
	if n, _ := s.SendDue(context.Background(), 10); n != 0 {
		t.Fatalf("sent %d within the lease", n)
	}
	clock.t = t0.Add(2 * time.Minute)
	total := 0
	for {
		n, err := s.SendDue(context.Background(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if total += n; n == 0 {
			break
		}
	}
	if total != 2 {
		t.Fatalf("after the lease sent %d, want the 2 left", total)
	}
}
