package app

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db/consumerstore"
)

// PumpEvent is one event of a service's outbox as a pump passes it on.
type PumpEvent struct {
	Seq        int64
	ID         string
	Type       string
	AgencyID   string
	Payload    []byte
	OccurredAt time.Time // zero when unknown
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

// FailureStore keeps count of the events a consumer failed to apply and
// parks those it gives up on (db/consumerstore).
type FailureStore interface {
	// Failures returns which of ids consumer failed on: true when parked.
	Failures(ctx context.Context, consumer string, ids []string) (map[string]bool, error)
	RecordFailure(ctx context.Context, consumer, eventID string, seq int64, typ, errText string, park bool, maxAttempts int, at time.Time) (consumerstore.DeadEvent, error)
	// Clear forgets the failures of events now applied.
	Clear(ctx context.Context, consumer string, ids []string) error
	// RetriesDue lists parked events an administrator asked to retry.
	RetriesDue(ctx context.Context, consumer string, limit int) ([]consumerstore.DeadEvent, error)
}

// MaxAttempts is how many times by default a pump tries an event that keeps
// failing before it parks it and goes on.
const MaxAttempts = 10

// lookbackAge bounds lookback by time: an event behind the cursor that
// occurred longer ago than this is not read again. A transaction is never
// open that long, and the records of consumed events are pruned after
// ConsumedRetention, which is longer still, so an old event is never
// applied twice for want of its record.
const lookbackAge = 7 * 24 * time.Hour

// Pump reads one service's outbox by cursor and hands each event to Apply,
// which must be idempotent: events before the cursor are read again (see
// lookback), and a crash between Apply and saving the cursor repeats a few.
//
// An event Apply fails on is retried in order at the next poll, so its
// consumer waits. With Failures set, the wait is bounded: an event failing
// with a permanent error (PermanentError) is parked at once, and one that
// fails MaxAttempts times is parked then, unless it failed because
// something was unavailable (Unavailable), which is waited out however long
// it takes. A parked event is skipped and kept as a dead event, which an
// administrator can retry.
type Pump struct {
	Name     string
	Fetch    func(ctx context.Context, afterSeq int64, limit int) ([]PumpEvent, error)
	Apply    func(ctx context.Context, ev PumpEvent) error
	Cursors  CursorStore
	Failures FailureStore // nil: a failing event blocks its consumer until it succeeds
	// MaxAttempts is how many failures park an event; 0 means MaxAttempts.
	MaxAttempts int
	Clock       core.Clock // nil: the system clock
	Logger      log.Logger
}

func (p Pump) now() time.Time {
	if p.Clock == nil {
		return time.Now().UTC()
	}
	return p.Clock.Now()
}

func (p Pump) maxAttempts() int {
	if p.MaxAttempts <= 0 {
		return MaxAttempts
	}
	return p.MaxAttempts
}

// Poll applies the parked events an administrator asked to retry, then every
// new event, and advances the cursor. It returns how many events it read
// past the cursor: 0 when it found nothing new, so callers can poll until
// then.
func (p Pump) Poll(ctx context.Context) (int, error) {
	if p.Failures != nil {
		if err := p.retryParked(ctx); err != nil {
			return 0, err
		}
	}
	pos, err := p.Cursors.Cursor(ctx, p.Name)
	if err != nil {
		return 0, err
	}
	fetched, err := p.Fetch(ctx, max(0, pos-lookback), 500)
	if err != nil {
		return 0, err
	}
	oldest := p.now().Add(-lookbackAge)
	events := fetched[:0:0]
	for _, ev := range fetched {
		if ev.Seq <= pos && !ev.OccurredAt.IsZero() && ev.OccurredAt.Before(oldest) {
			continue
		}
		events = append(events, ev)
	}
	ids := make([]string, len(events))
	for i, ev := range events {
		ids[i] = ev.ID
	}
	consumed := map[string]bool{}
	seen, remembers := p.Cursors.(ConsumedStore)
	if remembers && len(events) > 0 {
		if consumed, err = seen.Consumed(ctx, p.Name, ids); err != nil {
			return 0, err
		}
	}
	// Only events not yet consumed can have failed: after the first poll
	// that is the new ones, not the whole lookback.
	var pending []string
	for _, id := range ids {
		if !consumed[id] {
			pending = append(pending, id)
		}
	}
	failures := map[string]bool{}
	if p.Failures != nil && len(pending) > 0 {
		if failures, err = p.Failures.Failures(ctx, p.Name, pending); err != nil {
			return 0, err
		}
	}
	start, fresh := pos, 0
	var applied, cleared []string
	var failed error
	for _, ev := range events {
		if ev.Seq > start {
			fresh++
		}
		if consumed[ev.ID] || failures[ev.ID] {
			pos = max(pos, ev.Seq) // applied before, or parked
			continue
		}
		err := p.Apply(ctx, ev)
		if err == nil {
			applied = append(applied, ev.ID)
			if _, failedBefore := failures[ev.ID]; failedBefore {
				cleared = append(cleared, ev.ID)
			}
			pos = max(pos, ev.Seq)
			continue
		}
		parked, ferr := p.fail(ctx, ev, err)
		if ferr == nil && parked {
			pos = max(pos, ev.Seq)
			continue
		}
		// Stop here: the cursor stays before the failed event, so it and
		// those after it are tried again at the next poll.
		failed = errors.Join(err, ferr)
		pos = max(pos, ev.Seq-1)
		break
	}
	// One write for the whole poll. Should it fail after the events were
	// applied, they are applied again later, which Apply tolerates.
	if remembers && len(applied) > 0 {
		if err := seen.MarkConsumed(ctx, p.Name, applied, time.Now().UTC()); err != nil {
			return 0, err
		}
	}
	if len(cleared) > 0 {
		if err := p.Failures.Clear(ctx, p.Name, cleared); err != nil {
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

// retryParked applies the parked events an administrator asked to retry. A
// retry that fails again is counted as before; it holds nothing else up.
func (p Pump) retryParked(ctx context.Context) error {
	due, err := p.Failures.RetriesDue(ctx, p.Name, 50)
	if err != nil {
		return err
	}
	for _, d := range due {
		evs, err := p.Fetch(ctx, d.Seq-1, 1)
		if err != nil {
			return err
		}
		if len(evs) == 0 || evs[0].ID != d.EventID {
			// Outboxes are not pruned, so this is a moved database.
			if _, err := p.fail(ctx, PumpEvent{Seq: d.Seq, ID: d.EventID, Type: d.Type},
				fmt.Errorf("the event is no longer in its outbox: %w", core.ErrNotFound)); err != nil {
				return err
			}
			continue
		}
		ev := evs[0]
		if err := p.Apply(ctx, ev); err != nil {
			if _, err := p.fail(ctx, ev, err); err != nil {
				return err
			}
			continue
		}
		if seen, ok := p.Cursors.(ConsumedStore); ok {
			if err := seen.MarkConsumed(ctx, p.Name, []string{ev.ID}, time.Now().UTC()); err != nil {
				return err
			}
		}
		if err := p.Failures.Clear(ctx, p.Name, []string{ev.ID}); err != nil {
			return err
		}
		_ = p.Logger.Log("level", "info", "msg", "retried dead event applied", "consumer", p.Name, "event_id", ev.ID, "type", ev.Type)
	}
	return nil
}

// fail records that Apply failed on ev and says whether ev is now parked.
func (p Pump) fail(ctx context.Context, ev PumpEvent, applyErr error) (bool, error) {
	if p.Failures == nil || Unavailable(applyErr) {
		return false, nil
	}
	msg := applyErr.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	rec, err := p.Failures.RecordFailure(ctx, p.Name, ev.ID, ev.Seq, ev.Type, msg, PermanentError(applyErr), p.maxAttempts(), p.now())
	if err != nil {
		return false, err
	}
	if rec.ParkedAt == nil {
		return false, nil
	}
	// The payload holds personal data: the event is named by id and type.
	_ = p.Logger.Log("level", "warn", "msg", "event parked as dead", "consumer", p.Name, "event_id", ev.ID, "type", ev.Type,
		"seq", ev.Seq, "attempts", rec.Attempts, "err", applyErr)
	return true, nil
}

// PermanentError tells whether trying an event again cannot help: it names
// something that does not exist, is invalid, or cannot be decoded.
func PermanentError(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.Is(err, core.ErrNotFound) || errors.Is(err, core.ErrInvalid) ||
		errors.As(err, &syntax) || errors.As(err, &typ)
}

// Unavailable tells whether err says something the consumer needs was out
// of reach or busy — the database, another service, the caller's credential
// — rather than anything about the event. Such failures do not count
// towards parking: an outage would otherwise park every event it touched.
func Unavailable(err error) bool {
	var netErr net.Error
	return errors.Is(err, core.ErrUnavailable) || errors.Is(err, core.ErrRateLimited) ||
		errors.Is(err, core.ErrConflict) || errors.Is(err, core.ErrPrecondition) ||
		errors.Is(err, core.ErrUnauthenticated) || errors.Is(err, core.ErrForbidden) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.As(err, &netErr)
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
