package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/consumerstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/services/intake"
)

// memoryCursors is a CursorStore and ConsumedStore in memory that counts
// its writes.
type memoryCursors struct {
	pos      map[string]int64
	consumed map[string]bool
	writes   int
}

func newMemoryCursors() *memoryCursors {
	return &memoryCursors{pos: map[string]int64{}, consumed: map[string]bool{}}
}

func (m *memoryCursors) Cursor(_ context.Context, consumer string) (int64, error) {
	return m.pos[consumer], nil
}

func (m *memoryCursors) SetCursor(_ context.Context, consumer string, position int64) error {
	m.writes++
	m.pos[consumer] = position
	return nil
}

func (m *memoryCursors) Consumed(_ context.Context, consumer string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		if m.consumed[consumer+"/"+id] {
			out[id] = true
		}
	}
	return out, nil
}

func (m *memoryCursors) MarkConsumed(_ context.Context, consumer string, ids []string, _ time.Time) error {
	m.writes++
	for _, id := range ids {
		m.consumed[consumer+"/"+id] = true
	}
	return nil
}

// outbox is a service's event log: Fetch returns every event after seq.
type outbox []PumpEvent

func (o *outbox) add(n int) {
	for range n {
		seq := int64(len(*o) + 1)
		*o = append(*o, PumpEvent{Seq: seq, ID: fmt.Sprintf("ev%d", seq), Type: "appointment.booked"})
	}
}

func (o *outbox) fetch(_ context.Context, after int64, limit int) ([]PumpEvent, error) {
	var out []PumpEvent
	for _, ev := range *o {
		if ev.Seq > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func TestPump(t *testing.T) {
	ctx := context.Background()
	newPump := func(name string, events *outbox, cursors *memoryCursors, applied map[string]int, fail map[string]bool) Pump {
		return Pump{Name: name, Fetch: events.fetch, Cursors: cursors, Logger: log.NewNopLogger(),
			Apply: func(_ context.Context, ev PumpEvent) error {
				if fail[ev.ID] {
					return errors.New("unavailable")
				}
				applied[ev.ID]++
				return nil
			}}
	}

	t.Run("each event is applied once although polls read events again", func(t *testing.T) {
		events, cursors, applied := &outbox{}, newMemoryCursors(), map[string]int{}
		p := newPump("notify<-booking", events, cursors, applied, nil)
		events.add(3)
		if n, err := p.Poll(ctx); n != 3 || err != nil {
			t.Fatalf("first poll = %d, %v; want 3 new", n, err)
		}
		events.add(2)
		if n, err := p.Poll(ctx); n != 2 || err != nil {
			t.Fatalf("second poll = %d, %v; want the 2 new ones only", n, err)
		}
		for id, n := range applied {
			if n != 1 {
				t.Fatalf("%s applied %d times", id, n)
			}
		}
		if len(applied) != 5 {
			t.Fatalf("applied %v", applied)
		}
	})

	t.Run("an idle poll finds nothing new and writes nothing", func(t *testing.T) {
		events, cursors, applied := &outbox{}, newMemoryCursors(), map[string]int{}
		p := newPump("notify<-booking", events, cursors, applied, nil)
		events.add(4)
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		writes := cursors.writes
		for range 3 {
			if n, err := p.Poll(ctx); n != 0 || err != nil {
				t.Fatalf("idle poll = %d, %v", n, err)
			}
		}
		if cursors.writes != writes {
			t.Fatalf("idle polls wrote %d times", cursors.writes-writes)
		}
	})

	t.Run("consumers sharing a store each apply every event", func(t *testing.T) {
		events, cursors := &outbox{}, newMemoryCursors()
		notified, hooked := map[string]int{}, map[string]int{}
		events.add(2)
		for _, p := range []Pump{
			newPump("webhooks<-booking", events, cursors, hooked, nil),
			newPump("notify<-booking", events, cursors, notified, nil),
		} {
			if n, err := p.Poll(ctx); n != 2 || err != nil {
				t.Fatalf("%s: %d, %v", p.Name, n, err)
			}
		}
		if len(notified) != 2 || len(hooked) != 2 {
			t.Fatalf("notify applied %v, webhooks %v; want both events each", notified, hooked)
		}
	})

	t.Run("a failed event and those after it are tried again at the next poll", func(t *testing.T) {
		events, cursors, applied := &outbox{}, newMemoryCursors(), map[string]int{}
		fail := map[string]bool{"ev2": true}
		p := newPump("notify<-booking", events, cursors, applied, fail)
		events.add(3)
		if _, err := p.Poll(ctx); err == nil {
			t.Fatal("the failure was not reported")
		}
		if cursors.pos[p.Name] != 1 || applied["ev3"] != 0 {
			t.Fatalf("cursor %d, applied %v; want the cursor before ev2 and ev3 waiting", cursors.pos[p.Name], applied)
		}
		delete(fail, "ev2")
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if applied["ev1"] != 1 || applied["ev2"] != 1 || applied["ev3"] != 1 || cursors.pos[p.Name] != 3 {
			t.Fatalf("applied %v, cursor %d", applied, cursors.pos[p.Name])
		}
	})

	t.Run("an event that becomes visible behind the cursor is still applied", func(t *testing.T) {
		// On PostgreSQL a slow transaction's event can surface after later
		// ones were read.
		events, cursors, applied := &outbox{}, newMemoryCursors(), map[string]int{}
		p := newPump("notify<-booking", events, cursors, applied, nil)
		events.add(3)
		late := (*events)[1]
		*events = append((*events)[:1], (*events)[2:]...)
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		*events = append(*events, late)
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if applied[late.ID] != 1 || len(applied) != 3 {
			t.Fatalf("applied %v; want the late event once too", applied)
		}
	})
}

// failingApply applies events and counts them, failing those named in fail
// with their error.
type failingApply struct {
	mu      sync.Mutex
	applied map[string]int
	fail    map[string]error
}

func (f *failingApply) apply(_ context.Context, ev PumpEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail[ev.ID]; err != nil {
		return err
	}
	f.applied[ev.ID]++
	return nil
}

func (f *failingApply) check(ev PumpEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fail[ev.ID]
}

func (f *failingApply) set(id string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[id] = err
}

// syncBuffer is a log sink safe for the pump and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPumpParksPoisonEvents runs pumps over the real stores of both
// services: notify's, which remembers consumed events, and intake's, whose
// consumer relies on Apply's own records.
func TestPumpParksPoisonEvents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		for _, service := range []string{"notify", "intake"} {
			t.Run(service, func(t *testing.T) { testParking(t, d, service) })
		}
	})
}

