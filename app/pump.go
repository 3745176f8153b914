package app

import (
	"context"
	"time"

	"github.com/go-kit/log"
)

// PumpEvent is one event of a service's outbox as a pump passes it on.
type PumpEvent struct {
	Seq      int64
	ID       string
	Type     string
	AgencyID string
	Payload  []byte
}

// ConsumedStore remembers which events each consumer has applied. A pump
// whose Cursors also implement it skips what it applied before, so the
// events it reads again (see lookback) cost one query instead of their whole
// work. Consumers sharing a store keep separate records: one consumer's
// event is not another's.
type ConsumedStore interface {
	// Consumed returns which of ids consumer has marked consumed.
	Consumed(ctx context.Context, consumer string, ids []string) (map[string]bool, error)
	MarkConsumed(ctx context.Context, consumer string, ids []string, at time.Time) error
}

// Pump reads one service's outbox by cursor and hands each event to Apply,
// which must be idempotent: events before the cursor are read again (see
// lookback), and a crash between Apply and saving the cursor repeats a few.
type Pump struct {
	Name    string
	Fetch   func(ctx context.Context, afterSeq int64, limit int) ([]PumpEvent, error)
	Apply   func(ctx context.Context, ev PumpEvent) error
	Cursors CursorStore
	Logger  log.Logger
}

// Poll applies every new event and advances the cursor. It returns how many
// events it read past the cursor: 0 when it found nothing new, so callers
// can poll until then.
func (p Pump) Poll(ctx context.Context) (int, error) {
	pos, err := p.Cursors.Cursor(ctx, p.Name)
	if err != nil {
		return 0, err
	}
	events, err := p.Fetch(ctx, max(0, pos-lookback), 500)
	if err != nil {
		return 0, err
	}
	consumed := map[string]bool{}
	seen, remembers := p.Cursors.(ConsumedStore)
	if remembers && len(events) > 0 {
		ids := make([]string, len(events))
		for i, ev := range events {
			ids[i] = ev.ID
		}
		if consumed, err = seen.Consumed(ctx, p.Name, ids); err != nil {
			return 0, err
		}
	}
	start, fresh := pos, 0
	var applied []string
	var failed error
	for _, ev := range events {
		if ev.Seq > start {
			fresh++
		}
		if consumed[ev.ID] {
			pos = max(pos, ev.Seq)
			continue
		}
		if failed = p.Apply(ctx, ev); failed != nil {
			// Stop here: the cursor stays before the failed event, so it
			// and those after it are tried again at the next poll.
			pos = max(pos, ev.Seq-1)
			break
		}
		applied = append(applied, ev.ID)
		pos = max(pos, ev.Seq)
	}
	// One write for the whole poll. Should it fail after the events were
	// applied, they are applied again later, which Apply tolerates.
	if remembers && len(applied) > 0 {
		if err := seen.MarkConsumed(ctx, p.Name, applied, time.Now().UTC()); err != nil {
			return 0, err
		}
	}
	if pos != start {
		if err := p.Cursors.SetCursor(ctx, p.Name, pos); err != nil {
			return 0, err
		}
	}
	if failed != nil {
		return 0, failed
	}
	return fresh, nil
}

// Run polls every interval until ctx ends, logging failures.
func (p Pump) Run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() {
		if _, err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			_ = p.Logger.Log("level", "warn", "msg", "consume events", "consumer", p.Name, "err", err)
		}
	})
}

// every runs f at once and then every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
