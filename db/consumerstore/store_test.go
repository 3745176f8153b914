package consumerstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/consumerstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/notifystore"
)

var now = time.Date(2027, 3, 22, 9, 0, 0, 0, time.UTC)

func TestDeadEvents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, service := range []string{"notify", "intake"} {
			t.Run(service, func(t *testing.T) {
				s := consumerstore.New(d, service)
				t.Run("failures are counted until the limit parks the event", func(t *testing.T) { countedThenParked(t, ctx, s) })
				t.Run("a permanent failure parks at once", func(t *testing.T) { parkedAtOnce(t, ctx, s) })
				t.Run("each consumer keeps its own records", func(t *testing.T) { ownRecords(t, ctx, s) })
				t.Run("a retry is asked only of a parked event", func(t *testing.T) { retryOnlyParked(t, ctx, s) })
				t.Run("concurrent failures are each counted", func(t *testing.T) { concurrentFailures(t, ctx, s) })
			})
		}
	})
}

func countedThenParked(t *testing.T, ctx context.Context, s *consumerstore.Store) {
	ev := core.NewID()
	for i := 1; i <= 3; i++ {
		rec, err := s.RecordFailure(ctx, "a<-b", ev, 7, "appointment.booked", "boom", false, 3, now.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Attempts != i || (rec.ParkedAt != nil) != (i == 3) {
			t.Fatalf("after failure %d: attempts %d, parked %v", i, rec.Attempts, rec.ParkedAt)
		}
		got, err := s.Failures(ctx, "a<-b", []string{ev, core.NewID()})
		if err != nil || len(got) != 1 || got[ev] != (i == 3) {
			t.Fatalf("after failure %d Failures = %v, %v", i, got, err)
		}
	}
	list, err := s.DeadEvents(ctx, "a<-b", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("dead events = %+v, %v", list, err)
	}
	got := list[0]
	if got.EventID != ev || got.Seq != 7 || got.Type != "appointment.booked" || got.LastError != "boom" || got.Attempts != 3 ||
		!got.ParkedAt.Equal(now.Add(3*time.Second)) || got.RetryAt != nil {
		t.Fatalf("dead event = %+v", got)
	}
	counts, err := s.CountParked(ctx)
	if err != nil || counts["a<-b"] != 1 {
		t.Fatalf("CountParked = %v, %v", counts, err)
	}
	if err := s.Clear(ctx, "a<-b", []string{ev}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Failures(ctx, "a<-b", []string{ev}); err != nil || len(got) != 0 {
		t.Fatalf("after Clear Failures = %v, %v", got, err)
	}
}

func parkedAtOnce(t *testing.T, ctx context.Context, s *consumerstore.Store) {
	ev := core.NewID()
	rec, err := s.RecordFailure(ctx, "c<-d", ev, 1, "case.submitted", "invalid input", true, 10, now)
	if err != nil || rec.Attempts != 1 || rec.ParkedAt == nil {
		t.Fatalf("permanent failure = %+v, %v; want parked after 1 attempt", rec, err)
	}
}

func ownRecords(t *testing.T, ctx context.Context, s *consumerstore.Store) {
	ev := core.NewID()
	if _, err := s.RecordFailure(ctx, "one<-x", ev, 1, "t", "e", true, 10, now); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Failures(ctx, "two<-x", []string{ev}); err != nil || len(got) != 0 {
		t.Fatalf("another consumer sees %v, %v", got, err)
	}
	if list, err := s.DeadEvents(ctx, "two<-x", 10); err != nil || len(list) != 0 {
		t.Fatalf("another consumer lists %v, %v", list, err)
	}
	all, err := s.DeadEvents(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if e.ParkedAt == nil {
			t.Fatalf("the list holds an event not parked: %+v", e)
		}
	}
}

func retryOnlyParked(t *testing.T, ctx context.Context, s *consumerstore.Store) {
	failing, parked := core.NewID(), core.NewID()
	if _, err := s.RecordFailure(ctx, "r<-x", failing, 1, "t", "e", false, 10, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordFailure(ctx, "r<-x", parked, 2, "t", "e", true, 10, now); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{failing, core.NewID()} {
		if _, err := s.RequestRetry(ctx, "r<-x", id, now); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("retry of an event not parked: %v, want not found", err)
		}
	}
	if _, err := s.RequestRetry(ctx, "other<-x", parked, now); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("retry by another consumer: %v, want not found", err)
	}
	rec, err := s.RequestRetry(ctx, "r<-x", parked, now.Add(time.Minute))
	if err != nil || rec.Attempts != 0 || rec.RetryAt == nil || !rec.RetryAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("RequestRetry = %+v, %v", rec, err)
	}
	due, err := s.RetriesDue(ctx, "r<-x", 10)
	if err != nil || len(due) != 1 || due[0].EventID != parked {
		t.Fatalf("RetriesDue = %+v, %v", due, err)
	}
	// A retry that fails again for good parks the event anew.
	rec, err = s.RecordFailure(ctx, "r<-x", parked, 2, "t", "still", true, 10, now.Add(2*time.Minute))
	if err != nil || rec.RetryAt != nil || rec.Attempts != 1 || !rec.ParkedAt.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("failed retry = %+v, %v", rec, err)
	}
	if due, err := s.RetriesDue(ctx, "r<-x", 10); err != nil || len(due) != 0 {
		t.Fatalf("RetriesDue after the failed retry = %+v, %v", due, err)
	}
}

