package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/lib/pq"
	"modernc.org/sqlite"

	"github.com/tidbok/tidbok/core"
)

// SQLite extended result codes we act on (sqlite3.h).
const (
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteConstraintFK     = 787
	sqliteConstraintPK     = 1555
	sqliteConstraintUnique = 2067
	sqliteConstraintCheck  = 275
	sqliteConstraintNotNul = 1299
	sqliteBusySnapshot     = 517
)

// kindError is a driver error classified as one of core's kinds. Its message
// is only the kind's, so constraint and table names never reach a client;
// the driver's error stays reachable with errors.As for logs and tests.
type kindError struct {
	kind  error
	cause error
}

func (e *kindError) Error() string   { return e.kind.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.cause} }

// Cause returns the driver's error, for logging.
func (e *kindError) Cause() error { return e.cause }

// retryable reports whether err is PostgreSQL aborting a transaction that
// would succeed run again: a deadlock or a serialization failure.
func retryable(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && (pqErr.Code == "40P01" || pqErr.Code == "40001")
}

// MapError turns a driver error into one of core's error kinds. Errors it
// does not know pass through unchanged: they are the server's fault and
// become 500s.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &kindError{core.ErrNotFound, err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505", "23P01": // unique_violation, exclusion_violation
			return &kindError{core.ErrConflict, err}
		case "23503", "23514", "23502", "22P02", "22001": // foreign key, check, not null, invalid text, too long
			return &kindError{core.ErrInvalid, err}
		case "40001", "40P01", "55P03", "57P01": // serialization, deadlock, lock not available, admin shutdown
			return &kindError{core.ErrUnavailable, err}
		}
		return err
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqliteConstraintUnique, sqliteConstraintPK:
			return &kindError{core.ErrConflict, err}
		case sqliteConstraintFK, sqliteConstraintCheck, sqliteConstraintNotNul:
			return &kindError{core.ErrInvalid, err}
		case sqliteBusy, sqliteLocked, sqliteBusySnapshot:
			return &kindError{core.ErrUnavailable, err}
		}
		return err
	}
	return err
}
