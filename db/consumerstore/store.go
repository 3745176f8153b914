// Package consumerstore keeps what the consumers of a service's events record
// besides their cursors: the events they failed to apply (counted while they
// are retried, then parked as dead events an administrator can retry), and
// the pruning of the records of events they consumed. Each service that runs
// consumers has its own tables (notify_*, intake_*); the SQL is the same.
package consumerstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
)

// DeadEvent is an event a consumer failed to apply. ParkedAt is nil while
// the consumer still retries it in order; RetryAt is set when an
// administrator asked for a parked event to be applied again.
type DeadEvent struct {
	Consumer  string     `db:"consumer"`
	EventID   string     `db:"event_id"`
	Seq       int64      `db:"seq"`
	Type      string     `db:"type"`
	Attempts  int        `db:"attempts"`
	LastError string     `db:"last_error"`
	FailedAt  time.Time  `db:"failed_at"`
	ParkedAt  *time.Time `db:"parked_at"`
	RetryAt   *time.Time `db:"retry_at"`
}

func (e DeadEvent) utc() DeadEvent {
	e.FailedAt = e.FailedAt.UTC()
	for _, t := range []**time.Time{&e.ParkedAt, &e.RetryAt} {
		if *t != nil {
			u := (**t).UTC()
			*t = &u
		}
	}
	return e
}

// Store is one service's consumer records.
type Store struct {
	db       *db.DB
	dead     string // table of failed and parked events
	consumed string // table of consumed events, pruned by age
}

// New returns the consumer records of service, "notify" or "intake".
func New(d *db.DB, service string) *Store {
	switch service {
	case "notify", "intake":
	default:
		panic("consumerstore: no consumer tables for " + service)
	}
	return &Store{db: d, dead: service + "_dead_events", consumed: service + "_consumed"}
}

const columns = `consumer, event_id, seq, type, attempts, last_error, failed_at, parked_at, retry_at`

// Failures returns which of ids consumer failed on before: true for parked
// ones, false for those still retried in order.
func (s *Store) Failures(ctx context.Context, consumer string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT event_id, parked_at IS NOT NULL FROM `+s.dead+` WHERE consumer = ? AND event_id IN (?)`, consumer, ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryxContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, db.MapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var parked bool
		if err := rows.Scan(&id, &parked); err != nil {
			return nil, db.MapError(err)
		}
		out[id] = parked
	}
	return out, db.MapError(rows.Err())
}

// RecordFailure counts one failed attempt of consumer at the event and parks
// it when park is true or the attempts reach maxAttempts; it returns the
// record as it now stands. Counting in the database keeps the attempts across
// restarts and replicas.
func (s *Store) RecordFailure(ctx context.Context, consumer, eventID string, seq int64, typ, errText string, park bool, maxAttempts int, at time.Time) (DeadEvent, error) {
	var out DeadEvent
	at = at.UTC()
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO `+s.dead+` (consumer, event_id, seq, type, attempts, last_error, failed_at)
			VALUES (?, ?, ?, ?, 1, ?, ?)
			ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = `+s.dead+`.attempts + 1,
				last_error = excluded.last_error, failed_at = excluded.failed_at`),
			consumer, eventID, seq, typ, errText, at); err != nil {
			return db.MapError(err)
		}
		if err := tx.GetContext(ctx, &out, tx.Rebind(`SELECT `+columns+` FROM `+s.dead+` WHERE consumer = ? AND event_id = ?`), consumer, eventID); err != nil {
			return db.MapError(err)
		}
		if !park && out.Attempts < maxAttempts {
			return nil
		}
		// Parked, or parked again after a retry that failed too.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+s.dead+` SET parked_at = ?, retry_at = NULL WHERE consumer = ? AND event_id = ?`),
			at, consumer, eventID); err != nil {
			return db.MapError(err)
		}
		out.ParkedAt, out.RetryAt = &at, nil
		return nil
	})
	return out.utc(), err
}

// Clear forgets consumer's failures of events it has now applied.
func (s *Store) Clear(ctx context.Context, consumer string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`DELETE FROM `+s.dead+` WHERE consumer = ? AND event_id IN (?)`, consumer, ids)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
		return db.MapError(err)
	})
}

// RetriesDue lists consumer's parked events an administrator asked to retry,
// oldest event first.
func (s *Store) RetriesDue(ctx context.Context, consumer string, limit int) ([]DeadEvent, error) {
	var out []DeadEvent
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+columns+` FROM `+s.dead+`
		WHERE consumer = ? AND retry_at IS NOT NULL ORDER BY seq LIMIT ?`), consumer, limit)
	for i := range out {
		out[i] = out[i].utc()
	}
	return out, db.MapError(err)
}

// DeadEvents lists parked events, of one consumer or ("") all, the latest
// parked first.
func (s *Store) DeadEvents(ctx context.Context, consumer string, limit int) ([]DeadEvent, error) {
	var out []DeadEvent
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+columns+` FROM `+s.dead+`
		WHERE parked_at IS NOT NULL AND (? = '' OR consumer = ?) ORDER BY parked_at DESC, consumer, seq DESC LIMIT ?`),
		consumer, consumer, limit)
	for i := range out {
		out[i] = out[i].utc()
	}
	return out, db.MapError(err)
}

// RequestRetry asks consumer to apply a parked event again at its next poll,
// with its attempts counted afresh.
func (s *Store) RequestRetry(ctx context.Context, consumer, eventID string, at time.Time) (DeadEvent, error) {
	var out DeadEvent
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+s.dead+` SET retry_at = ?, attempts = 0
			WHERE consumer = ? AND event_id = ? AND parked_at IS NOT NULL`), at.UTC(), consumer, eventID)
		if err != nil {
			return db.MapError(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return db.MapError(err)
		} else if n == 0 {
			return fmt.Errorf("no parked event %s of %s: %w", eventID, consumer, core.ErrNotFound)
		}
		return db.MapError(tx.GetContext(ctx, &out, tx.Rebind(`SELECT `+columns+` FROM `+s.dead+` WHERE consumer = ? AND event_id = ?`), consumer, eventID))
	})
	return out.utc(), err
}

// CountParked returns how many events each consumer has parked.
func (s *Store) CountParked(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Consumer string `db:"consumer"`
		N        int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT consumer, count(*) AS n FROM `+s.dead+` WHERE parked_at IS NOT NULL GROUP BY consumer`); err != nil {
		return nil, db.MapError(err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Consumer] = r.N
	}
	return out, nil
}

// PruneConsumed deletes the records of events consumed before before, and
// returns how many it deleted.
func (s *Store) PruneConsumed(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM `+s.consumed+` WHERE consumed_at < ?`), before.UTC())
		if err != nil {
			return db.MapError(err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
