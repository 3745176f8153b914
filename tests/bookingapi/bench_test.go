package bookingapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Bookings per second on PostgreSQL with 32 concurrent clients through the
// booking service, against a raw SQL baseline that runs the same
// transaction from database/sql — delete the staff member's expired holds,
// insert the block (the exclusion constraint decides), insert the
// appointment, insert the outbox event — in the same run, on distinct slots
// that never overlap; the baseline once as plain statements and once
// prepared. docs/performance.md has the figures and the command:
//
//	TIDBOK_TEST_POSTGRES_URL=... go test -run XXX -bench ApptBooking -benchtime 3000x ./tests/bookingapi/

const apptBenchClients = 32

// apptBenchNow is a Monday morning; the slots are the weekdays after it.
var apptBenchNow = time.Date(2026, 9, 7, 6, 0, 0, 0, stockholm)

type apptFixedClock time.Time

func (c apptFixedClock) Now() time.Time { return time.Time(c).UTC() }

// apptCitizens is a citizen register that knows everyone: the benchmark
// measures booking, not the auth service.
type apptCitizens struct{}

func (apptCitizens) ResolveCitizen(_ context.Context, ref booking.CitizenRef) (booking.CitizenContact, error) {
	return booking.CitizenContact{ID: ref.ID, Phone: "+46701234567", Language: "sv"}, nil
}

func (apptCitizens) Citizen(_ context.Context, id string) (booking.CitizenContact, error) {
	return booking.CitizenContact{ID: id, Phone: "+46701234567", Language: "sv"}, nil
}

// apptSlot is one staff member's free half hour.
type apptSlot struct {
	staff string
	start time.Time
}

// apptBenchPool is an agency's meeting type and its staff, with every slot
// of theirs in order; each booking takes the next one, so none overlap.
// apptPools numbers the pools, for their agencies' organisation numbers.
var apptPools atomic.Int64

type apptBenchPool struct {
	agency, meetingType string
	slots               []apptSlot
	next                atomic.Int64
}

func (p *apptBenchPool) take(tb testing.TB) apptSlot {
	i := p.next.Add(1) - 1
	if int(i) >= len(p.slots) {
		tb.Fatalf("the pool's %d slots are used up: use a smaller -benchtime", len(p.slots))
	}
	return p.slots[i]
}

