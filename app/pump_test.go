package app

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-kit/log"
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
