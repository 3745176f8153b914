// Package benchdata writes the large agency that the availability benchmark
// (db/bookingstore) and the load command (cmd/tidbok-load) measure: many
// staff members with weekly schedules and lunch breaks, a few part-timers and
// vacations, and most of their coming weeks booked. It writes through the
// booking store, except for the booked time, which it inserts in bulk.
package benchdata

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Config says how big an agency to write.
type Config struct {
	Name   string    // tells agencies in one database apart; their ids derive from it
	Staff  int       // staff members serving the meeting type
	Weeks  int       // weeks booked, from the local date of Start
	Booked float64   // share of working hours booked, 0.6 for the benchmark
	Start  time.Time // the first day booked; a Monday keeps weeks whole
	Seed   uint64    // for the random choice of booked hours
}

// Agency is what Seed wrote.
type Agency struct {
	ID            string
	MeetingTypeID string
	OfficeIDs     []string
	StaffIDs      []string
	Blocks        int     // rows of booking_blocks
	BookedShare   float64 // booked time over working time in the weeks booked
}

// Stockholm is the agency's zone.
var Stockholm = mustLoad("Europe/Stockholm")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// meeting is the meeting type everyone serves: 30 minutes with 5 minutes to
// prepare and 10 for notes, every 15 minutes, in every mode.
var meeting = struct {
	duration, before, after, step time.Duration
}{30 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute}

// Seed writes the agency of cfg into d and returns its ids. Booked meetings
// last 45 minutes with the meeting type's buffers, so each blocks one whole
// hour; about one in twenty is a hold, half of them expired.
func Seed(ctx context.Context, d *db.DB, cfg Config) (Agency, error) {
	if cfg.Staff <= 0 || cfg.Weeks <= 0 || cfg.Booked < 0 || cfg.Booked > 1 || cfg.Name == "" {
		return Agency{}, errors.New("benchdata: need a name, staff, weeks and a booked share between 0 and 1")
	}
	s := bookingstore.New(d)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := func(kind string, n int) string {
		return core.StableID(fmt.Sprintf("bench/%s/%s/%d", cfg.Name, kind, n))
	}
	a := Agency{ID: id("agency", 0), MeetingTypeID: id("meeting-type", 0)}

	agency := booking.Agency{ID: a.ID, Name: "Benchby " + cfg.Name, OrgNumber: orgNumber(cfg.Name), Kind: booking.Municipality,
		TimeZone: Stockholm.String(), DefaultLanguage: booking.Swedish, CreatedAt: now, UpdatedAt: now}
	if err := s.SaveAgency(ctx, agency); err != nil {
		return a, fmt.Errorf("agency: %w", err)
	}
	for i := range 4 {
		o := booking.Office{ID: id("office", i), AgencyID: a.ID, Name: fmt.Sprintf("Kontor %d", i+1),
			Address:   booking.Address{Street: fmt.Sprintf("Storgatan %d", i+1), PostalCode: "123 45", City: "Benchby"},
			CreatedAt: now, UpdatedAt: now}
		if err := s.SaveOffice(ctx, o); err != nil {
			return a, fmt.Errorf("office: %w", err)
		}
		a.OfficeIDs = append(a.OfficeIDs, o.ID)
	}
	all := []booking.Mode{booking.Phone, booking.Video, booking.InPerson}
	mt := booking.MeetingType{ID: a.MeetingTypeID, AgencyID: a.ID,
		Name:     booking.Text{SV: "Rådgivning", EN: "Advice"},
		Duration: meeting.duration, Modes: all, BufferBefore: meeting.before, BufferAfter: meeting.after,
		SlotStep: meeting.step, MinNotice: booking.DefaultMinNotice, Horizon: booking.DefaultHorizon,
		CancellationCutoff: booking.DefaultCancellationCutoff, CitizenBookable: true,
		MaxActivePerCitizen: booking.DefaultMaxActivePerCitizen, CreatedAt: now, UpdatedAt: now}
	if err := s.SaveMeetingType(ctx, mt); err != nil {
		return a, fmt.Errorf("meeting type: %w", err)
	}

	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Staff)))
	first := availability.DateOf(cfg.Start.In(Stockholm))
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	var blocks []block
	var worked, booked time.Duration
	for i := range cfg.Staff {
		office := a.OfficeIDs[i%len(a.OfficeIDs)]
		afternoon := availability.Remote
		if i%2 == 1 {
			afternoon = office
		}
		days := weekdays
		if i%7 == 0 { // part-timer: no Wednesdays
			days = []time.Weekday{time.Monday, time.Tuesday, time.Thursday, time.Friday}
		}
		var weekly availability.WeeklyHours
		for _, wd := range days {
			weekly = append(weekly,
				availability.WeeklyInterval{Weekday: wd, Start: availability.At(8, 0), End: availability.At(12, 0), OfficeID: office},
				availability.WeeklyInterval{Weekday: wd, Start: availability.At(13, 0), End: availability.At(16, 30), OfficeID: afternoon})
		}
		m := booking.StaffMember{ID: id("staff", i), AgencyID: a.ID, Name: fmt.Sprintf("Handläggare %03d", i),
			Title: "Handläggare", MeetingTypeIDs: []string{a.MeetingTypeID}, Modes: all, OfficeIDs: []string{office},
			Schedule: availability.Schedule{Weekly: weekly}, CreatedAt: now, UpdatedAt: now}
		if err := m.Validate(); err != nil {
			return a, fmt.Errorf("staff member %d: %w", i, err)
		}
		if err := s.SaveStaffMember(ctx, m); err != nil {
			return a, fmt.Errorf("staff member %d: %w", i, err)
		}
		a.StaffIDs = append(a.StaffIDs, m.ID)
		if i%10 == 3 { // a week's vacation in one of the coming weeks
			v := first.AddDays(7 * (1 + i%4))
			abs := booking.Absence{ID: id("absence", i), StaffID: m.ID, Absence: availability.Absence{Kind: availability.Vacation,
				Start: availability.DateTime{Date: v}, End: availability.DateTime{Date: v.AddDays(4), Clock: availability.EndOfDay}}}
			if err := s.SaveAbsence(ctx, abs, now); err != nil {
				return a, fmt.Errorf("absence %d: %w", i, err)
			}
		}
		for day := range cfg.Weeks * 7 {
			date := first.AddDays(day)
			midnight := date.Start(Stockholm)
			for _, w := range weekly {
				if w.Weekday != date.Weekday() {
					continue
				}
				start := midnight.Add(time.Duration(w.Start) * time.Minute)
				end := midnight.Add(time.Duration(w.End) * time.Minute)
				worked += end.Sub(start)
				// Only whole hours are booked; book them a little more often
				// so that the share of all working time is cfg.Booked.
				hours := end.Sub(start).Truncate(time.Hour)
				if hours == 0 {
					continue
				}
				p := cfg.Booked * float64(end.Sub(start)) / float64(hours)
				for h := start; !h.Add(time.Hour).After(end); h = h.Add(time.Hour) {
					if rng.Float64() >= p {
						continue
					}
					b := block{id: id("block", len(blocks)), staff: m.ID, kind: "appointment",
						from: h, start: h.Add(meeting.before), end: h.Add(meeting.before + 45*time.Minute), to: h.Add(time.Hour)}
					if rng.IntN(20) == 0 {
						b.kind = "hold"
						b.expires = cfg.Start.Add(time.Duration(rng.IntN(20)-10) * time.Minute)
					}
					blocks = append(blocks, b)
					booked += time.Hour
				}
			}
		}
	}
	if err := insertBlocks(ctx, d, blocks); err != nil {
		return a, err
	}
	a.Blocks = len(blocks)
	if worked > 0 {
		a.BookedShare = float64(booked) / float64(worked)
	}
	return a, nil
}

