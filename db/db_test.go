package db_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

func migrationNames(t *testing.T, d db.Dialect) []string {
	t.Helper()
	fsys, err := db.Migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Both dialects must evolve in step: the same versions, with the same names.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	pg, lite := migrationNames(t, db.Postgres), migrationNames(t, db.SQLite)
	if len(pg) == 0 {
		t.Fatal("no migrations embedded")
	}
	if !slices.Equal(pg, lite) {
		t.Fatalf("migrations differ:\npostgres: %v\nsqlite:   %v", pg, lite)
	}
	for _, n := range pg {
		if !strings.HasSuffix(n, ".sql") || len(n) < 7 || strings.Trim(n[:5], "0123456789") != "" {
			t.Errorf("migration %q must be named NNNNN_description.sql", n)
		}
	}
}

func TestOpenRefusesUnknownURLs(t *testing.T) {
	for _, u := range []string{"", "mysql://x", "sqlite://", "file:foo.db"} {
		if _, err := db.Open(context.Background(), u); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
}

func TestOpenPostgresHidesPassword(t *testing.T) {
	_, err := db.Open(context.Background(), "postgres://tidbok:hemligt@127.0.0.1:1/x?sslmode=disable&connect_timeout=1")
	if err == nil {
		t.Fatal("connecting to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hemligt") {
		t.Fatalf("error reveals the password: %v", err)
	}
}

func TestStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Ready(ctx); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		current, newest, err := d.SchemaVersion(ctx)
		if err != nil || current != newest || current == 0 {
			t.Fatalf("SchemaVersion = %d, %d, %v; want equal and non-zero", current, newest, err)
		}
		if v, err := d.Migrate(ctx); err != nil || v != current {
			t.Fatalf("migrating twice = %d, %v; want %d, nil", v, err, current)
		}

		insert := func(tx *sqlx.Tx, id, org string) error {
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_agencies
				(id, name, org_number, kind, time_zone, default_language, created_at, updated_at)
				VALUES (?, 'A', ?, 'municipality', 'Europe/Stockholm', 'sv', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`), id, org)
			return db.MapError(err)
		}
		id := core.NewID()
		if err := d.InTx(ctx, func(tx *sqlx.Tx) error { return insert(tx, id, "212000-0001") }); err != nil {
			t.Fatalf("insert: %v", err)
		}

		t.Run("unique violation is a conflict", func(t *testing.T) {
			err := d.InTx(ctx, func(tx *sqlx.Tx) error { return insert(tx, core.NewID(), "212000-0001") })
			if !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if strings.Contains(err.Error(), "booking_agencies") {
				t.Fatalf("message leaks schema: %q", err)
			}
		})
		t.Run("check violation is invalid", func(t *testing.T) {
			err := d.InTx(ctx, func(tx *sqlx.Tx) error { return insert(tx, core.NewID(), "not-an-org-number") })
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
		t.Run("foreign key violation is invalid", func(t *testing.T) {
			err := d.InTx(ctx, func(tx *sqlx.Tx) error {
				_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_offices
					(id, agency_id, name, street_address, postal_code, city, created_at, updated_at)
					VALUES (?, ?, 'O', 'S', '123 45', 'C', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`), core.NewID(), core.NewID())
				return db.MapError(err)
			})
			if !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
		t.Run("no rows is not found", func(t *testing.T) {
			var name string
			err := db.MapError(d.GetContext(ctx, &name, d.Rebind(`SELECT name FROM booking_agencies WHERE id = ?`), core.NewID()))
			if !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})
		t.Run("an error in the transaction rolls it back", func(t *testing.T) {
			other := core.NewID()
			boom := errors.New("boom")
			err := d.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := insert(tx, other, "212000-0002"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want boom", err)
			}
			var n int
			if err := d.GetContext(ctx, &n, d.Rebind(`SELECT count(*) FROM booking_agencies WHERE id = ?`), other); err != nil || n != 0 {
				t.Fatalf("rolled-back row present: n=%d err=%v", n, err)
			}
		})
	})
}

// Two transactions that update two rows in opposite orders, meeting after
// the first update, deadlock; PostgreSQL aborts one of them. Under InTx one
// fails; under RetryTx the aborted one runs again and both succeed.
func TestRetryTxOutlivesADeadlock(t *testing.T) {
	d := dbtest.Postgres(t)
	ctx := context.Background()
	if _, err := d.ExecContext(ctx, `CREATE TABLE pair (id int PRIMARY KEY, n int NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	race := func(inTx func(context.Context, func(*sqlx.Tx) error) error) []error {
		var met sync.WaitGroup
		met.Add(2)
		crosswise := func(first, second int) error {
			attempt := 0
			return inTx(ctx, func(tx *sqlx.Tx) error {
				attempt++
				if _, err := tx.ExecContext(ctx, `UPDATE pair SET n = n + 1 WHERE id = $1`, first); err != nil {
					return db.MapError(err)
				}
				if attempt == 1 {
					met.Done()
					met.Wait()
				}
				_, err := tx.ExecContext(ctx, `UPDATE pair SET n = n + 1 WHERE id = $1`, second)
				return db.MapError(err)
			})
		}
		errs := make([]error, 2)
		var done sync.WaitGroup
		done.Add(2)
		go func() { defer done.Done(); errs[0] = crosswise(1, 2) }()
		go func() { defer done.Done(); errs[1] = crosswise(2, 1) }()
		done.Wait()
		return errs
	}

	errs := race(d.InTx)
	if failed := slices.IndexFunc(errs, func(err error) bool { return err != nil }); failed < 0 || !errors.Is(errs[failed], core.ErrUnavailable) {
		t.Fatalf("without retries: %v, want one transaction aborted as unavailable", errs)
	}
	if errs := race(d.RetryTx); errs[0] != nil || errs[1] != nil {
		t.Fatalf("with retries: %v, want both to succeed", errs)
	}
	var sum int
	if err := d.GetContext(ctx, &sum, `SELECT sum(n) FROM pair`); err != nil {
		t.Fatal(err)
	}
	// Without retries one of two transactions committed (2 updates); with
	// retries both did (4 more): each aborted attempt left nothing behind.
	if sum != 6 {
		t.Fatalf("sum = %d, want 6", sum)
	}
}
