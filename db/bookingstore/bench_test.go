package bookingstore_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/bookingstore/benchdata"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// The availability benchmarks: an agency of 200 staff with weekly
// schedules and ~60 % of an 8-week horizon booked, asked for one meeting
// type over 4 weeks, through the booking service and the store, on both
// databases. docs/performance.md has the figures and the commands.

// benchNow is a Monday morning; the booked weeks start that day.
var benchNow = time.Date(2026, 9, 7, 7, 0, 0, 0, benchdata.Stockholm)

type benchClock time.Time

func (c benchClock) Now() time.Time { return time.Time(c).UTC() }

// benchDialects open a fresh database per dialect; PostgreSQL is skipped
// with a message when TIDBOK_TEST_POSTGRES_URL is unset.
var benchDialects = []struct {
	name string
	open func(testing.TB) *db.DB
}{
	{"sqlite", dbtest.SQLite},
	{"postgres", dbtest.Postgres},
}

func seedBench(tb testing.TB, d *db.DB, staff int) benchdata.Agency {
	tb.Helper()
	begin := time.Now()
	a, err := benchdata.Seed(context.Background(), d, benchdata.Config{
		Name: fmt.Sprintf("staff-%d", staff), Staff: staff, Weeks: 8, Booked: 0.6, Start: benchNow, Seed: 7,
	})
	if err != nil {
		tb.Fatalf("seed %d staff: %v", staff, err)
	}
	if d.Dialect == db.Postgres {
		// As autovacuum would soon after a bulk load: the planner needs the
		// table's statistics to pick the staff index.
		if _, err := d.ExecContext(context.Background(), "ANALYZE"); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Logf("%s: seeded %d staff and %d blocks (%.0f %% of working time booked) in %s",
		d.Dialect, staff, a.Blocks, 100*a.BookedShare, time.Since(begin).Round(time.Millisecond))
	return a
}

func benchRequest(a benchdata.Agency, mode booking.Mode, weeks int) booking.AvailabilityRequest {
	return booking.AvailabilityRequest{MeetingTypeID: a.MeetingTypeID, Mode: mode,
		From: benchNow, To: benchNow.AddDate(0, 0, 7*weeks)}
}

// churn stands for bookings made and cancelled between two questions: call
// i books (even i) or frees (odd i) a Saturday evening of one staff member,
// so that each question finds one staff member's blocks changed.
func churn(d *db.DB, a benchdata.Agency) func(i int) error {
	saturday := time.Date(2026, 9, 19, 20, 0, 0, 0, benchdata.Stockholm)
	return func(i int) error {
		staff := a.StaffIDs[(i/2)%len(a.StaffIDs)]
		if i%2 == 1 {
			_, err := d.ExecContext(context.Background(), d.Rebind(`DELETE FROM booking_blocks WHERE staff_id = ? AND kind = 'hold'
				AND blocked_from = ?`), staff, blockInstant(d, saturday))
			return err
		}
		expires := saturday.Add(time.Hour)
		return insertBlockRow(context.Background(), d, staff, "hold", saturday, saturday.Add(time.Hour), &expires)
	}
}

func blockInstant(d *db.DB, t time.Time) any {
	if d.Dialect == db.Postgres {
		return t.UTC()
	}
	return t.UnixMilli()
}

// latencies are the durations of separate calls, for percentiles that
// ns/op (a mean) hides.
type latencies []time.Duration

// measureLatency calls f n times, one after another, each after an untimed
// before(i) (nil for none), and records how long each call of f took.
func measureLatency(tb testing.TB, n int, before func(int) error, f func() error) latencies {
	tb.Helper()
	out := make(latencies, 0, n)
	for i := range n {
		if before != nil {
			if err := before(i); err != nil {
				tb.Fatal(err)
			}
		}
		begin := time.Now()
		if err := f(); err != nil {
			tb.Fatal(err)
		}
		out = append(out, time.Since(begin))
	}
	slices.Sort(out)
	return out
}

// at returns the p-th percentile (nearest rank).
func (l latencies) at(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	k := int(p/100*float64(len(l))+0.5) - 1
	return l[min(max(k, 0), len(l)-1)]
}

func (l latencies) report(b *testing.B) {
	b.Helper()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(l.at(50)), "p50-ms")
	b.ReportMetric(ms(l.at(99)), "p99-ms")
}