func testParking(t *testing.T, d *db.DB, service string) {
	ctx := context.Background()
	records := consumerstore.New(d, service)
	var cursors CursorStore = notifystore.NewOutbox(d)
	if service == "intake" {
		cursors = intakestore.New(d)
	}
	const limit = 3
	n := 0
	setup := func() (string, *outbox, *failingApply, *syncBuffer, func() Pump) {
		n++
		name := fmt.Sprintf("%s-test-%d", service, n)
		events, f, logs := &outbox{}, &failingApply{applied: map[string]int{}, fail: map[string]error{}}, &syncBuffer{}
		apply := f.apply
		if service == "intake" {
			// Intake's consumer is idempotent through its store's records.
			apply = func(ctx context.Context, ev PumpEvent) error {
				if err := f.check(ev); err != nil {
					return err
				}
				return intakestore.New(d).ApplyOnce(ctx, ev.ID, func(intake.Repository) error { return f.apply(ctx, ev) })
			}
		}
		return name, events, f, logs, func() Pump {
			return Pump{Name: name, Fetch: events.fetch, Apply: apply, Cursors: cursors, Failures: records,
				MaxAttempts: limit, Logger: log.NewLogfmtLogger(logs)}
		}
	}
	// uuids: the event ids of a real outbox.
	add := func(events *outbox, k int) []string {
		ids := make([]string, k)
		for i := range ids {
			seq := int64(len(*events) + 1)
			ids[i] = core.NewID()
			*events = append(*events, PumpEvent{Seq: seq, ID: ids[i], Type: "appointment.booked",
				Payload: []byte(`{"citizen":"Anna Andersson"}`), OccurredAt: time.Now().UTC()})
		}
		return ids
	}
	parked := func(t *testing.T, name string) []consumerstore.DeadEvent {
		t.Helper()
		list, err := records.DeadEvents(ctx, name, 100)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}

	t.Run("an event that always fails is parked at the limit and the next is applied", func(t *testing.T) {
		name, events, f, logs, pump := setup()
		ids := add(events, 3)
		f.set(ids[1], errors.New("template missing"))
		p := pump()
		for i := 1; i < limit; i++ {
			if _, err := p.Poll(ctx); err == nil {
				t.Fatalf("poll %d reported no failure", i)
			}
			if f.applied[ids[2]] != 0 || len(parked(t, name)) != 0 {
				t.Fatalf("after %d failures the next event was applied or the event parked", i)
			}
		}
		if _, err := p.Poll(ctx); err != nil {
			t.Fatalf("the poll that parks: %v", err)
		}
		if f.applied[ids[0]] != 1 || f.applied[ids[2]] != 1 {
			t.Fatalf("applied %v; want the events around the parked one", f.applied)
		}
		list := parked(t, name)
		if len(list) != 1 || list[0].EventID != ids[1] || list[0].Attempts != limit || list[0].LastError != "template missing" {
			t.Fatalf("dead events = %+v", list)
		}
		out := logs.String()
		for _, want := range []string{"level=warn", "consumer=" + name, "event_id=" + ids[1], "type=appointment.booked"} {
			if !strings.Contains(out, want) {
				t.Fatalf("the log lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "Anna") {
			t.Fatalf("the log shows the payload:\n%s", out)
		}
		// Read again by lookback, the parked event stays parked and nothing
		// is applied twice.
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if f.applied[ids[1]] != 0 || f.applied[ids[2]] != 1 || len(parked(t, name)) != 1 {
			t.Fatalf("a later poll applied %v", f.applied)
		}
	})

	t.Run("a permanent error parks at once", func(t *testing.T) {
		for _, err := range []error{
			fmt.Errorf("appointment: %w", core.ErrNotFound),
			core.Invalid("payload", "must be JSON"),
			json.Unmarshal([]byte("{"), &struct{}{}),
		} {
			name, events, f, _, pump := setup()
			ids := add(events, 2)
			f.set(ids[0], err)
			if _, perr := pump().Poll(ctx); perr != nil {
				t.Fatalf("%v: poll = %v", err, perr)
			}
			if list := parked(t, name); len(list) != 1 || list[0].Attempts != 1 || f.applied[ids[1]] != 1 {
				t.Fatalf("%v: dead %+v, applied %v; want parked after one attempt", err, list, f.applied)
			}
		}
	})

	t.Run("a transient error does not park", func(t *testing.T) {
		name, events, f, _, pump := setup()
		ids := add(events, 2)
		f.set(ids[0], fmt.Errorf("booking: %w", core.ErrUnavailable))
		p := pump()
		for range 3 * limit {
			if _, err := p.Poll(ctx); !errors.Is(err, core.ErrUnavailable) {
				t.Fatalf("poll = %v; want the failure reported", err)
			}
		}
		if list := parked(t, name); len(list) != 0 || len(f.applied) != 0 {
			t.Fatalf("while unavailable: dead %+v, applied %v; want nothing parked or passed", list, f.applied)
		}
		got, err := records.Failures(ctx, name, ids)
		if err != nil || len(got) != 0 {
			t.Fatalf("failures counted while unavailable: %v, %v", got, err)
		}
		f.set(ids[0], nil)
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if f.applied[ids[0]] != 1 || f.applied[ids[1]] != 1 {
			t.Fatalf("after recovery applied %v", f.applied)
		}
	})

	t.Run("an event that fails fewer times than the limit is applied in order, its count forgotten", func(t *testing.T) {
		name, events, f, _, pump := setup()
		ids := add(events, 2)
		f.set(ids[0], errors.New("flaky"))
		p := pump()
		if _, err := p.Poll(ctx); err == nil {
			t.Fatal("no failure reported")
		}
		f.set(ids[0], nil)
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := records.Failures(ctx, name, ids)
		if err != nil || len(got) != 0 || f.applied[ids[0]] != 1 || f.applied[ids[1]] != 1 {
			t.Fatalf("failures %v (%v), applied %v", got, err, f.applied)
		}
	})

	t.Run("a restart keeps the attempts", func(t *testing.T) {
		name, events, f, _, pump := setup()
		ids := add(events, 2)
		f.set(ids[0], errors.New("bug"))
		for range limit - 1 {
			if _, err := pump().Poll(ctx); err == nil {
				t.Fatal("no failure reported")
			}
		}
		// A new pump, as after a restart, over the same store.
		if _, err := pump().Poll(ctx); err != nil {
			t.Fatalf("the restarted pump: %v", err)
		}
		if list := parked(t, name); len(list) != 1 || list[0].Attempts != limit || f.applied[ids[1]] != 1 {
			t.Fatalf("dead %+v, applied %v; want parked at the limit across the restart", list, f.applied)
		}
	})

	t.Run("a retried parked event is applied once", func(t *testing.T) {
		name, events, f, _, pump := setup()
		ids := add(events, 2)
		f.set(ids[0], core.Invalid("payload", "bad"))
		p := pump()
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		// Retried while still failing, it is parked again.
		if _, err := records.RequestRetry(ctx, name, ids[0], time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if list := parked(t, name); len(list) != 1 || list[0].RetryAt != nil {
			t.Fatalf("a failed retry left %+v", list)
		}
		// Mended and retried, it is applied, once, and forgotten.
		f.set(ids[0], nil)
		if _, err := records.RequestRetry(ctx, name, ids[0], time.Now()); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := p.Poll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if f.applied[ids[0]] != 1 || f.applied[ids[1]] != 1 || len(parked(t, name)) != 0 {
			t.Fatalf("applied %v, dead %+v", f.applied, parked(t, name))
		}
		if _, err := records.RequestRetry(ctx, name, ids[0], time.Now()); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("retry of an applied event = %v, want not found", err)
		}
	})
}

func TestLookbackSkipsOldEvents(t *testing.T) {
	// Once the records of old events are pruned, reading them again would
	// apply them twice: lookback reads nothing older than lookbackAge.
	ctx := context.Background()
	events, cursors, applied := &outbox{}, newMemoryCursors(), map[string]int{}
	p := Pump{Name: "notify<-booking", Fetch: events.fetch, Cursors: cursors, Logger: log.NewNopLogger(),
		Apply: func(_ context.Context, ev PumpEvent) error { applied[ev.ID]++; return nil }}
	events.add(2)
	(*events)[0].OccurredAt = time.Now().Add(-lookbackAge - time.Hour)
	(*events)[1].OccurredAt = time.Now().Add(-time.Minute)
	if _, err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	clear(cursors.consumed) // as pruning would, were they old enough
	if _, err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if applied["ev1"] != 1 || applied["ev2"] != 2 {
		t.Fatalf("applied %v; want the old event once, the recent one read again", applied)
	}
}
