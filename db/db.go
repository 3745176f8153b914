// Package db opens Tidbok's databases — an embedded SQLite file or PostgreSQL —
// migrates them, and maps driver errors to the services' error kinds once.
// One store package per service (db/<name>store) implements that service's
// Repository on top of it.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"  // registers "postgres"
	_ "modernc.org/sqlite" // registers "sqlite"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

func init() {
	// sqlx does not know modernc's driver name; without this Rebind leaves "?".
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// DB is a connection pool and the dialect it speaks.
type DB struct {
	*sqlx.DB
	Dialect Dialect
}

// Open connects to the database named by rawURL: sqlite://path/to/file.db
// (relative paths are relative to the working directory; sqlite:///abs/path
// is absolute) or postgres://user@host:port/db?sslmode=... . It pings before
// returning, so a wrong URL fails here rather than on the first request.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite://"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	default:
		return nil, fmt.Errorf("database url must start with sqlite:// or postgres://, got %q", redact(rawURL))
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	path, query, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, errors.New("sqlite url has no file path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	params := url.Values{}
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(NORMAL)")
	// Every transaction takes the write lock at BEGIN, so read-then-write
	// transactions serialize instead of failing with SQLITE_BUSY on upgrade.
	params.Set("_txlock", "immediate")
	params.Set("_time_format", "sqlite")
	dsn := "file:" + path + "?" + params.Encode()
	if query != "" {
		dsn += "&" + query
	}
	x, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One writer at a time is all SQLite allows; a handful of connections
	// still lets readers run beside it under WAL.
	x.SetMaxOpenConns(8)
	x.SetMaxIdleConns(8)
	x.SetConnMaxIdleTime(5 * time.Minute)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &DB{DB: x, Dialect: SQLite}, nil
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse postgres url: %w", errors.New("malformed url"))
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "5")
	}
	u.RawQuery = q.Encode()
	x, err := sqlx.Open("postgres", u.String())
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	x.SetMaxOpenConns(32)
	x.SetMaxIdleConns(16)
	x.SetConnMaxLifetime(30 * time.Minute)
	x.SetConnMaxIdleTime(5 * time.Minute)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("connect to postgres at %s: %w", redact(rawURL), err)
	}
	return &DB{DB: x, Dialect: Postgres}, nil
}

// redact hides a password in a database URL, for error messages and logs.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

// Redact is redact for callers outside the package (logging the configured URL).
func Redact(rawURL string) string { return redact(rawURL) }

// InTx runs fn in a transaction and commits it, returning the commit's error.
// A panic or error rolls back. Stores use it for every write so that a change
// and its outbox event land together or not at all.
func (d *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return MapError(err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return MapError(err)
	}
	return nil
}

// RetryTx is InTx that runs fn again, up to three times in all, when
// PostgreSQL aborts the transaction for a deadlock or a serialization
// failure. Two concurrent inserts into an exclusion constraint (a staff
// member's booked time) can each find the other's uncommitted row and wait
// for it; PostgreSQL then aborts one. Run again, it finds the other's row
// committed and gets the plain conflict it would have got one at a time. fn
// must do nothing outside the transaction, as it may run more than once.
func (d *DB) RetryTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		err := d.InTx(ctx, fn)
		if attempt == attempts || !retryable(err) {
			return err
		}
		// A short random pause, so the two that met do not meet again.
		pause := time.Duration(attempt) * time.Duration(1+rand.IntN(5)) * time.Millisecond
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// Ready checks that the database answers, for /readyz.
func (d *DB) Ready(ctx context.Context) error {
	var one int
	if err := d.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return MapError(err)
	}
	return nil
}

// ErrNoRows is re-exported so stores need not import database/sql for it.
var ErrNoRows = sql.ErrNoRows