// orgNumber gives each name its own organisation number, NNNNNN-NNNN.
func orgNumber(name string) string {
	var h uint32 = 2166136261
	for _, c := range []byte(name) {
		h = (h ^ uint32(c)) * 16777619
	}
	return fmt.Sprintf("2120%02d-%04d", h%100, (h/100)%10000)
}

type block struct {
	id, staff, kind               string
	from, start, end, to, expires time.Time
}

// rowsPerInsert keeps a statement's parameters (8 a row) well under both
// engines' limits.
const rowsPerInsert = 500

// insertBlocks writes blocks with multi-row INSERTs in one transaction,
// as Booking II keeps them: timestamptz on PostgreSQL, Unix milliseconds on
// SQLite.
func insertBlocks(ctx context.Context, d *db.DB, blocks []block) error {
	return d.InTx(ctx, func(tx *sqlx.Tx) error {
		for lo := 0; lo < len(blocks); lo += rowsPerInsert {
			batch := blocks[lo:min(lo+rowsPerInsert, len(blocks))]
			var sb strings.Builder
			sb.WriteString(`INSERT INTO booking_blocks (id, staff_id, kind, starts_at, ends_at, blocked_from, blocked_to, expires_at) VALUES `)
			args := make([]any, 0, 8*len(batch))
			for i, b := range batch {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
				var expires any
				if d.Dialect == db.Postgres {
					if b.kind == "hold" {
						expires = b.expires.UTC()
					}
					args = append(args, b.id, b.staff, b.kind, b.start.UTC(), b.end.UTC(), b.from.UTC(), b.to.UTC(), expires)
				} else {
					if b.kind == "hold" {
						expires = b.expires.UnixMilli()
					}
					args = append(args, b.id, b.staff, b.kind, b.start.UnixMilli(), b.end.UnixMilli(), b.from.UnixMilli(), b.to.UnixMilli(), expires)
				}
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(sb.String()), args...); err != nil {
				return fmt.Errorf("insert booked time: %w", db.MapError(err))
			}
		}
		return nil
	})
}
