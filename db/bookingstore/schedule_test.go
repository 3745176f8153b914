package bookingstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// scheduleWorld is an agency with two offices (one retired), two meeting
// types, and staff who serve one, the other or both; a second agency has a
// staff member and a closure of its own.
type scheduleWorld struct {
	agency, other                      booking.Agency
	office, retiredOffice, spareOffice string
	typeA, typeB, otherTyp             string
	// alice serves A at both offices, bob serves A and B remotely, carl
	// serves only B, dora served A and is retired, olle is the other
	// agency's.
	alice, bob, carl, dora, olle booking.StaffMember
}

func scheduleOffice(t *testing.T, s *bookingstore.Store, agencyID, name string) string {
	t.Helper()
	o := booking.Office{ID: core.NewID(), AgencyID: agencyID, Name: name,
		Address:   booking.Address{Street: "Torget 1", PostalCode: "123 45", City: "Alby"},
		CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveOffice(context.Background(), o); err != nil {
		t.Fatalf("SaveOffice(%s): %v", name, err)
	}
	return o.ID
}

func scheduleMeetingType(t *testing.T, s *bookingstore.Store, agencyID, name string) string {
	t.Helper()
	mt := booking.MeetingType{ID: core.NewID(), AgencyID: agencyID,
		Name: booking.Text{SV: name, EN: name}, Duration: 30 * time.Minute,
		Modes:    []booking.Mode{booking.Phone, booking.Video, booking.InPerson},
		SlotStep: 15 * time.Minute, Horizon: 60 * 24 * time.Hour, MaxActivePerCitizen: 1,
		CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveMeetingType(context.Background(), mt); err != nil {
		t.Fatalf("SaveMeetingType(%s): %v", name, err)
	}
	return mt.ID
}

func mustClock(t *testing.T, s string) availability.Clock {
	t.Helper()
	c, err := availability.ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustDate(t *testing.T, s string) availability.Date {
	t.Helper()
	d, err := availability.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustLocal(t *testing.T, d, c string) availability.DateTime {
	t.Helper()
	return availability.DateTime{Date: mustDate(t, d), Clock: mustClock(t, c)}
}

func newScheduleWorld(t *testing.T, s *bookingstore.Store) scheduleWorld {
	t.Helper()
	ctx := context.Background()
	w := scheduleWorld{agency: agency("Alby kommun", nextScheduleOrg()), other: agency("Bergby kommun", nextScheduleOrg())}
	for _, a := range []booking.Agency{w.agency, w.other} {
		if err := s.SaveAgency(ctx, a); err != nil {
			t.Fatalf("SaveAgency: %v", err)
		}
	}
	w.office = scheduleOffice(t, s, w.agency.ID, "Medborgarkontoret")
	w.retiredOffice = scheduleOffice(t, s, w.agency.ID, "Gamla kontoret")
	w.spareOffice = scheduleOffice(t, s, w.agency.ID, "Filialen")
	otherOffice := scheduleOffice(t, s, w.other.ID, "Bergby kontor")
	w.typeA = scheduleMeetingType(t, s, w.agency.ID, "Bygglov")
	w.typeB = scheduleMeetingType(t, s, w.agency.ID, "Skuldrådgivning")
	w.otherTyp = scheduleMeetingType(t, s, w.other.ID, "Bergby bygglov")

	member := func(a booking.Agency, name string, types, offices []string, weekly availability.WeeklyHours) booking.StaffMember {
		return booking.StaffMember{ID: core.NewID(), AgencyID: a.ID, Name: name, Title: "Handläggare",
			Email: "x@example.se", MeetingTypeIDs: types, OfficeIDs: offices,
			Modes:    []booking.Mode{booking.Phone, booking.Video, booking.InPerson},
			Schedule: availability.Schedule{Weekly: weekly}, CreatedAt: t0, UpdatedAt: t0}
	}
	mon := func(office string) availability.WeeklyHours {
		return availability.WeeklyHours{{Weekday: time.Monday, Start: mustClock(t, "08:00"), End: mustClock(t, "12:00"), OfficeID: office}}
	}
	w.alice = member(w.agency, "Alice", []string{w.typeA}, []string{w.office, w.retiredOffice}, mon(w.office))
	w.bob = member(w.agency, "Bob", []string{w.typeA, w.typeB}, nil, mon(availability.Remote))
	w.bob.Modes = []booking.Mode{booking.Phone, booking.Video}
	w.carl = member(w.agency, "Carl", []string{w.typeB}, []string{w.office}, mon(w.office))
	w.dora = member(w.agency, "Dora", []string{w.typeA}, []string{w.office}, mon(w.office))
	w.olle = member(w.other, "Olle", []string{w.otherTyp}, []string{otherOffice}, mon(otherOffice))
	for _, m := range []booking.StaffMember{w.alice, w.bob, w.carl, w.dora, w.olle} {
		if err := s.SaveStaffMember(ctx, m); err != nil {
			t.Fatalf("SaveStaffMember(%s): %v", m.Name, err)
		}
	}
	if err := s.RetireOffice(ctx, w.retiredOffice, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireStaffMember(ctx, w.dora.ID, t0); err != nil {
		t.Fatal(err)
	}
	return w
}

// insertBlockRow writes a row of booking_blocks as Booking II will: instants
// as timestamptz on PostgreSQL and Unix milliseconds on SQLite.
func insertBlockRow(ctx context.Context, d *db.DB, staffID, kind string, from, to time.Time, expires *time.Time) error {
	id := core.NewID()
	var err error
	switch d.Dialect {
	case db.Postgres:
		var exp any
		if expires != nil {
			exp = expires.UTC()
		}
		_, err = d.ExecContext(ctx, `INSERT INTO booking_blocks (id, staff_id, kind, starts_at, ends_at, blocked_from, blocked_to, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, staffID, kind, from.UTC(), to.UTC(), from.UTC(), to.UTC(), exp)
	default:
		var exp any
		if expires != nil {
			exp = expires.UnixMilli()
		}
		_, err = d.ExecContext(ctx, `INSERT INTO booking_blocks (id, staff_id, kind, starts_at, ends_at, blocked_from, blocked_to, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, staffID, kind, from.UnixMilli(), to.UnixMilli(), from.UnixMilli(), to.UnixMilli(), exp)
	}
	return db.MapError(err)
}

func mustInsertBlockRow(t *testing.T, d *db.DB, staffID, kind string, from, to time.Time, expires *time.Time) {
	t.Helper()
	if err := insertBlockRow(context.Background(), d, staffID, kind, from, to, expires); err != nil {
		t.Fatalf("insert %s block: %v", kind, err)
	}
}

func staffNames(ms []booking.StaffMember) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func testStaffMembers(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := bookingstore.New(d)
	w := newScheduleWorld(t, s)

	t.Run("a staff member comes back with links and schedule", func(t *testing.T) {
		m := w.alice
		m.ID, m.AccountID, m.Name = core.NewID(), core.NewID(), "Anna"
		m.MeetingTypeIDs = sortedCopy([]string{w.typeA, w.typeB})
		m.OfficeIDs = []string{w.office}
		m.Modes = []booking.Mode{booking.Phone, booking.InPerson}
		m.Schedule = availability.Schedule{
			Weekly: availability.WeeklyHours{
				{Weekday: time.Monday, Start: mustClock(t, "08:00"), End: mustClock(t, "12:00"), OfficeID: w.office},
				{Weekday: time.Monday, Start: mustClock(t, "13:00"), End: mustClock(t, "16:30"), OfficeID: availability.Remote},
				{Weekday: time.Friday, Start: mustClock(t, "07:30"), End: mustClock(t, "24:00"), OfficeID: availability.Remote},
			},
			Exceptions: []availability.DateException{
				{Date: mustDate(t, "2026-12-23"), Closed: true},
				{Date: mustDate(t, "2026-12-28"), Closed: true, Hours: []availability.Hours{{Start: mustClock(t, "09:00"), End: mustClock(t, "11:00"), OfficeID: w.office}}},
			},
		}
		if err := s.SaveStaffMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, err := s.StaffMember(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(t0) || got.CreatedAt.Location() != time.UTC || got.RetiredAt != nil {
			t.Fatalf("times: created %v retired %v", got.CreatedAt, got.RetiredAt)
		}
		got.CreatedAt, got.UpdatedAt = m.CreatedAt, m.UpdatedAt
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", m) {
			t.Fatalf("got  %+v\nwant %+v", got, m)
		}
	})

	t.Run("saving again replaces the links", func(t *testing.T) {
		m := w.carl
		m.MeetingTypeIDs = []string{w.typeA}
		m.OfficeIDs = nil
		m.Modes = []booking.Mode{booking.Phone}
		m.Schedule.Weekly = availability.WeeklyHours{{Weekday: time.Tuesday, Start: mustClock(t, "10:00"), End: mustClock(t, "11:00"), OfficeID: availability.Remote}}
		if err := s.SaveStaffMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, err := s.StaffMember(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.MeetingTypeIDs) != fmt.Sprint([]string{w.typeA}) || len(got.OfficeIDs) != 0 ||
			fmt.Sprint(got.Modes) != "[phone]" || len(got.Schedule.Weekly) != 1 || got.Schedule.Weekly[0].Weekday != time.Tuesday {
			t.Fatalf("got %+v", got)
		}
		if err := s.SaveStaffMember(ctx, w.carl); err != nil { // put Carl back for the other subtests
			t.Fatal(err)
		}
	})

	t.Run("the agency's active staff are listed by name with their links", func(t *testing.T) {
		got, err := s.StaffMembers(ctx, w.agency.ID)
		if err != nil {
			t.Fatal(err)
		}
		if names := fmt.Sprint(staffNames(got)); names != "[Alice Anna Bob Carl]" {
			t.Fatalf("names = %s, want the retired Dora and the other agency's Olle left out", names)
		}
		byName := map[string]booking.StaffMember{}
		for _, m := range got {
			byName[m.Name] = m
		}
		if fmt.Sprint(byName["Bob"].MeetingTypeIDs) != fmt.Sprint(sortedCopy([]string{w.typeA, w.typeB})) {
			t.Fatalf("Bob's meeting types = %v", byName["Bob"].MeetingTypeIDs)
		}
		if fmt.Sprint(byName["Alice"].OfficeIDs) != fmt.Sprint(sortedCopy([]string{w.office, w.retiredOffice})) {
			t.Fatalf("Alice's offices = %v", byName["Alice"].OfficeIDs)
		}
		if len(byName["Alice"].Schedule.Weekly) != 1 {
			t.Fatalf("Alice's schedule = %+v", byName["Alice"].Schedule)
		}
	})

	t.Run("a retired staff member is still found by id, marked retired", func(t *testing.T) {
		got, err := s.StaffMember(ctx, w.dora.ID)
		if err != nil || got.RetiredAt == nil || !got.RetiredAt.Equal(t0) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})

	t.Run("an unknown staff member is not found", func(t *testing.T) {
		if _, err := s.StaffMember(ctx, core.NewID()); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("two staff members cannot share a sign-in account", func(t *testing.T) {
		account := core.NewID()
		first, second := w.bob, w.bob
		first.ID, first.AccountID, first.Name = core.NewID(), account, "Först"
		second.ID, second.AccountID, second.Name = core.NewID(), account, "Sist"
		if err := s.SaveStaffMember(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveStaffMember(ctx, second); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("err = %v, want ErrConflict", err)
		}
		if _, err := s.StaffMember(ctx, second.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("the refused staff member was written: %v", err)
		}
	})

	t.Run("a link to an unknown office is refused and nothing is written", func(t *testing.T) {
		m := w.bob
		m.ID, m.Name, m.OfficeIDs = core.NewID(), "Utan kontor", []string{core.NewID()}
		if err := s.SaveStaffMember(ctx, m); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		if _, err := s.StaffMember(ctx, m.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("the staff row outlived its failed links: %v", err)
		}
	})
}

func testAbsencesAndClosures(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := bookingstore.New(d)
	w := newScheduleWorld(t, s)

	absence := func(staff, kind, start, end string) booking.Absence {
		t.Helper()
		a := booking.Absence{ID: core.NewID(), StaffID: staff, Absence: availability.Absence{Kind: availability.AbsenceKind(kind)}}
		a.Start = mustLocal(t, start[:10], start[11:])
		a.End = mustLocal(t, end[:10], end[11:])
		return a
	}

	t.Run("absences are saved, listed oldest first and deleted", func(t *testing.T) {
		later := absence(w.alice.ID, "sick", "2026-12-07T08:00", "2026-12-07T24:00")
		earlier := absence(w.alice.ID, "vacation", "2026-07-06T00:00", "2026-07-31T24:00")
		bobs := absence(w.bob.ID, "training", "2026-09-01T13:00", "2026-09-01T16:00")
		for _, a := range []booking.Absence{later, earlier, bobs} {
			if err := s.SaveAbsence(ctx, a, t0); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Absences(ctx, w.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint([]booking.Absence{earlier, later}) {
			t.Fatalf("got  %v\nwant %v", got, []booking.Absence{earlier, later})
		}
		if err := s.DeleteAbsence(ctx, w.bob.ID, earlier.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("deleting Alice's absence as Bob's: err = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAbsence(ctx, w.alice.ID, earlier.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAbsence(ctx, w.alice.ID, earlier.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("deleting twice: err = %v, want ErrNotFound", err)
		}
		got, err = s.Absences(ctx, w.alice.ID)
		if err != nil || len(got) != 1 || got[0].ID != later.ID {
			t.Fatalf("after delete: %v, %v", got, err)
		}
	})

	t.Run("an absence of an unknown kind is refused by the database", func(t *testing.T) {
		a := absence(w.alice.ID, "holiday", "2026-08-03T08:00", "2026-08-03T12:00")
		if err := s.SaveAbsence(ctx, a, t0); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
	})

	t.Run("closures are saved, listed per agency oldest first and deleted", func(t *testing.T) {
		staffDay := booking.Closure{ID: core.NewID(), AgencyID: w.agency.ID,
			Closure: availability.Closure{Start: mustLocal(t, "2026-10-02", "12:00"), End: mustLocal(t, "2026-10-02", "24:00"), Reason: "Personaldag"}}
		summer := booking.Closure{ID: core.NewID(), AgencyID: w.agency.ID,
			Closure: availability.ClosedDays(mustDate(t, "2026-07-13"), mustDate(t, "2026-07-17"), "Sommarstängt")}
		others := booking.Closure{ID: core.NewID(), AgencyID: w.other.ID,
			Closure: availability.ClosedDays(mustDate(t, "2026-07-01"), mustDate(t, "2026-07-01"), "Bergby")}
		for _, c := range []booking.Closure{staffDay, summer, others} {
			if err := s.SaveClosure(ctx, c, t0); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Closures(ctx, w.agency.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint([]booking.Closure{summer, staffDay}) {
			t.Fatalf("got  %v\nwant %v", got, []booking.Closure{summer, staffDay})
		}
		if err := s.DeleteClosure(ctx, w.other.ID, summer.ID); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("deleting through another agency: err = %v, want ErrNotFound", err)
		}
		if err := s.DeleteClosure(ctx, w.agency.ID, summer.ID); err != nil {
			t.Fatal(err)
		}
		got, err = s.Closures(ctx, w.agency.ID)
		if err != nil || len(got) != 1 || got[0].ID != staffDay.ID {
			t.Fatalf("after delete: %v, %v", got, err)
		}
	})
}

func testAvailabilityData(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := bookingstore.New(d)
	w := newScheduleWorld(t, s)
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	// The window is the week of Monday 2026-09-07; now is the Friday before.
	from := time.Date(2026, 9, 7, 0, 0, 0, 0, stockholm)
	to := from.AddDate(0, 0, 7)
	now := time.Date(2026, 9, 4, 10, 0, 0, 0, stockholm)
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 9, day, hour, minute, 0, 0, stockholm) }

	for _, a := range []booking.Absence{
		{ID: core.NewID(), StaffID: w.alice.ID, Absence: availability.Absence{Kind: availability.Sick,
			Start: mustLocal(t, "2026-09-08", "08:00"), End: mustLocal(t, "2026-09-08", "24:00")}},
		{ID: core.NewID(), StaffID: w.alice.ID, Absence: availability.Absence{Kind: availability.Vacation, // overlaps the start
			Start: mustLocal(t, "2026-08-24", "00:00"), End: mustLocal(t, "2026-09-07", "12:00")}},
		{ID: core.NewID(), StaffID: w.alice.ID, Absence: availability.Absence{Kind: availability.Vacation, // long before
			Start: mustLocal(t, "2026-06-01", "00:00"), End: mustLocal(t, "2026-06-30", "24:00")}},
		{ID: core.NewID(), StaffID: w.bob.ID, Absence: availability.Absence{Kind: availability.Training, // long after
			Start: mustLocal(t, "2026-11-02", "08:00"), End: mustLocal(t, "2026-11-02", "17:00")}},
		{ID: core.NewID(), StaffID: w.carl.ID, Absence: availability.Absence{Kind: availability.Sick, // Carl does not serve A
			Start: mustLocal(t, "2026-09-09", "08:00"), End: mustLocal(t, "2026-09-09", "17:00")}},
	} {
		if err := s.SaveAbsence(ctx, a, t0); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []booking.Closure{
		{ID: core.NewID(), AgencyID: w.agency.ID, Closure: availability.Closure{ // inside
			Start: mustLocal(t, "2026-09-11", "12:00"), End: mustLocal(t, "2026-09-11", "24:00"), Reason: "Personaldag"}},
		{ID: core.NewID(), AgencyID: w.agency.ID, Closure: availability.ClosedDays(mustDate(t, "2026-12-28"), mustDate(t, "2026-12-30"), "Mellandagar")},
		{ID: core.NewID(), AgencyID: w.other.ID, Closure: availability.ClosedDays(mustDate(t, "2026-09-08"), mustDate(t, "2026-09-08"), "Bergby")},
	} {
		if err := s.SaveClosure(ctx, c, t0); err != nil {
			t.Fatal(err)
		}
	}
	expired, live := now.Add(-time.Minute), now.Add(10*time.Minute)
	mustInsertBlockRow(t, d, w.alice.ID, "appointment", at(7, 9, 0), at(7, 10, 0), nil)
	mustInsertBlockRow(t, d, w.alice.ID, "hold", at(7, 10, 0), at(7, 10, 45), &live)
	mustInsertBlockRow(t, d, w.alice.ID, "hold", at(7, 11, 0), at(7, 11, 45), &expired)
	mustInsertBlockRow(t, d, w.alice.ID, "appointment", at(1, 9, 0), at(1, 10, 0), nil) // six days before the window
	mustInsertBlockRow(t, d, w.bob.ID, "appointment", at(14, 8, 0), at(14, 8, 30), nil) // just after the window: a buffer may reach it
	mustInsertBlockRow(t, d, w.bob.ID, "appointment", at(20, 8, 0), at(20, 8, 30), nil) // days after the window
	mustInsertBlockRow(t, d, w.carl.ID, "appointment", at(8, 9, 0), at(8, 10, 0), nil)  // does not serve A
	mustInsertBlockRow(t, d, w.dora.ID, "appointment", at(8, 9, 0), at(8, 10, 0), nil)  // retired

	data, err := s.AvailabilityData(ctx, w.agency.ID, w.typeA, from, to, now)
	if err != nil {
		t.Fatal(err)
	}
	staff := map[string]availability.Staff{}
	var order []string
	for _, st := range data.Staff {
		staff[st.ID] = st
		order = append(order, st.ID)
	}

	t.Run("exactly the active staff who serve the meeting type", func(t *testing.T) {
		want := sortedCopy([]string{w.alice.ID, w.bob.ID})
		if fmt.Sprint(order) != fmt.Sprint(want) {
			t.Fatalf("staff = %v, want Alice and Bob %v (not Carl, retired Dora or Olle)", order, want)
		}
		if got := staff[w.bob.ID]; fmt.Sprint(got.Modes) != "[phone video]" || fmt.Sprint(got.MeetingTypeIDs) != fmt.Sprint([]string{w.typeA}) {
			t.Fatalf("Bob = %+v", got)
		}
	})

	t.Run("with their offices that are not retired", func(t *testing.T) {
		if got := staff[w.alice.ID].OfficeIDs; fmt.Sprint(got) != fmt.Sprint([]string{w.office}) {
			t.Fatalf("Alice's offices = %v, want only %s", got, w.office)
		}
		if got := staff[w.bob.ID].OfficeIDs; len(got) != 0 {
			t.Fatalf("Bob's offices = %v, want none", got)
		}
	})

	t.Run("with their weekly schedule", func(t *testing.T) {
		got := staff[w.alice.ID].Schedule.Weekly
		if len(got) != 1 || got[0] != w.alice.Schedule.Weekly[0] {
			t.Fatalf("Alice's weekly hours = %+v", got)
		}
	})

	t.Run("with the absences that overlap the window", func(t *testing.T) {
		var got []string
		for _, a := range staff[w.alice.ID].Schedule.Absences {
			got = append(got, a.Start.String()+"/"+a.End.String()+"/"+string(a.Kind))
		}
		want := []string{"2026-08-24T00:00/2026-09-07T12:00/vacation", "2026-09-08T08:00/2026-09-08T24:00/sick"}
		if fmt.Sprint(sortedCopy(got)) != fmt.Sprint(want) {
			t.Fatalf("Alice's absences = %v, want %v", got, want)
		}
		if got := staff[w.bob.ID].Schedule.Absences; len(got) != 0 {
			t.Fatalf("Bob's absences = %+v, want none (his training is in November)", got)
		}
	})

	t.Run("with the agency's closures that overlap the window", func(t *testing.T) {
		if len(data.Closures) != 1 || data.Closures[0].Reason != "Personaldag" ||
			data.Closures[0].Start.String() != "2026-09-11T12:00" {
			t.Fatalf("closures = %+v, want only the staff afternoon", data.Closures)
		}
	})

	t.Run("with appointments and live holds, not expired holds", func(t *testing.T) {
		var got []string
		for _, b := range staff[w.alice.ID].Busy {
			if b.BufferBefore != 0 || b.BufferAfter != 0 {
				t.Fatalf("busy %+v: the stored span includes the buffers, so none may be added", b)
			}
			got = append(got, b.Start.In(stockholm).Format("02 15:04")+"-"+b.End.In(stockholm).Format("15:04"))
		}
		want := "[07 09:00-10:00 07 10:00-10:45]"
		if fmt.Sprint(sortedCopy(got)) != want {
			t.Fatalf("Alice's busy time = %v, want %s", got, want)
		}
		if got := staff[w.bob.ID].Busy; len(got) != 1 || !got[0].Start.Equal(at(14, 8, 0)) {
			t.Fatalf("Bob's busy time = %+v, want only the block just after the window", got)
		}
	})

	t.Run("a meeting type nobody serves has no staff", func(t *testing.T) {
		empty := scheduleMeetingType(t, s, w.agency.ID, "Ny typ")
		got, err := s.AvailabilityData(ctx, w.agency.ID, empty, from, to, now)
		if err != nil || len(got.Staff) != 0 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})

	t.Run("retiring a staff member removes them", func(t *testing.T) {
		if err := s.RetireStaffMember(ctx, w.bob.ID, now); err != nil {
			t.Fatal(err)
		}
		got, err := s.AvailabilityData(ctx, w.agency.ID, w.typeA, from, to, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Staff) != 1 || got.Staff[0].ID != w.alice.ID {
			t.Fatalf("staff = %+v, want only Alice", got.Staff)
		}
		list, err := s.StaffMembers(ctx, w.agency.ID)
		if err != nil || slices.Contains(staffNames(list), "Bob") {
			t.Fatalf("StaffMembers = %v, %v: still lists Bob", staffNames(list), err)
		}
	})
}

// PostgreSQL's exclusion constraint is the guarantee that a staff member is
// never booked twice; SQLite relies on serialized writers instead.
func testOverlappingBlocks(t *testing.T, d *db.DB) {
	if d.Dialect != db.Postgres {
		t.Skip("SQLite has no exclusion constraint: its writers serialize and check first")
	}
	ctx := context.Background()
	s := bookingstore.New(d)
	w := newScheduleWorld(t, s)
	start := time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)
	mustInsertBlockRow(t, d, w.alice.ID, "appointment", start, start.Add(time.Hour), nil)

	cases := []struct {
		name     string
		staff    string
		from, to time.Time
		want     error
	}{
		{"an overlapping block of the same staff member conflicts", w.alice.ID, start.Add(30 * time.Minute), start.Add(90 * time.Minute), core.ErrConflict},
		{"a block inside another conflicts", w.alice.ID, start.Add(10 * time.Minute), start.Add(20 * time.Minute), core.ErrConflict},
		{"a block that only touches is allowed", w.alice.ID, start.Add(time.Hour), start.Add(2 * time.Hour), nil},
		{"another staff member's block at the same time is allowed", w.bob.ID, start, start.Add(time.Hour), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := insertBlockRow(ctx, d, tc.staff, "hold", tc.from, tc.to, &tc.to)
			if tc.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// busyByStaff summarises what AvailabilityData returned: each staff member's
// busy spans and weekly hours, sorted.
func busyByStaff(data booking.AvailabilityData) map[string]string {
	out := map[string]string{}
	for _, st := range data.Staff {
		var spans []string
		for _, b := range st.Busy {
			spans = append(spans, b.Start.UTC().Format(time.RFC3339)+"/"+b.End.UTC().Format(time.RFC3339))
		}
		slices.Sort(spans)
		out[st.ID] = fmt.Sprint(spans, st.Schedule.Weekly, st.Schedule.Absences, st.Modes, st.OfficeIDs)
	}
	return out
}

// The store keeps what it read between calls; every way the data can change
// must show at once, exactly as a store that reads everything again sees it.
func testAvailabilityDataSeesEveryChange(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := bookingstore.New(d)
	fresh := bookingstore.New(d, bookingstore.WithoutAvailabilityCache())
	w := newScheduleWorld(t, s)
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 9, 7, 0, 0, 0, 0, stockholm)
	to := from.AddDate(0, 0, 28)
	now := time.Date(2026, 9, 4, 10, 0, 0, 0, stockholm)
	at := func(day, hour int) time.Time { return time.Date(2026, 9, day, hour, 0, 0, 0, stockholm) }
	live := now.Add(10 * time.Minute)
	mustInsertBlockRow(t, d, w.alice.ID, "appointment", at(7, 9), at(7, 10), nil)
	mustInsertBlockRow(t, d, w.alice.ID, "hold", at(8, 9), at(8, 10), &live)

	// check compares the cached store with the fresh one, and returns
	// Alice's and Bob's busy spans as the cached store sees them.
	check := func(t *testing.T, from, to, now time.Time) (alice, bob string) {
		t.Helper()
		got, err := s.AvailabilityData(ctx, w.agency.ID, w.typeA, from, to, now)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.AvailabilityData(ctx, w.agency.ID, w.typeA, from, to, now)
		if err != nil {
			t.Fatal(err)
		}
		g, wt := busyByStaff(got), busyByStaff(want)
		if fmt.Sprint(g) != fmt.Sprint(wt) {
			t.Fatalf("cached store sees\n%v\nthe database holds\n%v", g, wt)
		}
		// The busy time is shared between calls and read only, but callers
		// may append to what they get (as to the absences); the next call
		// must not see it.
		for i := range got.Staff {
			got.Staff[i].Busy = append(got.Staff[i].Busy, availability.Busy{Start: from, End: to})
			got.Staff[i].Schedule.Absences = append(got.Staff[i].Schedule.Absences, availability.Absence{Kind: availability.Sick})
		}
		return g[w.alice.ID], g[w.bob.ID]
	}
	alice, _ := check(t, from, to, now)
	if !strings.Contains(alice, "2026-09-07T07:00:00Z") || !strings.Contains(alice, "2026-09-08T07:00:00Z") {
		t.Fatalf("Alice = %s, want her appointment and her hold", alice)
	}

	steps := []struct {
		name   string
		change func(t *testing.T)
		now    time.Time
		want   func(alice, bob string) bool
	}{
		{"a new block shows", func(t *testing.T) {
			mustInsertBlockRow(t, d, w.alice.ID, "appointment", at(9, 13), at(9, 14), nil)
		}, now, func(alice, bob string) bool { return strings.Contains(alice, "2026-09-09T11:00:00Z") }},
		{"a deleted block goes", func(t *testing.T) {
			if _, err := d.ExecContext(ctx, d.Rebind(`DELETE FROM booking_blocks WHERE staff_id = ? AND kind = 'appointment'`), w.alice.ID); err != nil {
				t.Fatal(err)
			}
		}, now, func(alice, bob string) bool {
			return !strings.Contains(alice, "2026-09-07T07:00:00Z") && !strings.Contains(alice, "2026-09-09T11:00:00Z")
		}},
		{"a block moved to another staff member moves", func(t *testing.T) {
			if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE booking_blocks SET staff_id = ? WHERE staff_id = ?`), w.bob.ID, w.alice.ID); err != nil {
				t.Fatal(err)
			}
		}, now, func(alice, bob string) bool {
			return !strings.Contains(alice, "2026-09-08T07:00:00Z") && strings.Contains(bob, "2026-09-08T07:00:00Z")
		}},
		{"a hold that expires goes without any write", func(t *testing.T) {}, live.Add(time.Minute), func(alice, bob string) bool {
			return !strings.Contains(bob, "2026-09-08T07:00:00Z")
		}},
		{"a hold turned into an appointment stays after its expiry", func(t *testing.T) {
			if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE booking_blocks SET kind = 'appointment', expires_at = NULL WHERE staff_id = ?`), w.bob.ID); err != nil {
				t.Fatal(err)
			}
		}, live.Add(time.Minute), func(alice, bob string) bool { return strings.Contains(bob, "2026-09-08T07:00:00Z") }},
		{"blocks inside one another both show (SQLite keeps what PostgreSQL refuses)", func(t *testing.T) {
			if d.Dialect == db.Postgres {
				return
			}
			mustInsertBlockRow(t, d, w.bob.ID, "appointment", at(22, 8), at(22, 12), nil)
			mustInsertBlockRow(t, d, w.bob.ID, "appointment", at(22, 9), at(22, 10), nil)
		}, now, func(alice, bob string) bool {
			return d.Dialect == db.Postgres ||
				strings.Contains(bob, "2026-09-22T06:00:00Z/2026-09-22T10:00:00Z") && strings.Contains(bob, "2026-09-22T07:00:00Z/2026-09-22T08:00:00Z")
		}},
		{"a new schedule shows", func(t *testing.T) {
			m := w.alice
			m.Schedule.Weekly = availability.WeeklyHours{{Weekday: time.Thursday, Start: mustClock(t, "10:00"), End: mustClock(t, "11:00"), OfficeID: w.office}}
			if err := s.SaveStaffMember(ctx, m); err != nil {
				t.Fatal(err)
			}
		}, now, func(alice, bob string) bool { return strings.Contains(alice, "Thursday") }},
		{"a new absence shows", func(t *testing.T) {
			a := booking.Absence{ID: core.NewID(), StaffID: w.alice.ID, Absence: availability.Absence{Kind: availability.Training,
				Start: mustLocal(t, "2026-09-10", "08:00"), End: mustLocal(t, "2026-09-10", "12:00")}}
			if err := s.SaveAbsence(ctx, a, now); err != nil {
				t.Fatal(err)
			}
		}, now, func(alice, bob string) bool { return strings.Contains(alice, "training") }},
		{"an office added to a staff member shows", func(t *testing.T) {
			m := w.alice
			m.OfficeIDs = []string{w.office, w.spareOffice}
			m.Schedule.Weekly = availability.WeeklyHours{{Weekday: time.Thursday, Start: mustClock(t, "10:00"), End: mustClock(t, "11:00"), OfficeID: w.spareOffice}}
			if err := s.SaveStaffMember(ctx, m); err != nil {
				t.Fatal(err)
			}
		}, now, func(alice, bob string) bool {
			return strings.HasSuffix(alice, " ["+strings.Join(sorted(w.office, w.spareOffice), " ")+"]")
		}},
		{"new modes show", func(t *testing.T) {
			m := w.bob
			m.Modes = []booking.Mode{booking.Video}
			if err := s.SaveStaffMember(ctx, m); err != nil {
				t.Fatal(err)
			}
		}, now, func(alice, bob string) bool { return strings.Contains(bob, "[video]") }},
		{"a retired office goes from its staff", func(t *testing.T) {
			if err := s.RetireOffice(ctx, w.spareOffice, now); err != nil {
				t.Fatal(err)
			}
		}, now, func(alice, bob string) bool {
			return strings.HasSuffix(alice, " ["+w.office+"]")
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.change(t)
			alice, bob := check(t, from, to, step.now)
			if !step.want(alice, bob) {
				t.Fatalf("Alice = %s\nBob = %s", alice, bob)
			}
		})
	}

	t.Run("a narrow question after a wide one and a wide one after a narrow one", func(t *testing.T) {
		mustInsertBlockRow(t, d, w.bob.ID, "appointment", at(30, 9), at(30, 10), nil)
		check(t, at(9, 9), at(9, 9).Add(time.Minute), now)
		_, bob := check(t, from, to, now)
		if !strings.Contains(bob, "2026-09-30T07:00:00Z") {
			t.Fatalf("Bob = %s, want the block at the end of the window", bob)
		}
		check(t, from.AddDate(0, 1, 0), to.AddDate(0, 1, 0), now)
	})

	t.Run("calls racing with writes all see a consistent store", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					if g == 0 {
						if err := insertBlockRow(ctx, d, w.bob.ID, "appointment", at(1+i, 18), at(1+i, 19), nil); err != nil {
							errs <- err
							return
						}
						continue
					}
					if _, err := s.AvailabilityData(ctx, w.agency.ID, w.typeA, from.AddDate(0, 0, -7), to, now); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		_, bob := check(t, from.AddDate(0, 0, -7), to, now)
		if !strings.Contains(bob, "2026-09-10T16:00:00Z") {
			t.Fatalf("Bob = %s, want the last block the writer added", bob)
		}
	})
}

// SlotData never answers with busy time it has not checked: a staff member
// whose blocks changed since the store read them comes without any (the
// insert decides), one whose blocks did not comes with them, and neither
// reads blocks.
func testSlotData(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := bookingstore.New(d)
	w := newScheduleWorld(t, s)
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 9, 4, 10, 0, 0, 0, stockholm)
	from := time.Date(2026, 9, 7, 9, 0, 0, 0, stockholm)
	to := from.Add(time.Minute)
	mustInsertBlockRow(t, d, w.alice.ID, "appointment", from, from.Add(time.Hour), nil)
	mustInsertBlockRow(t, d, w.bob.ID, "appointment", from, from.Add(time.Hour), nil)
	slotData := func(ctx context.Context, agencyID, meetingTypeID string, from, to, now time.Time) (booking.AvailabilityData, error) {
		return s.SlotData(ctx, agencyID, meetingTypeID, "", from, to, now)
	}
	busy := func(t *testing.T, load func(context.Context, string, string, time.Time, time.Time, time.Time) (booking.AvailabilityData, error)) map[string]int {
		t.Helper()
		data, err := load(ctx, w.agency.ID, w.typeA, from, to, now)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, st := range data.Staff {
			out[st.ID] = len(st.Busy)
		}
		return out
	}
	if got := busy(t, slotData); got[w.alice.ID] != 0 || got[w.bob.ID] != 0 {
		t.Fatalf("before anything was read: busy blocks %v, want none known", got)
	}
	if got := busy(t, s.AvailabilityData); got[w.alice.ID] != 1 || got[w.bob.ID] != 1 {
		t.Fatalf("AvailabilityData: busy blocks %v, want one each", got)
	}
	if got := busy(t, slotData); got[w.alice.ID] != 1 || got[w.bob.ID] != 1 {
		t.Fatalf("read and unchanged: busy blocks %v, want one each", got)
	}
	// Alice's appointment is cancelled elsewhere: the store must not go on
	// calling her busy.
	if _, err := d.ExecContext(ctx, d.Rebind(`DELETE FROM booking_blocks WHERE staff_id = ?`), w.alice.ID); err != nil {
		t.Fatal(err)
	}
	if got := busy(t, slotData); got[w.alice.ID] != 0 || got[w.bob.ID] != 1 {
		t.Fatalf("after Alice's block went: busy blocks %v, want Alice none and Bob one", got)
	}
	// Asked for one staff member, it loads them alone, with their absences;
	// one who does not serve the type, nobody.
	a := booking.Absence{ID: core.NewID(), StaffID: w.bob.ID, Absence: availability.Absence{Kind: availability.Training,
		Start: mustLocal(t, "2026-09-07", "08:00"), End: mustLocal(t, "2026-09-07", "12:00")}}
	if err := s.SaveAbsence(ctx, a, now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		staff string
		want  []string
	}{{w.bob.ID, []string{w.bob.ID}}, {w.alice.ID, []string{w.alice.ID}}, {w.carl.ID, nil}} {
		data, err := s.SlotData(ctx, w.agency.ID, w.typeA, tc.staff, from, to, now)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, st := range data.Staff {
			got = append(got, st.ID)
			if absent := len(st.Schedule.Absences) == 1; absent != (st.ID == w.bob.ID) {
				t.Fatalf("staff %s has absences %v", st.ID, st.Schedule.Absences)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Fatalf("SlotData for %s = staff %v, want %v", tc.staff, got, tc.want)
		}
	}
}

// TestScheduleStore runs the store's staff, schedule and availability tests
// on one database per backend: each builds its own agencies in it.
func TestScheduleStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		t.Run("staff members", func(t *testing.T) { testStaffMembers(t, d) })
		t.Run("absences and closures", func(t *testing.T) { testAbsencesAndClosures(t, d) })
		t.Run("availability data", func(t *testing.T) { testAvailabilityData(t, d) })
		t.Run("availability data sees every change", func(t *testing.T) { testAvailabilityDataSeesEveryChange(t, d) })
		t.Run("slot data answers only with what it checked", func(t *testing.T) { testSlotData(t, d) })
		t.Run("overlapping blocks conflict", func(t *testing.T) { testOverlappingBlocks(t, d) })
	})
}

var scheduleOrgs atomic.Int64

// nextScheduleOrg gives every agency of a test run its own organisation number.
func nextScheduleOrg() string {
	n := scheduleOrgs.Add(1)
	return fmt.Sprintf("2123%02d-%04d", n/10000, n%10000)
}
