// Package idemstore keeps the answers to requests that carried an
// Idempotency-Key (httpkit.Idempotent) in the table http_idempotency, on
// both dialects. The SQL is the same on both: INSERT ... ON CONFLICT DO
// NOTHING on the primary key (principal, key) is what lets exactly one of
// many concurrent requests reserve a key.
package idemstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// Store implements httpkit.IdempotencyStore.
type Store struct {
	db *db.DB
}

// New returns a store on d.
func New(d *db.DB) *Store { return &Store{db: d} }

var _ httpkit.IdempotencyStore = (*Store)(nil)

type row struct {
	Key         string    `db:"key"`
	Principal   string    `db:"principal"`
	Route       string    `db:"route"`
	RequestHash string    `db:"request_hash"`
	Status      int       `db:"status"`
	ContentType string    `db:"content_type"`
	Headers     string    `db:"headers"`
	Body        []byte    `db:"body"`
	CreatedAt   time.Time `db:"created_at"`
}

func (r row) record() (httpkit.IdempotencyRecord, error) {
	rec := httpkit.IdempotencyRecord{
		Principal: r.Principal, Key: r.Key, Route: r.Route, RequestHash: r.RequestHash,
		Status: r.Status, ContentType: r.ContentType, Body: r.Body, CreatedAt: r.CreatedAt.UTC(),
	}
	if r.Headers != "" {
		if err := json.Unmarshal([]byte(r.Headers), &rec.Header); err != nil {
			return httpkit.IdempotencyRecord{}, fmt.Errorf("idempotency record %s: headers: %w", r.Key, err)
		}
	}
	return rec, nil
}

// stamp is how a reservation's time is written and matched: UTC, and
// microseconds, which is all PostgreSQL keeps.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

const columns = `key, principal, route, request_hash, status, content_type, headers, body, created_at`

// Begin deletes a stale record for the key, then tries to insert rec; when
// the insert does nothing, another record holds the key and is returned.
func (s *Store) Begin(ctx context.Context, rec httpkit.IdempotencyRecord, cut httpkit.IdempotencyCutoffs) (httpkit.IdempotencyRecord, bool, error) {
	var (
		existing row
		reserved bool
	)
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM http_idempotency
			WHERE principal = ? AND key = ? AND (created_at < ? OR (status = 0 AND created_at < ?))`),
			rec.Principal, rec.Key, stamp(cut.Expired), stamp(cut.Abandoned)); err != nil {
			return db.MapError(err)
		}
		// The holder may abandon the key between our insert and our read;
		// then the insert is tried again (PostgreSQL reads committed rows
		// per statement; SQLite's write lock makes this never happen).
		for range 3 {
			res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO http_idempotency (`+columns+`)
				VALUES (?, ?, ?, ?, 0, '', '', NULL, ?)
				ON CONFLICT (principal, key) DO NOTHING`),
				rec.Key, rec.Principal, rec.Route, rec.RequestHash, stamp(rec.CreatedAt))
			if err != nil {
				return db.MapError(err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return db.MapError(err)
			}
			if n == 1 {
				reserved = true
				return nil
			}
			err = tx.GetContext(ctx, &existing, tx.Rebind(`SELECT `+columns+` FROM http_idempotency
				WHERE principal = ? AND key = ?`), rec.Principal, rec.Key)
			if !errors.Is(err, db.ErrNoRows) {
				return db.MapError(err)
			}
		}
		return fmt.Errorf("idempotency key %q keeps changing hands: %w", rec.Key, core.ErrUnavailable)
	})
	if err != nil || reserved {
		return httpkit.IdempotencyRecord{}, reserved, err
	}
	got, err := existing.record()
	return got, false, err
}

// Complete fills the pending reservation rec in with its response.
func (s *Store) Complete(ctx context.Context, rec httpkit.IdempotencyRecord) error {
	if rec.Status <= 0 {
		return fmt.Errorf("idempotency key %q: complete with status %d: %w", rec.Key, rec.Status, core.ErrInvalid)
	}
	headers := ""
	if len(rec.Header) > 0 {
		b, err := json.Marshal(rec.Header)
		if err != nil {
			return fmt.Errorf("idempotency key %q: headers: %w", rec.Key, err)
		}
		headers = string(b)
	}
	body := rec.Body
	if body == nil {
		body = []byte{} // an empty body is still a stored answer
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE http_idempotency
			SET status = ?, content_type = ?, headers = ?, body = ?
			WHERE principal = ? AND key = ? AND created_at = ? AND status = 0`),
			rec.Status, rec.ContentType, headers, body, rec.Principal, rec.Key, stamp(rec.CreatedAt))
		if err != nil {
			return db.MapError(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return db.MapError(err)
		}
		if n != 1 {
			return fmt.Errorf("idempotency key %q: the reservation is no longer held: %w", rec.Key, core.ErrConflict)
		}
		return nil
	})
}

// Abandon deletes the pending reservation rec, if it is still there.
func (s *Store) Abandon(ctx context.Context, rec httpkit.IdempotencyRecord) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM http_idempotency
			WHERE principal = ? AND key = ? AND created_at = ? AND status = 0`),
			rec.Principal, rec.Key, stamp(rec.CreatedAt))
		return db.MapError(err)
	})
}

// Get reads the record for (principal, key). It takes no transaction: on
// SQLite every transaction takes the write lock, and waiting requests poll.
func (s *Store) Get(ctx context.Context, principal, key string) (httpkit.IdempotencyRecord, error) {
	var r row
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+columns+` FROM http_idempotency
		WHERE principal = ? AND key = ?`), principal, key); err != nil {
		return httpkit.IdempotencyRecord{}, fmt.Errorf("idempotency key %q: %w", key, db.MapError(err))
	}
	return r.record()
}

// Purge deletes every record created before before.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM http_idempotency WHERE created_at < ?`), stamp(before))
		if err != nil {
			return db.MapError(err)
		}
		n, err = res.RowsAffected()
		return db.MapError(err)
	})
	return n, err
}
