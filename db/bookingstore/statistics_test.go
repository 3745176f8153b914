package bookingstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// statsWorld is an agency in Stockholm with two meeting types, an office
// and a staff member, and a second agency whose meetings must never count.
type statsWorld struct {
	s              *bookingstore.Store
	agency, other  booking.Agency
	typeA, typeB   string
	otherType      string
	office         string
	staff, olle    string
	nextStaffStart time.Time
}

func newStatsWorld(t testing.TB, s *bookingstore.Store) *statsWorld {
	t.Helper()
	ctx := context.Background()
	w := &statsWorld{s: s, agency: agency("Statby kommun", nextScheduleOrg()), other: agency("Annanby kommun", nextScheduleOrg())}
	for _, a := range []booking.Agency{w.agency, w.other} {
		if err := s.SaveAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	o := booking.Office{ID: core.NewID(), AgencyID: w.agency.ID, Name: "Medborgarkontoret",
		Address: booking.Address{Street: "Torget 1", PostalCode: "123 45", City: "Statby"}, CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveOffice(ctx, o); err != nil {
		t.Fatal(err)
	}
	w.office = o.ID
	meetingType := func(agencyID, name string) string {
		mt := booking.MeetingType{ID: core.NewID(), AgencyID: agencyID, Name: booking.Text{SV: name, EN: name},
			Duration: 30 * time.Minute, Modes: booking.Modes, SlotStep: 15 * time.Minute, Horizon: 60 * 24 * time.Hour,
			MaxActivePerCitizen: 1, CreatedAt: t0, UpdatedAt: t0}
		if err := s.SaveMeetingType(ctx, mt); err != nil {
			t.Fatal(err)
		}
		return mt.ID
	}
	w.typeA = meetingType(w.agency.ID, "A Bygglov")
	w.typeB = meetingType(w.agency.ID, "B Skuldrådgivning")
	w.otherType = meetingType(w.other.ID, "Annan")
	for _, x := range []struct {
		id     *string
		agency booking.Agency
		types  []string
	}{{&w.staff, w.agency, []string{w.typeA, w.typeB}}, {&w.olle, w.other, []string{w.otherType}}} {
		m := booking.StaffMember{ID: core.NewID(), AgencyID: x.agency.ID, Name: "Handläggare", Title: "Handläggare",
			Email: "h@example.se", MeetingTypeIDs: x.types, Modes: booking.Modes, CreatedAt: t0, UpdatedAt: t0}
		if err := s.SaveStaffMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		*x.id = m.ID
	}
	return w
}

// appointment stores a meeting with its final status; a cancelled one gets
// the cancellation event of by ("citizen:…", "staff:…", "client:…").
func (w *statsWorld) appointment(t *testing.T, agencyID, staffID, meetingType string, mode booking.Mode, start time.Time, status booking.Status, by string) {
	t.Helper()
	a := booking.Appointment{ID: core.NewID(), AgencyID: agencyID, MeetingTypeID: meetingType, StaffID: staffID,
		CitizenID: core.NewID(), Mode: mode, Status: status, Start: start.UTC(), End: start.Add(30 * time.Minute).UTC(),
		BookedBy: "staff:x", Version: 1, CreatedAt: t0, UpdatedAt: t0}
	if mode == booking.InPerson {
		a.OfficeID = w.office
	}
	if mode == booking.Phone {
		a.PhoneNumber, a.PhoneDirection = "+46701234567", booking.AgencyCalls
	}
	b := booking.Block{ID: core.NewID(), StaffID: staffID, Kind: "appointment", Start: a.Start, End: a.End, From: a.Start, To: a.End}
	typ := booking.EventAppointmentBooked
	if status == booking.Cancelled {
		typ = booking.EventAppointmentCancelled
	}
	payload, _ := json.Marshal(booking.AppointmentEvent{Change: booking.Change{Type: typ, By: by, At: t0.Format(time.RFC3339)}})
	ev := booking.Event{ID: core.NewID(), Type: typ, AggregateID: a.ID, AgencyID: agencyID, Payload: payload, OccurredAt: t0}
	if err := w.s.BookAppointment(context.Background(), a, b, "", ev); err != nil {
		t.Fatalf("book %s at %s: %v", status, start, err)
	}
}

// callback stores a call-back request that ended (or not) at ended.
func (w *statsWorld) callback(t *testing.T, meetingType string, status booking.CallbackStatus, ended time.Time) {
	t.Helper()
	c := booking.Callback{ID: core.NewID(), AgencyID: w.agency.ID, MeetingTypeID: meetingType, Topic: "Om mitt ärende",
		CitizenID: core.NewID(), PhoneNumber: "+46701234567", Earliest: ended.Add(-4 * time.Hour).UTC(), Latest: ended.Add(4 * time.Hour).UTC(),
		Language: "sv", Status: status, Version: 2, CreatedAt: ended.Add(-5 * time.Hour).UTC(), UpdatedAt: ended.UTC()}
	if meetingType == "" {
		c.Topic = "Min faktura"
	}
	switch status {
	case booking.CallbackCompleted:
		at := ended.UTC()
		c.CompletedAt = &at
	case booking.CallbackUnreachable:
		c.Attempts = booking.MaxCallbackAttempts
	}
	ev := booking.Event{ID: core.NewID(), Type: booking.EventCallbackRequested, AggregateID: c.ID, AgencyID: c.AgencyID, Payload: []byte(`{}`), OccurredAt: c.CreatedAt}
	if err := w.s.CreateCallback(context.Background(), c, ev); err != nil {
		t.Fatal(err)
	}
}

func day(t *testing.T, s string) availability.Date {
	t.Helper()
	return mustDate(t, s)
}

func TestAppointmentStatistics(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := bookingstore.New(d)
		w := newStatsWorld(t, s)
		// The range is 2–29 March 2026 in Stockholm: it starts at
		// 2026-03-01T23:00Z (CET) and ends at 2026-03-29T22:00Z, as summer
		// time began that morning.
		utc := func(v string) time.Time {
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatal(err)
			}
			return tm
		}
		now := utc("2026-03-20T12:00:00Z")
		clock := coretest.NewClock(now)
		svc := booking.NewService(s, clock)
		admin := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: w.agency.ID})
		A, B := w.typeA, w.typeB
		// In the range.
		w.appointment(t, w.agency.ID, w.staff, A, booking.Phone, utc("2026-03-01T23:00:00Z"), booking.Fulfilled, "staff:x") // local midnight, 2 March
		w.appointment(t, w.agency.ID, w.staff, A, booking.Phone, utc("2026-03-03T09:00:00Z"), booking.NoShow, "staff:x")
		w.appointment(t, w.agency.ID, w.staff, A, booking.Video, utc("2026-03-03T10:00:00Z"), booking.Fulfilled, "staff:x")
		w.appointment(t, w.agency.ID, w.staff, A, booking.InPerson, utc("2026-03-03T11:00:00Z"), booking.Fulfilled, "staff:x")
		w.appointment(t, w.agency.ID, w.staff, A, booking.InPerson, utc("2026-03-04T09:00:00Z"), booking.Cancelled, "citizen:"+core.NewID())
		w.appointment(t, w.agency.ID, w.staff, A, booking.Phone, utc("2026-03-04T10:00:00Z"), booking.Cancelled, "staff:"+core.NewID())
		w.appointment(t, w.agency.ID, w.staff, A, booking.Video, utc("2026-03-04T11:00:00Z"), booking.Cancelled, "client:"+core.NewID())
		w.appointment(t, w.agency.ID, w.staff, B, booking.Phone, utc("2026-03-05T09:00:00Z"), booking.Booked, "staff:x") // passed, nobody recorded it
		w.appointment(t, w.agency.ID, w.staff, B, booking.Phone, utc("2026-03-29T21:30:00Z"), booking.Booked, "staff:x") // 23:30 on the 29th, ahead
		w.callback(t, A, booking.CallbackCompleted, utc("2026-03-10T09:00:00Z"))
		w.callback(t, "", booking.CallbackCompleted, utc("2026-03-10T10:00:00Z"))
		w.callback(t, B, booking.CallbackUnreachable, utc("2026-03-11T09:00:00Z"))
		// Outside it: the evening before, the night after (a UTC or CET
		// reading would count it), another agency, call-backs that ended
		// outside it or have not ended.
		w.appointment(t, w.agency.ID, w.staff, A, booking.Phone, utc("2026-03-01T22:30:00Z"), booking.Fulfilled, "staff:x")
		w.appointment(t, w.agency.ID, w.staff, A, booking.Phone, utc("2026-03-29T22:00:00Z"), booking.Booked, "staff:x")
		w.appointment(t, w.other.ID, w.olle, w.otherType, booking.Phone, utc("2026-03-03T09:00:00Z"), booking.Fulfilled, "staff:x")
		w.callback(t, A, booking.CallbackCompleted, utc("2026-03-29T22:00:00Z"))
		w.callback(t, A, booking.CallbackCompleted, utc("2026-03-01T22:59:00Z"))
		w.callback(t, A, booking.CallbackWaiting, utc("2026-03-12T09:00:00Z"))
		w.callback(t, A, booking.CallbackWithdrawn, utc("2026-03-12T10:00:00Z"))

		march := booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-03-02"), To: day(t, "2026-03-29")}
		type row struct {
			meetingType string
			mode        booking.Mode
			office      string
			counts      booking.OutcomeCounts
		}
		got := func(t *testing.T, req booking.StatisticsRequest) (booking.AppointmentStatistics, []row) {
			t.Helper()
			st, err := svc.AppointmentStatistics(admin, req)
			if err != nil {
				t.Fatal(err)
			}
			var rows []row
			for _, g := range st.Groups {
				rows = append(rows, row{g.MeetingTypeID, g.Mode, g.OfficeID, g.Counts})
			}
			return st, rows
		}

		t.Run("counts per meeting type and mode are exact", func(t *testing.T) {
			st, rows := got(t, march)
			want := []row{
				{A, booking.Phone, "", booking.OutcomeCounts{Fulfilled: 2, FulfilledByCallback: 1, NoShow: 1, Cancelled: 1, CancelledByStaff: 1}},
				{A, booking.Video, "", booking.OutcomeCounts{Fulfilled: 1, Cancelled: 1, CancelledByOther: 1}},
				{A, booking.InPerson, "", booking.OutcomeCounts{Fulfilled: 1, Cancelled: 1, CancelledByCitizen: 1}},
				{B, booking.Phone, "", booking.OutcomeCounts{Unrecorded: 1, Upcoming: 1, Unreachable: 1}},
				// A call-back without a meeting type is a phone meeting of none.
				{"", booking.Phone, "", booking.OutcomeCounts{Fulfilled: 1, FulfilledByCallback: 1}},
			}
			if fmt.Sprint(rows) != fmt.Sprint(want) {
				t.Fatalf("groups\n got %v\nwant %v", rows, want)
			}
			wantTotals := booking.OutcomeCounts{Upcoming: 1, Unrecorded: 1, Fulfilled: 5, FulfilledByCallback: 2, Cancelled: 3,
				CancelledByCitizen: 1, CancelledByStaff: 1, CancelledByOther: 1, NoShow: 1, Unreachable: 1}
			if st.Totals != wantTotals || st.Totals.Total() != 12 || st.Totals.Appointments() != 9 {
				t.Fatalf("totals = %+v (total %d)", st.Totals, st.Totals.Total())
			}
			if st.Groups[0].MeetingTypeName.SV != "A Bygglov" || st.TimeZone != "Europe/Stockholm" {
				t.Fatalf("names or zone missing: %+v, %s", st.Groups[0], st.TimeZone)
			}
			// No-shows of the appointments that took place or were missed:
			// 1 of 4 (3 fulfilled); cancellations of the 9 appointments: 3;
			// unreachable call-backs: 1 of 3.
			if r, ok := st.Totals.NoShowRate(); !ok || r != 0.25 {
				t.Fatalf("no-show rate = %v, %v", r, ok)
			}
			if r, ok := st.Totals.CancellationRate(); !ok || r != 3.0/9 {
				t.Fatalf("cancellation rate = %v, %v", r, ok)
			}
			if r, ok := st.Totals.UnreachableRate(); !ok || r != 1.0/3 {
				t.Fatalf("unreachable rate = %v, %v", r, ok)
			}
		})

		t.Run("grouped by office, only meetings in person have one", func(t *testing.T) {
			req := march
			req.GroupBy = []booking.Dimension{booking.ByOffice}
			st, rows := got(t, req)
			want := []row{
				{"", "", "", booking.OutcomeCounts{Upcoming: 1, Unrecorded: 1, Fulfilled: 4, FulfilledByCallback: 2, Cancelled: 2,
					CancelledByStaff: 1, CancelledByOther: 1, NoShow: 1, Unreachable: 1}},
				{"", "", w.office, booking.OutcomeCounts{Fulfilled: 1, Cancelled: 1, CancelledByCitizen: 1}},
			}
			// Sorted by office name: the group of none has the empty name.
			if fmt.Sprint(rows) != fmt.Sprint(want) {
				t.Fatalf("groups\n got %v\nwant %v", rows, want)
			}
			if st.Groups[1].OfficeName != "Medborgarkontoret" {
				t.Fatalf("office name = %q", st.Groups[1].OfficeName)
			}
		})

		t.Run("one local day at each end of the range", func(t *testing.T) {
			_, first := got(t, booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-03-02"), To: day(t, "2026-03-02"), GroupBy: []booking.Dimension{booking.ByMode}})
			if want := fmt.Sprint([]row{{"", booking.Phone, "", booking.OutcomeCounts{Fulfilled: 1}}}); fmt.Sprint(first) != want {
				t.Fatalf("2 March = %v, want %v", first, want)
			}
			_, last := got(t, booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-03-29"), To: day(t, "2026-03-29"), GroupBy: []booking.Dimension{booking.ByMode}})
			if want := fmt.Sprint([]row{{"", booking.Phone, "", booking.OutcomeCounts{Upcoming: 1}}}); fmt.Sprint(last) != want {
				t.Fatalf("29 March = %v, want %v", last, want)
			}
			// The evening before and the night after are in the days around.
			_, before := got(t, booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-03-01"), To: day(t, "2026-03-01"), GroupBy: []booking.Dimension{booking.ByMode}})
			if want := fmt.Sprint([]row{{"", booking.Phone, "", booking.OutcomeCounts{Fulfilled: 2, FulfilledByCallback: 1}}}); fmt.Sprint(before) != want {
				t.Fatalf("1 March = %v, want %v", before, want)
			}
			_, after := got(t, booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-03-30"), To: day(t, "2026-03-30"), GroupBy: []booking.Dimension{booking.ByMode}})
			if want := fmt.Sprint([]row{{"", booking.Phone, "", booking.OutcomeCounts{Upcoming: 1, Fulfilled: 1, FulfilledByCallback: 1}}}); fmt.Sprint(after) != want {
				t.Fatalf("30 March = %v, want %v", after, want)
			}
		})

		t.Run("an empty range has no groups, zero totals and no rates", func(t *testing.T) {
			st, rows := got(t, booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2025-01-01"), To: day(t, "2025-12-31")})
			if len(rows) != 0 || st.Groups == nil || st.Totals != (booking.OutcomeCounts{}) {
				t.Fatalf("empty range = %+v", st)
			}
			if _, ok := st.Totals.NoShowRate(); ok {
				t.Fatal("a rate of nothing")
			}
		})

		t.Run("time passing turns upcoming into unrecorded", func(t *testing.T) {
			clock.Set(utc("2026-04-01T00:00:00Z"))
			defer clock.Set(now)
			st, _ := got(t, march)
			if st.Totals.Upcoming != 0 || st.Totals.Unrecorded != 2 {
				t.Fatalf("totals = %+v", st.Totals)
			}
		})

		t.Run("the other agency counts only its own", func(t *testing.T) {
			rows, err := s.AppointmentOutcomes(context.Background(), w.other.ID, utc("2026-03-01T23:00:00Z"), utc("2026-03-29T22:00:00Z"), now)
			if err != nil || len(rows) != 1 || rows[0].Outcome != booking.OutcomeFulfilled || rows[0].Count != 1 {
				t.Fatalf("other agency = %+v, %v", rows, err)
			}
		})

		t.Run("bad requests name their field", func(t *testing.T) {
			sys := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleSystemAdmin})
			for _, tc := range []struct {
				name  string
				req   booking.StatisticsRequest
				field string
			}{
				{"no agency", booking.StatisticsRequest{From: day(t, "2026-03-01"), To: day(t, "2026-03-02")}, "agency_id"},
				{"no from", booking.StatisticsRequest{AgencyID: w.agency.ID, To: day(t, "2026-03-02")}, "from"},
				{"to before from", booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-03-02"), To: day(t, "2026-03-01")}, "to"},
				{"367 days", booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-01-01"), To: day(t, "2027-01-02")}, "to"},
				{"unknown dimension", booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2026-03-01"), To: day(t, "2026-03-02"), GroupBy: []booking.Dimension{"staff"}}, "group_by"},
			} {
				_, err := svc.AppointmentStatistics(sys, tc.req)
				var ve *core.ValidationError
				if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != tc.field {
					t.Fatalf("%s: err = %v, want one error naming %s", tc.name, err, tc.field)
				}
			}
			// A leap year is the longest range; staff mean their own agency.
			if st, err := svc.AppointmentStatistics(admin, booking.StatisticsRequest{From: day(t, "2028-01-01"), To: day(t, "2028-12-31")}); err != nil || st.AgencyID != w.agency.ID {
				t.Fatalf("366 days of the admin's own agency: %+v, %v", st.AgencyID, err)
			}
			if _, err := svc.AppointmentStatistics(sys, booking.StatisticsRequest{AgencyID: w.agency.ID, From: day(t, "2028-01-01"), To: day(t, "2028-12-31")}); err != nil {
				t.Fatalf("366 days: %v", err)
			}
			if _, err := svc.AppointmentStatistics(sys, booking.StatisticsRequest{AgencyID: core.NewID(), From: day(t, "2026-01-01"), To: day(t, "2026-01-31")}); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("unknown agency: %v", err)
			}
		})
	})
}