// Replicas of a consumer may fail on the same event at once; no failure
// is lost, and one of them parks it.
func concurrentFailures(t *testing.T, ctx context.Context, s *consumerstore.Store) {
	ev := core.NewID()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = s.RecordFailure(ctx, "race<-x", ev, 1, "t", "e", false, 8, now)
		})
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil && !errors.Is(err, core.ErrUnavailable) {
			t.Fatal(err)
		}
		if err != nil {
			failed++
		}
	}
	counts, err := s.CountParked(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if failed == 0 && counts["race<-x"] != 1 {
		t.Fatalf("8 failures with a limit of 8 parked %d", counts["race<-x"])
	}
}

func TestPruneConsumed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cutoff := time.Now().UTC().Add(-30 * 24 * time.Hour)
		old, recent := core.NewID(), core.NewID()

		t.Run("notify", func(t *testing.T) {
			outbox := notifystore.NewOutbox(d)
			if err := outbox.MarkConsumed(ctx, "notify<-booking", []string{old}, cutoff.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := outbox.MarkConsumed(ctx, "notify<-booking", []string{recent}, cutoff.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			n, err := consumerstore.New(d, "notify").PruneConsumed(ctx, cutoff)
			if err != nil || n != 1 {
				t.Fatalf("pruned %d, %v; want the old record only", n, err)
			}
			got, err := outbox.Consumed(ctx, "notify<-booking", []string{old, recent})
			if err != nil || got[old] || !got[recent] {
				t.Fatalf("consumed after pruning = %v, %v", got, err)
			}
		})

		t.Run("intake", func(t *testing.T) {
			for id, at := range map[string]time.Time{old: cutoff.Add(-time.Hour), recent: cutoff.Add(time.Hour)} {
				if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO intake_consumed (event_id, consumed_at) VALUES (?, ?)`), id, at); err != nil {
					t.Fatal(err)
				}
			}
			n, err := consumerstore.New(d, "intake").PruneConsumed(ctx, cutoff)
			if err != nil || n != 1 {
				t.Fatalf("pruned %d, %v; want the old record only", n, err)
			}
			var left []string
			if err := d.SelectContext(ctx, &left, `SELECT event_id FROM intake_consumed`); err != nil {
				t.Fatal(err)
			}
			if len(left) != 1 || left[0] != recent {
				t.Fatalf("left %v, want only %s", left, recent)
			}
		})
	})
}
