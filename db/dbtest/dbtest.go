// Package dbtest gives each test a fresh, migrated database on every backend:
// a SQLite file in the test's temporary directory, and a PostgreSQL database
// created for the test from TIDBOK_TEST_POSTGRES_URL and dropped after it.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db"
)

// PostgresURLEnv names the variable that points the tests at a PostgreSQL
// server; the tests create and drop their own databases on it.
const PostgresURLEnv = "TIDBOK_TEST_POSTGRES_URL"

// Run runs body once against a fresh SQLite database and once against a fresh
// PostgreSQL database, as the subtests "sqlite" and "postgres". Without
// TIDBOK_TEST_POSTGRES_URL the PostgreSQL half is skipped with a message, but
// when CI is set it fails instead: CI must exercise both backends.
func Run(t *testing.T, body func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		body(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		body(t, Postgres(t))
	})
}

// SQLite returns a fresh migrated SQLite database for t.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate sqlite: %v", err)
	}
	return d
}

// Postgres returns a fresh migrated PostgreSQL database for t, or skips (fails
// under CI) when no server is configured.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set, and CI requires the PostgreSQL tests to run", PostgresURLEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable) to run them", PostgresURLEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := db.Open(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresURLEnv, err)
	}
	name := "tidbok_test_" + randomSuffix()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresURLEnv, err)
	}
	u.Path = "/" + name
	d, err := db.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		d.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return d
}

// URL returns a database URL for a fresh migrated database of dialect d, for
// tests that start the whole binary. The database is removed after t.
func URL(t testing.TB, dialect db.Dialect) string {
	t.Helper()
	switch dialect {
	case db.SQLite:
		path := filepath.Join(t.TempDir(), "tidbok.db")
		return "sqlite://" + path
	default:
		d := Postgres(t)
		var name string
		if err := d.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatalf("read database name: %v", err)
		}
		u, _ := url.Parse(os.Getenv(PostgresURLEnv))
		u.Path = "/" + name
		return u.String()
	}
}

func randomSuffix() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("read random: %v", err))
	}
	return hex.EncodeToString(b)
}