// loop runs f under b.Loop, each call after an untimed before(i). Besides
// the wall-clock ns/op it reports the process's CPU time per call (the
// database server's excluded), which other load on the machine does not
// inflate.
func loop(b *testing.B, before func(int) error, f func() error) {
	b.Helper()
	b.ReportAllocs()
	var cpu time.Duration
	defer func() {
		if b.N > 0 && cpu > 0 {
			b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	}()
	for i := 0; b.Loop(); i++ {
		if before != nil {
			b.StopTimer()
			if err := before(i); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		c0 := cpuTime()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c0
	}
}

// BenchmarkAvailability4Weeks is the figure the target is set for: the booking
// service's Availability through the store, 4 weeks of phone slots, with
// p50 and p99 over 200 separate calls besides the mean. Between two calls
// one staff member's bookings change (see churn), as they do in service.
func BenchmarkAvailability4Weeks(b *testing.B) {
	for _, dialect := range benchDialects {
		b.Run(dialect.name, func(b *testing.B) {
			d := dialect.open(b)
			a := seedBench(b, d, 200)
			svc := booking.NewService(bookingstore.New(d), benchClock(benchNow))
			ctx, req := context.Background(), benchRequest(a, booking.Phone, 4)
			first, err := svc.Availability(ctx, req)
			if err != nil || len(first.Slots) == 0 {
				b.Fatalf("Availability = %d slots, %v; the benchmark needs slots", len(first.Slots), err)
			}
			call := func() error { _, err := svc.Availability(ctx, req); return err }
			lat := measureLatency(b, 200, churn(d, a), call)
			loop(b, churn(d, a), call)
			lat.report(b)
			b.ReportMetric(float64(len(first.Slots)), "slots")
		})
	}
}

// BenchmarkAvailabilityCold is the worst case: the store reads every staff
// member's blocks from the database, as on the first call after start or
// when every staff member's bookings changed since the last call.
func BenchmarkAvailabilityCold(b *testing.B) {
	for _, dialect := range benchDialects {
		b.Run(dialect.name, func(b *testing.B) {
			d := dialect.open(b)
			a := seedBench(b, d, 200)
			svc := booking.NewService(bookingstore.New(d, bookingstore.WithoutAvailabilityCache()), benchClock(benchNow))
			ctx, req := context.Background(), benchRequest(a, booking.Phone, 4)
			call := func() error { _, err := svc.Availability(ctx, req); return err }
			lat := measureLatency(b, 100, nil, call)
			loop(b, nil, call)
			lat.report(b)
		})
	}
}

// BenchmarkAvailabilityParts splits the call into the store's
// AvailabilityData (warm, as in BenchmarkAvailability4Weeks, and cold) and
// the engine's Compute (phone, and in person at any of the four offices),
// to show which dominates.
func BenchmarkAvailabilityParts(b *testing.B) {
	for _, dialect := range benchDialects {
		b.Run(dialect.name, func(b *testing.B) {
			d := dialect.open(b)
			a := seedBench(b, d, 200)
			ctx := context.Background()
			req := benchRequest(a, booking.Phone, 4)
			for _, store := range []struct {
				name string
				s    *bookingstore.Store
				tick func(int) error
			}{
				{"store/warm", bookingstore.New(d), churn(d, a)},
				{"store/cold", bookingstore.New(d, bookingstore.WithoutAvailabilityCache()), nil},
			} {
				load := func() error {
					_, err := store.s.AvailabilityData(ctx, a.ID, a.MeetingTypeID, req.From, req.To, benchNow)
					return err
				}
				if err := load(); err != nil {
					b.Fatal(err)
				}
				b.Run(store.name, func(b *testing.B) {
					lat := measureLatency(b, 100, store.tick, load)
					loop(b, store.tick, load)
					lat.report(b)
				})
			}
			store := bookingstore.New(d)
			data, err := store.AvailabilityData(ctx, a.ID, a.MeetingTypeID, req.From, req.To, benchNow)
			if err != nil {
				b.Fatal(err)
			}
			mt, err := store.MeetingType(ctx, a.MeetingTypeID)
			if err != nil {
				b.Fatal(err)
			}
			for _, mode := range []availability.Mode{availability.Phone, availability.InPerson} {
				b.Run("engine/"+string(mode), func(b *testing.B) {
					q := availability.Query{Location: benchdata.Stockholm, Now: benchNow, From: req.From, To: req.To,
						Rules: mt.Rules(), Mode: mode, Staff: data.Staff, Closures: data.Closures}
					if err := q.Validate(); err != nil {
						b.Fatal(err)
					}
					compute := func() error { availability.Compute(q); return nil }
					lat := measureLatency(b, 100, nil, compute)
					loop(b, nil, compute)
					lat.report(b)
				})
			}
		})
	}
}

// BenchmarkAvailabilityScaling shows how the cost grows with the number of
// staff and with the weeks asked for, warm and cold.
func BenchmarkAvailabilityScaling(b *testing.B) {
	for _, dialect := range benchDialects {
		b.Run(dialect.name, func(b *testing.B) {
			d := dialect.open(b)
			ctx := context.Background()
			for _, staff := range []int{50, 100, 200} {
				a := seedBench(b, d, staff)
				for _, cache := range []string{"warm", "cold"} {
					store := bookingstore.New(d)
					tick := churn(d, a)
					if cache == "cold" {
						store, tick = bookingstore.New(d, bookingstore.WithoutAvailabilityCache()), nil
					}
					svc := booking.NewService(store, benchClock(benchNow))
					for _, weeks := range []int{1, 2, 4} {
						req := benchRequest(a, booking.Phone, weeks)
						call := func() error { _, err := svc.Availability(ctx, req); return err }
						b.Run(fmt.Sprintf("%s/staff=%d/weeks=%d", cache, staff, weeks), func(b *testing.B) {
							loop(b, tick, call)
						})
					}
				}
			}
		})
	}
}