// seedApptPool creates an agency with a phone meeting type of 30 minutes and
// staff members working weekdays 08:00–16:00, and lists their slots over
// weeks weeks, day by day and staff member by staff member, so concurrent
// bookings spread over the staff as a busy day would.
func seedApptPool(tb testing.TB, d *db.DB, staff, weeks int) *apptBenchPool {
	tb.Helper()
	ctx := context.Background()
	store := bookingstore.New(d)
	now := apptBenchNow.UTC()
	p := &apptBenchPool{agency: core.NewID(), meetingType: core.NewID()}
	if err := store.SaveAgency(ctx, booking.Agency{ID: p.agency, Name: "Benchkommun " + p.agency[:8], OrgNumber: fmt.Sprintf("2120%02d-0000", apptPools.Add(1)),
		Kind: booking.Municipality, TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish, CreatedAt: now, UpdatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	if err := store.SaveMeetingType(ctx, booking.MeetingType{ID: p.meetingType, AgencyID: p.agency,
		Name: booking.Text{SV: "Samtal", EN: "Call"}, Duration: 30 * time.Minute, Modes: []booking.Mode{booking.Phone},
		SlotStep: 30 * time.Minute, Horizon: 90 * 24 * time.Hour, CancellationCutoff: time.Hour, CitizenBookable: true,
		MaxActivePerCitizen: 2, CreatedAt: now, UpdatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	var weekly availability.WeeklyHours
	for day := time.Monday; day <= time.Friday; day++ {
		weekly = append(weekly, availability.WeeklyInterval{Weekday: day, Start: availability.At(8, 0), End: availability.At(16, 0), OfficeID: availability.Remote})
	}
	var ids []string
	for i := range staff {
		m := booking.StaffMember{ID: core.NewID(), AgencyID: p.agency, Name: fmt.Sprintf("Handläggare %d", i),
			MeetingTypeIDs: []string{p.meetingType}, Modes: []booking.Mode{booking.Phone},
			Schedule: availability.Schedule{Weekly: weekly}, CreatedAt: now, UpdatedAt: now}
		if err := store.SaveStaffMember(ctx, m); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	monday := availability.DateOf(apptBenchNow)
	for day := range weeks * 7 {
		date := monday.AddDays(day)
		if date.Weekday() == time.Saturday || date.Weekday() == time.Sunday {
			continue
		}
		for half := range 16 {
			start := time.Date(date.Year, date.Month, date.Day, 8, 30*half, 0, 0, stockholm)
			for _, id := range ids {
				p.slots = append(p.slots, apptSlot{staff: id, start: start})
			}
		}
	}
	return p
}

// apptBenchRun runs n bookings over 32 goroutines and returns the rate.
func apptBenchRun(b *testing.B, n int, book func() error) float64 {
	b.Helper()
	var done atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	begin := time.Now()
	for range apptBenchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for done.Add(1) <= int64(n) {
				if err := book(); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("booking failed: %v", err)
	}
	rate := float64(n) / elapsed.Seconds()
	b.ReportMetric(rate, "bookings/s")
	return rate
}

// Each variant books into a database of its own, so none meets tables the
// one before it filled.
func BenchmarkApptBookingPostgres(b *testing.B) {
	ctx := context.Background()
	const staff, weeks = 32, 8
	var serviceRate, rawRate float64

	b.Run("service", func(b *testing.B) {
		d := dbtest.Postgres(b)
		pool := seedApptPool(b, d, staff, weeks)
		svc := booking.NewService(bookingstore.New(d), apptFixedClock(apptBenchNow), booking.WithCitizens(apptCitizens{}))
		caller := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleCaseworker, AgencyID: pool.agency})
		serviceRate = apptBenchRun(b, b.N, func() error {
			s := pool.take(b)
			_, err := svc.Book(caller, booking.BookRequest{MeetingTypeID: pool.meetingType, Mode: booking.Phone, Start: s.start,
				StaffID: s.staff, Citizen: booking.CitizenRef{ID: core.NewID()}})
			return err
		})
	})

	b.Run("raw-sql", func(b *testing.B) {
		d := dbtest.Postgres(b)
		pool := seedApptPool(b, d, staff, weeks)
		now := apptBenchNow.UTC()
		payload, _ := json.Marshal(map[string]any{"appointment": map[string]any{"status": "booked"}})
		rawRate = apptBenchRun(b, b.N, func() error {
			s := pool.take(b)
			return apptRawBook(ctx, d.DB.DB, pool, s, now, payload)
		})
	})

	// The same transaction with its four statements prepared once, so each
	// costs one round trip instead of two (lib/pq parses an unprepared
	// statement with parameters in a round trip of its own): the stronger
	// baseline, as the service prepares its statements too.
	var preparedRate float64
	b.Run("raw-sql-prepared", func(b *testing.B) {
		d := dbtest.Postgres(b)
		pool := seedApptPool(b, d, staff, weeks)
		now := apptBenchNow.UTC()
		payload, _ := json.Marshal(map[string]any{"appointment": map[string]any{"status": "booked"}})
		stmts, err := prepareApptRaw(ctx, d.DB.DB)
		if err != nil {
			b.Fatal(err)
		}
		defer stmts.close()
		preparedRate = apptBenchRun(b, b.N, func() error {
			s := pool.take(b)
			return apptRawBookPrepared(ctx, d.DB.DB, stmts, pool, s, now, payload)
		})
	})

	if serviceRate > 0 && rawRate > 0 {
		b.Logf("service %.0f bookings/s, raw SQL %.0f bookings/s: %.0f %% of the baseline (target ≥ 50 %%)",
			serviceRate, rawRate, 100*serviceRate/rawRate)
	}
	if serviceRate > 0 && preparedRate > 0 {
		b.Logf("service %.0f bookings/s, raw SQL prepared %.0f bookings/s: %.0f %% of that baseline",
			serviceRate, preparedRate, 100*serviceRate/preparedRate)
	}
}

// Statements of the raw booking transaction, in apptRawBook's order.
const (
	apptRawDelete = `DELETE FROM booking_blocks WHERE staff_id = $1 AND kind = 'hold' AND expires_at <= $2`
	apptRawBlock  = `INSERT INTO booking_blocks (id, staff_id, kind, starts_at, ends_at, blocked_from, blocked_to)
		VALUES ($1, $2, 'appointment', $3, $4, $3, $4)`
	apptRawAppointment = `INSERT INTO booking_appointments (id, agency_id, meeting_type_id, staff_id, citizen_id, mode,
		phone_number, phone_direction, status, starts_at, ends_at, buffer_before_minutes, buffer_after_minutes, block_id, booked_by,
		sequence, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'phone', '+46701234567', 'agency_calls', 'booked', $6, $7, 0, 0, $8, 'bench', 0, 1, $9, $9)`
	apptRawEvent = `INSERT INTO booking_events (id, type, aggregate_id, agency_id, payload, occurred_at)
		VALUES ($1, 'appointment.booked', $2, $3, $4, $5)`
)

type apptRawStmts struct{ del, block, appointment, event *sql.Stmt }

func prepareApptRaw(ctx context.Context, conn *sql.DB) (*apptRawStmts, error) {
	var st apptRawStmts
	for _, p := range []struct {
		to    **sql.Stmt
		query string
	}{{&st.del, apptRawDelete}, {&st.block, apptRawBlock}, {&st.appointment, apptRawAppointment}, {&st.event, apptRawEvent}} {
		var err error
		if *p.to, err = conn.PrepareContext(ctx, p.query); err != nil {
			st.close()
			return nil, err
		}
	}
	return &st, nil
}

func (st *apptRawStmts) close() {
	for _, s := range []*sql.Stmt{st.del, st.block, st.appointment, st.event} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// apptRawBookPrepared is apptRawBook with the prepared statements.
func apptRawBookPrepared(ctx context.Context, conn *sql.DB, st *apptRawStmts, pool *apptBenchPool, s apptSlot, now time.Time, payload []byte) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	end := s.start.Add(30 * time.Minute).UTC()
	start := s.start.UTC()
	if _, err := tx.StmtContext(ctx, st.del).ExecContext(ctx, s.staff, now); err != nil {
		return err
	}
	block, id := core.NewID(), core.NewID()
	if _, err := tx.StmtContext(ctx, st.block).ExecContext(ctx, block, s.staff, start, end); err != nil {
		return err
	}
	if _, err := tx.StmtContext(ctx, st.appointment).ExecContext(ctx, id, pool.agency, pool.meetingType, s.staff, core.NewID(), start, end, block, now); err != nil {
		return err
	}
	if _, err := tx.StmtContext(ctx, st.event).ExecContext(ctx, core.NewID(), id, pool.agency, string(payload), now); err != nil {
		return err
	}
	return tx.Commit()
}

// apptRawBook is the baseline: the booking transaction with nothing around it.
func apptRawBook(ctx context.Context, conn *sql.DB, pool *apptBenchPool, s apptSlot, now time.Time, payload []byte) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	end := s.start.Add(30 * time.Minute).UTC()
	start := s.start.UTC()
	if _, err := tx.ExecContext(ctx, apptRawDelete, s.staff, now); err != nil {
		return err
	}
	block, id := core.NewID(), core.NewID()
	if _, err := tx.ExecContext(ctx, apptRawBlock, block, s.staff, start, end); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, apptRawAppointment, id, pool.agency, pool.meetingType, s.staff, core.NewID(), start, end, block, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, apptRawEvent, core.NewID(), id, pool.agency, string(payload), now); err != nil {
		return err
	}
	return tx.Commit()
}
