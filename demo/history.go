package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// The demo's past: meetings of two weeks ago that were held or missed, and a
// call-back that was answered, so that the statistics have outcomes to show
// and not only meetings still ahead.

// historyWeek returns the Tuesday at least fourteen days before now's date
// in Stockholm whose Tuesday to Thursday are not holidays.
func historyWeek(now time.Time) availability.Date {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	tuesday := availability.DateOf(now.In(loc)).AddDays(-14)
	for tuesday.Weekday() != time.Tuesday {
		tuesday = tuesday.AddDays(-1)
	}
	holiday := func(d availability.Date) bool {
		return slices.ContainsFunc(availability.SwedishHolidays(d.Year), func(h availability.HolidayDate) bool { return h.Date == d })
	}
	for holiday(tuesday) || holiday(tuesday.AddDays(1)) || holiday(tuesday.AddDays(2)) {
		tuesday = tuesday.AddDays(-7)
	}
	return tuesday
}

// pastAppointment is a demo meeting that took place, or did not.
type pastAppointment struct {
	demoAppointment
	status booking.Status // fulfilled or noshow
}

var pastAppointments = []pastAppointment{
	{demoAppointment{key: "history-bertil-erik", staff: "exempelby/bertil", meetingType: "exempelby/building-permit-advice", minutes: 30,
		mode: booking.Video, at: availability.At(13, 0), citizen: ErikID}, booking.Fulfilled},
	{demoAppointment{key: "history-hanna-fatima", staff: "exempelby/hanna", meetingType: "exempelby/social-first-meeting", minutes: 45,
		mode: booking.InPerson, office: MedborgarkontoretID, dayOffset: 1, at: availability.At(10, 0), citizen: FatimaID}, booking.Fulfilled},
	{demoAppointment{key: "history-dalia-erik", staff: "exempelby/dalia", meetingType: "exempelby/debt-counselling", minutes: 60,
		mode: booking.Phone, dayOffset: 2, at: availability.At(9, 0), citizen: ErikID}, booking.NoShow},
	{demoAppointment{key: "history-lars-fatima", staff: "vardcentral/lars", meetingType: "vardcentral/doctor-visit", minutes: 30,
		mode: booking.InPerson, office: VardcentralOfficeID, at: availability.At(8, 30), citizen: FatimaID}, booking.Fulfilled},
}

// loadHistory writes the past meetings and call-back once, each with the
// one outbox event of how it ended, as the booking service writes it when
// staff mark the outcome: consumers see how they ended (the citizen gets
// the follow-up a real meeting gets), not bookings, so no invitation goes
// out for a meeting long past.
func loadHistory(ctx context.Context, s AppointmentStore, now time.Time) error {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	tuesday := historyWeek(now)
	types := map[string]booking.MeetingType{}
	for _, mt := range MeetingTypes() {
		types[mt.ID] = mt
	}
	staffAgency := map[string]string{}
	for _, m := range StaffMembers() {
		staffAgency[m.ID] = m.AgencyID
	}
	phones := map[string]string{}
	for _, c := range Citizens() {
		phones[c.ID] = c.Phone
	}
	for _, d := range pastAppointments {
		id := core.StableID("appointment/" + d.key)
		if _, err := s.Appointment(ctx, id); err == nil {
			continue
		} else if !errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("demo appointment %s: %w", d.key, err)
		}
		mt := types[mtID(d.meetingType)]
		day := tuesday.AddDays(d.dayOffset)
		start := time.Date(day.Year, day.Month, day.Day, int(d.at)/60, int(d.at)%60, 0, 0, loc).UTC()
		staffID := core.StableID("staff-member/" + d.staff)
		booked := start.AddDate(0, 0, -7)
		ended := start.Add(time.Duration(d.minutes) * time.Minute)
		a := booking.Appointment{ID: id, AgencyID: staffAgency[staffID], MeetingTypeID: mt.ID, StaffID: staffID,
			CitizenID: d.citizen, Mode: d.mode, OfficeID: d.office, Status: d.status, Start: start, End: ended,
			BufferBefore: mt.BufferBefore, BufferAfter: mt.BufferAfter, BookedBy: "system:demo",
			Sequence: 1, Version: 2, CreatedAt: booked, UpdatedAt: ended}
		switch d.mode {
		case booking.Phone:
			a.PhoneNumber, a.PhoneDirection = phones[d.citizen], booking.AgencyCalls
		case booking.Video:
			a.VideoURL = "https://meet.jit.si/tidbok-demo-" + id[:8]
		}
		block := booking.Block{ID: core.StableID("block/" + d.key), StaffID: staffID, Kind: "appointment",
			Start: a.Start, End: a.End, From: a.Start.Add(-a.BufferBefore), To: a.End.Add(a.BufferAfter)}
		err := s.BookAppointment(ctx, a, block, "", outcomeEvent(a, ended))
		if err != nil && !errors.Is(err, core.ErrConflict) {
			return fmt.Errorf("demo appointment %s: %w", d.key, err)
		}
	}
	day := tuesday.AddDays(1)
	answered := time.Date(day.Year, day.Month, day.Day, 14, 10, 0, 0, loc).UTC()
	c := booking.Callback{ID: core.StableID("callback/history-fatima-permit"), AgencyID: ExempelbyID,
		MeetingTypeID: mtID("exempelby/building-permit-advice"), CitizenID: FatimaID, PhoneNumber: phones[FatimaID], Language: "en",
		Earliest: answered.Add(-2 * time.Hour), Latest: answered.Add(2 * time.Hour), Status: booking.CallbackCompleted,
		ClaimedBy: core.StableID("staff/handlaggare@exempelby.se"), ClaimedAt: &answered, CompletedAt: &answered,
		Version: 3, CreatedAt: answered.Add(-3 * time.Hour), UpdatedAt: answered}
	if _, err := s.Callback(ctx, c.ID); errors.Is(err, core.ErrNotFound) {
		var e booking.CallbackEvent
		e.Callback.ID, e.Callback.AgencyID, e.Callback.MeetingTypeID = c.ID, c.AgencyID, c.MeetingTypeID
		e.Callback.CitizenID, e.Callback.Status, e.Callback.Language = c.CitizenID, string(c.Status), c.Language
		e.Change = booking.Change{Type: booking.EventCallbackCompleted, By: "staff:" + c.ClaimedBy, At: answered.Format(time.RFC3339Nano)}
		b, _ := json.Marshal(e)
		ev := booking.Event{ID: core.StableID("event/" + c.ID), Type: booking.EventCallbackCompleted, AggregateID: c.ID,
			AgencyID: c.AgencyID, Payload: b, OccurredAt: answered}
		if err := s.CreateCallback(ctx, c, ev); err != nil && !errors.Is(err, core.ErrConflict) {
			return fmt.Errorf("demo call-back %s: %w", c.ID, err)
		}
	} else if err != nil {
		return fmt.Errorf("demo call-back %s: %w", c.ID, err)
	}
	return nil
}

// outcomeEvent is the event of a past meeting's outcome, at the time it ended.
func outcomeEvent(a booking.Appointment, at time.Time) booking.Event {
	typ := booking.EventAppointmentFulfilled
	if a.Status == booking.NoShow {
		typ = booking.EventAppointmentNoShow
	}
	ev := appointmentBooked(a, at)
	var p booking.AppointmentEvent
	_ = json.Unmarshal(ev.Payload, &p)
	p.Change = booking.Change{Type: typ, By: "system:demo", At: at.UTC().Format(time.RFC3339Nano)}
	ev.Payload, _ = json.Marshal(p)
	ev.Type = typ
	return ev
}
