package app

import (
	"context"
	"time"

	"github.com/go-kit/log"
)

// PumpEvent is one event of a service's outbox as a pump passes it on.
type PumpEvent struct {
	Seq     int64
	ID      string
	Type    string
	Payload []byte
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

// Poll applies every new event and advances the cursor; it returns how many
// events it read.
func (p Pump) Poll(ctx context.Context) (int, error) {
	pos, err := p.Cursors.Cursor(ctx, p.Name)
	if err != nil {
		return 0, err
	}
	events, err := p.Fetch(ctx, max(0, pos-lookback), 500)
	if err != nil {
		return 0, err
	}
	for _, ev := range events {
		if err := p.Apply(ctx, ev); err != nil {
			// Stop here: the cursor stays before the failed event, so it is
			// tried again at the next poll.
			_ = p.Cursors.SetCursor(ctx, p.Name, max(pos, ev.Seq-1))
			return 0, err
		}
		pos = max(pos, ev.Seq)
	}
	return len(events), p.Cursors.SetCursor(ctx, p.Name, pos)
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
