package bookingstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
)

// statsPerAgency is the appointments each of two agencies has over three
// years: about 27 000 a year, a large municipality's volume.
const statsPerAgency = 80_000

// insertRows writes rows in multi-row INSERTs of a few hundred, in one
// transaction: the data set is large and written once.
func insertRows(tb testing.TB, d *db.DB, table string, columns []string, rows [][]any) {
	tb.Helper()
	ctx := context.Background()
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	const batch = 500
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	for i := 0; i < len(rows); i += batch {
		part := rows[i:min(i+batch, len(rows))]
		values := make([]string, len(part))
		var args []any
		for j, r := range part {
			values[j] = one
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES " + strings.Join(values, ", ")
		if _, err := tx.ExecContext(ctx, d.Rebind(q), args...); err != nil {
			tb.Fatalf("insert into %s: %v", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// seedStatistics gives two agencies statsPerAgency appointments each over
// 2024–2026 (a booked event for each, a cancellation event for the
// cancelled), and a tenth as many call-backs, and returns the first.
func seedStatistics(tb testing.TB, d *db.DB) *statsWorld {
	tb.Helper()
	s := bookingstore.New(d)
	w := newStatsWorld(tb, s)
	rng := rand.New(rand.NewPCG(7, 11))
	begin := time.Date(2024, 1, 1, 7, 0, 0, 0, time.UTC)
	var appts, events, callbacks [][]any
	statuses := []string{"fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled", "noshow", "cancelled", "cancelled", "booked"}
	modes := []string{"phone", "video", "in_person"}
	for _, ag := range []struct{ agency, staff, mt string }{{w.agency.ID, w.staff, w.typeA}, {w.other.ID, w.olle, w.otherType}} {
		for i := range statsPerAgency {
			id, start := core.NewID(), begin.Add(time.Duration(rng.IntN(3*365*24*60))*time.Minute)
			status, mode := statuses[rng.IntN(len(statuses))], modes[rng.IntN(len(modes))]
			var office any
			if mode == "in_person" {
				office = w.office
				if ag.agency != w.agency.ID {
					mode = "video"
					office = nil
				}
			}
			appts = append(appts, []any{id, ag.agency, ag.mt, ag.staff, core.NewID(), mode, office, status, start, start.Add(30 * time.Minute), 0, 0, "staff:x", start, start})
			events = append(events, []any{core.NewID(), "appointment.booked", id, ag.agency, `{"change":{"by":"staff:x"}}`, start})
			if status == "cancelled" {
				by := []string{"citizen:", "staff:", "client:"}[i%3] + core.NewID()
				events = append(events, []any{core.NewID(), "appointment.cancelled", id, ag.agency, fmt.Sprintf(`{"change":{"by":%q}}`, by), start})
			}
			if i%10 == 0 {
				st := []string{"completed", "completed", "unreachable", "withdrawn"}[rng.IntN(4)]
				var done any
				if st == "completed" {
					done = start
				}
				callbacks = append(callbacks, []any{core.NewID(), ag.agency, ag.mt, "+46701234567", start.Add(-time.Hour), start.Add(time.Hour), st, done, start.Add(-2 * time.Hour), start})
			}
		}
	}
	insertRows(tb, d, "booking_appointments", []string{"id", "agency_id", "meeting_type_id", "staff_id", "citizen_id", "mode", "office_id",
		"status", "starts_at", "ends_at", "buffer_before_minutes", "buffer_after_minutes", "booked_by", "created_at", "updated_at"}, appts)
	insertRows(tb, d, "booking_events", []string{"id", "type", "aggregate_id", "agency_id", "payload", "occurred_at"}, events)
	insertRows(tb, d, "booking_callbacks", []string{"id", "agency_id", "meeting_type_id", "phone_number", "earliest", "latest", "status",
		"completed_at", "created_at", "updated_at"}, callbacks)
	analyze := "ANALYZE"
	if _, err := d.ExecContext(context.Background(), analyze); err != nil {
		tb.Fatal(err)
	}
	return w
}

// BenchmarkAppointmentOutcomes counts one agency's year of meetings (about
// 27 000 appointments and 2 700 call-backs among 160 000 appointments) and
// logs the query plan.
func BenchmarkAppointmentOutcomes(b *testing.B) {
	for _, dialect := range benchDialects {
		b.Run(dialect.name, func(b *testing.B) {
			d := dialect.open(b)
			w := seedStatistics(b, d)
			s := bookingstore.New(d)
			ctx := context.Background()
			from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			explain := "EXPLAIN QUERY PLAN "
			if d.Dialect == db.Postgres {
				explain = "EXPLAIN "
			}
			rows, err := d.QueryxContext(ctx, explain+s.OutcomesQuery(), now, w.agency.ID, from, to, w.agency.ID, from, to, from, to)
			if err != nil {
				b.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				cols, err := rows.SliceScan()
				if err != nil {
					b.Fatal(err)
				}
				plan = append(plan, fmt.Sprint(cols[len(cols)-1]))
			}
			rows.Close()
			b.Logf("%s plan:\n%s", d.Dialect, strings.Join(plan, "\n"))
			b.ResetTimer()
			for b.Loop() {
				counts, err := s.AppointmentOutcomes(ctx, w.agency.ID, from, to, now)
				if err != nil || len(counts) == 0 {
					b.Fatalf("counts = %v, %v", counts, err)
				}
			}
		})
	}
}
