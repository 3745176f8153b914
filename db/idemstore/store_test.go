package idemstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/idemstore"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// t0 has nanoseconds, which the store must cut to microseconds the same way
// when it writes a reservation and when it matches one.
var t0 = time.Date(2026, 3, 29, 1, 30, 0, 123456789, time.UTC)

// cut is what the middleware passes with a 24 h ttl and a 2 min lease.
var cut = httpkit.IdempotencyCutoffs{Expired: t0.Add(-24 * time.Hour), Abandoned: t0.Add(-2 * time.Minute)}

func pending(principal, key, hash string, at time.Time) httpkit.IdempotencyRecord {
	return httpkit.IdempotencyRecord{Principal: principal, Key: key, Route: "POST /v1/things", RequestHash: hash, CreatedAt: at}
}

func begin(t *testing.T, s *idemstore.Store, rec httpkit.IdempotencyRecord, c httpkit.IdempotencyCutoffs) (httpkit.IdempotencyRecord, bool) {
	t.Helper()
	existing, reserved, err := s.Begin(context.Background(), rec, c)
	if err != nil {
		t.Fatalf("Begin(%s, %s): %v", rec.Principal, rec.Key, err)
	}
	return existing, reserved
}

func complete(t *testing.T, s *idemstore.Store, rec httpkit.IdempotencyRecord, status int, body string) httpkit.IdempotencyRecord {
	t.Helper()
	rec.Status, rec.ContentType, rec.Body = status, "application/json", []byte(body)
	rec.Header = http.Header{"Etag": {`"1"`}, "Location": {"/v1/things/1"}}
	if err := s.Complete(context.Background(), rec); err != nil {
		t.Fatalf("Complete(%s): %v", rec.Key, err)
	}
	return rec
}

func TestStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := idemstore.New(d)

		t.Run("the first Begin reserves, the next sees the pending reservation", func(t *testing.T) {
			first := pending("citizen:a", "k-first", "h1", t0)
			if _, reserved := begin(t, s, first, cut); !reserved {
				t.Fatal("first Begin did not reserve")
			}
			got, reserved := begin(t, s, pending("citizen:a", "k-first", "h2", t0.Add(time.Second)), cut)
			if reserved {
				t.Fatal("second Begin reserved a held key")
			}
			if !got.Pending() || got.RequestHash != "h1" || got.Route != first.Route {
				t.Fatalf("existing = %+v, want the first, pending", got)
			}
			if want := t0.Truncate(time.Microsecond); !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
				t.Fatalf("CreatedAt = %v, want %v in UTC", got.CreatedAt, want)
			}
		})

		t.Run("20 concurrent Begins with one key reserve exactly once", func(t *testing.T) {
			const n = 20
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				winners  []string
				existing []httpkit.IdempotencyRecord
				errs     []error
			)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					hash := fmt.Sprintf("h%02d", i)
					got, reserved, err := s.Begin(ctx, pending("staff:b", "k-race", hash, t0.Add(time.Duration(i)*time.Millisecond)), cut)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						errs = append(errs, err)
					case reserved:
						winners = append(winners, hash)
					default:
						existing = append(existing, got)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(winners) != 1 {
				t.Fatalf("%d Begins reserved (%v), want exactly 1", len(winners), winners)
			}
			for _, e := range existing {
				if e.RequestHash != winners[0] {
					t.Fatalf("a loser saw %s, want the winner %s", e.RequestHash, winners[0])
				}
			}
		})

		t.Run("Complete stores the response, Get and Begin give it back as stored", func(t *testing.T) {
			rec := pending("client:c", "k-done", "h", t0)
			begin(t, s, rec, cut)
			body := "{\"id\":\"1\"}\n\x00\xff"
			want := complete(t, s, rec, http.StatusCreated, body)
			got, err := s.Get(ctx, "client:c", "k-done")
			if err != nil {
				t.Fatal(err)
			}
			if got.Pending() || got.Status != 201 || got.ContentType != "application/json" || !bytes.Equal(got.Body, []byte(body)) {
				t.Fatalf("Get = %+v", got)
			}
			if fmt.Sprint(got.Header) != fmt.Sprint(want.Header) {
				t.Fatalf("Header = %v, want %v", got.Header, want.Header)
			}
			again, reserved := begin(t, s, pending("client:c", "k-done", "h", t0.Add(time.Minute)), cut)
			if reserved || again.Status != 201 || !bytes.Equal(again.Body, []byte(body)) {
				t.Fatalf("Begin after Complete = %+v, reserved %v", again, reserved)
			}
		})

		t.Run("an empty body is a stored answer, not a pending one", func(t *testing.T) {
			rec := pending("client:c", "k-empty", "h", t0)
			begin(t, s, rec, cut)
			rec.Status = http.StatusNoContent
			if err := s.Complete(ctx, rec); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "client:c", "k-empty")
			if err != nil || got.Pending() || got.Status != 204 || len(got.Body) != 0 || got.Header != nil {
				t.Fatalf("Get = %+v, %v", got, err)
			}
		})

		t.Run("Complete refuses a reservation that is not held", func(t *testing.T) {
			rec := pending("citizen:d", "k-lost", "h", t0)
			begin(t, s, rec, cut)
			cases := []struct {
				name string
				rec  httpkit.IdempotencyRecord
			}{
				{"another reservation's time", pending("citizen:d", "k-lost", "h", t0.Add(-time.Hour))},
				{"another principal", pending("citizen:e", "k-lost", "h", t0)},
				{"no such key", pending("citizen:d", "k-none", "h", t0)},
			}
			for _, c := range cases {
				c.rec.Status = 200
				if err := s.Complete(ctx, c.rec); !errors.Is(err, core.ErrConflict) {
					t.Errorf("%s: Complete = %v, want ErrConflict", c.name, err)
				}
			}
			done := complete(t, s, rec, 200, "{}")
			if err := s.Complete(ctx, done); !errors.Is(err, core.ErrConflict) {
				t.Errorf("second Complete = %v, want ErrConflict", err)
			}
		})

		t.Run("Abandon frees a pending key and leaves others alone", func(t *testing.T) {
			rec := pending("citizen:f", "k-abandon", "h1", t0)
			begin(t, s, rec, cut)
			if err := s.Abandon(ctx, pending("citizen:f", "k-abandon", "h1", t0.Add(-time.Hour))); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, "citizen:f", "k-abandon"); err != nil || !got.Pending() {
				t.Fatalf("Abandon with another reservation's time removed this one: %+v, %v", got, err)
			}
			if err := s.Abandon(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "citizen:f", "k-abandon"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("Get after Abandon = %v, want ErrNotFound", err)
			}
			if _, reserved := begin(t, s, pending("citizen:f", "k-abandon", "h2", t0), cut); !reserved {
				t.Fatal("Begin after Abandon did not reserve")
			}

			done := pending("citizen:f", "k-kept", "h", t0)
			begin(t, s, done, cut)
			complete(t, s, done, 200, "{}")
			if err := s.Abandon(ctx, done); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, "citizen:f", "k-kept"); err != nil || got.Status != 200 {
				t.Fatalf("Abandon removed a completed record: %+v, %v", got, err)
			}
		})

		t.Run("keys are per principal", func(t *testing.T) {
			for _, p := range []string{"citizen:g", "staff:g", "anonymous"} {
				if _, reserved := begin(t, s, pending(p, "k-shared", "h-"+p, t0), cut); !reserved {
					t.Fatalf("%s could not reserve a key another principal holds", p)
				}
			}
		})

		t.Run("Get of an unknown key is ErrNotFound", func(t *testing.T) {
			if _, err := s.Get(ctx, "citizen:h", "k-unknown"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("Get = %v, want ErrNotFound", err)
			}
		})

		staleness := []struct {
			name     string
			age      time.Duration
			done     bool
			replaced bool
		}{
			{"a completed record within the ttl is kept", 23 * time.Hour, true, false},
			{"a completed record past the ttl is replaced", 25 * time.Hour, true, true},
			{"a pending record within the lease is kept", time.Minute, false, false},
			{"a pending record past the lease is replaced", 3 * time.Minute, false, true},
		}
		for i, c := range staleness {
			t.Run(c.name, func(t *testing.T) {
				key := fmt.Sprintf("k-stale-%d", i)
				old := pending("staff:i", key, "old", t0.Add(-c.age))
				begin(t, s, old, cut)
				if c.done {
					complete(t, s, old, 201, `{"id":"old"}`)
				}
				got, reserved := begin(t, s, pending("staff:i", key, "new", t0), cut)
				if reserved != c.replaced {
					t.Fatalf("reserved = %v, want %v (existing %+v)", reserved, c.replaced, got)
				}
				if !reserved && got.RequestHash != "old" {
					t.Fatalf("existing = %+v, want the old record", got)
				}
				if c.replaced {
					late := old
					late.Status = http.StatusOK
					if err := s.Complete(ctx, late); !errors.Is(err, core.ErrConflict) {
						t.Fatalf("the replaced request could still complete: %v", err)
					}
					now, err := s.Get(ctx, "staff:i", key)
					if err != nil || now.RequestHash != "new" || !now.Pending() {
						t.Fatalf("after replacing: %+v, %v", now, err)
					}
				}
			})
		}

		t.Run("Purge deletes records created before the cutoff and only those", func(t *testing.T) {
			// The subtests above wrote records as old as 25 h; add a fresh pair.
			begin(t, s, pending("staff:j", "k-purge-old", "h", t0.Add(-48*time.Hour)), httpkit.IdempotencyCutoffs{})
			begin(t, s, pending("staff:j", "k-purge-new", "h", t0), cut)
			var before, old int64
			if err := d.GetContext(ctx, &before, `SELECT count(*) FROM http_idempotency`); err != nil {
				t.Fatal(err)
			}
			if err := d.GetContext(ctx, &old, d.Rebind(`SELECT count(*) FROM http_idempotency WHERE created_at < ?`), cut.Expired); err != nil {
				t.Fatal(err)
			}
			n, err := s.Purge(ctx, cut.Expired)
			if err != nil {
				t.Fatal(err)
			}
			if n != old || n == 0 {
				t.Fatalf("Purge deleted %d, want the %d old records", n, old)
			}
			if _, err := s.Get(ctx, "staff:j", "k-purge-old"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("old record survived: %v", err)
			}
			var after int64
			if err := d.GetContext(ctx, &after, `SELECT count(*) FROM http_idempotency`); err != nil {
				t.Fatal(err)
			}
			if after != before-n || after == 0 {
				t.Fatalf("%d records left, want %d", after, before-n)
			}
			if _, err := s.Get(ctx, "staff:j", "k-purge-new"); err != nil {
				t.Fatalf("fresh record purged: %v", err)
			}
		})
	})
}
