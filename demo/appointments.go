package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// AppointmentStore is what the demo needs to book its appointments and
// call-back requests: booking's own store, so that their blocks, their
// outbox events and the overlap rules are the real ones.
type AppointmentStore interface {
	Appointment(ctx context.Context, id string) (booking.Appointment, error)
	BookAppointment(ctx context.Context, a booking.Appointment, b booking.Block, holdID string, ev booking.Event) error
	Callback(ctx context.Context, id string) (booking.Callback, error)
	CreateCallback(ctx context.Context, c booking.Callback, ev booking.Event) error
}

// CitizenStore is what the demo needs to register its citizens, so they
// can sign in with a code and see their appointments.
type CitizenStore interface {
	CreateCitizen(ctx context.Context, c auth.Citizen, sealedPIN []byte, lookup string) error
}

// Citizen ids of the demo. They have no personal identity number: they sign
// in with a code sent to their address (a .eml file without SMTP).
var (
	AnnaID   = core.StableID("citizen/anna.andersson")
	ErikID   = core.StableID("citizen/erik.eriksson")
	FatimaID = core.StableID("citizen/fatima.hassan")
)

// Citizens are the demo's citizens.
func Citizens() []auth.Citizen {
	c := func(id, email, phone, name, lang string) auth.Citizen {
		return auth.Citizen{ID: id, Email: email, Phone: phone, Name: name, Language: lang, NotifyEmail: true,
			CreatedAt: epoch, UpdatedAt: epoch}
	}
	return []auth.Citizen{
		c(AnnaID, "anna.andersson@example.se", "+46701234501", "Anna Andersson", "sv"),
		c(ErikID, "erik.eriksson@example.se", "+46701234502", "Erik Eriksson", "sv"),
		c(FatimaID, "fatima.hassan@example.se", "+46701234503", "Fatima Hassan", "en"),
	}
}

// demoWeek returns the Tuesday of the first week after now's date (in
// Stockholm) whose Tuesday to Thursday are not holidays: every demo
// appointment falls on those three days, inside the staff's hours.
func demoWeek(now time.Time) availability.Date {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	today := availability.DateOf(now.In(loc))
	tuesday := today.AddDays(1)
	for tuesday.Weekday() != time.Tuesday {
		tuesday = tuesday.AddDays(1)
	}
	holiday := func(d availability.Date) bool {
		return slices.ContainsFunc(availability.SwedishHolidays(d.Year), func(h availability.HolidayDate) bool { return h.Date == d })
	}
	for holiday(tuesday) || holiday(tuesday.AddDays(1)) || holiday(tuesday.AddDays(2)) {
		tuesday = tuesday.AddDays(7)
	}
	return tuesday
}

// demoAppointment is one demo booking before its times are fixed.
type demoAppointment struct {
	key         string // the stable id's name
	staff       string // staff member key
	meetingType string
	minutes     int
	mode        booking.Mode
	office      string
	dayOffset   int // from the demo week's Tuesday
	at          availability.Clock
	citizen     string
	notes       string
	interpreter string
}

var demoAppointments = []demoAppointment{
	{key: "hanna-anna", staff: "exempelby/hanna", meetingType: "exempelby/social-first-meeting", minutes: 45, mode: booking.InPerson,
		office: MedborgarkontoretID, at: availability.At(10, 0), citizen: AnnaID, notes: "Vill prata om ekonomiskt bistånd.", interpreter: "arabiska"},
	{key: "bertil-erik", staff: "exempelby/bertil", meetingType: "exempelby/building-permit-advice", minutes: 30, mode: booking.Video,
		at: availability.At(13, 0), citizen: ErikID, notes: "Tillbyggnad av fritidshus."},
	{key: "dalia-fatima", staff: "exempelby/dalia", meetingType: "exempelby/debt-counselling", minutes: 60, mode: booking.Phone,
		dayOffset: 1, at: availability.At(9, 0), citizen: FatimaID},
	{key: "lars-anna", staff: "vardcentral/lars", meetingType: "vardcentral/doctor-visit", minutes: 30, mode: booking.InPerson,
		office: VardcentralOfficeID, at: availability.At(8, 30), citizen: AnnaID},
	{key: "sara-erik", staff: "vardcentral/sara", meetingType: "vardcentral/video-consultation", minutes: 20, mode: booking.Video,
		dayOffset: 2, at: availability.At(10, 0), citizen: ErikID},
}

// loadAppointments registers the demo citizens and books their
// appointments and call-back requests in the demo week after now. Every row
// has a stable id and is written only when missing, so a reload changes
// nothing — the appointments stay where the first load put them. A time a
// real booking took meanwhile is left to it.
func loadAppointments(ctx context.Context, s AppointmentStore, citizens CitizenStore, now time.Time) error {
	if citizens != nil {
		for _, c := range Citizens() {
			if err := citizens.CreateCitizen(ctx, c, nil, ""); err != nil && !errors.Is(err, core.ErrConflict) {
				return fmt.Errorf("demo citizen %s: %w", c.Name, err)
			}
		}
	}
	loc, _ := time.LoadLocation("Europe/Stockholm")
	tuesday := demoWeek(now)
	types := map[string]booking.MeetingType{}
	for _, mt := range MeetingTypes() {
		types[mt.ID] = mt
	}
	staffAgency := map[string]string{}
	for _, m := range StaffMembers() {
		staffAgency[m.ID] = m.AgencyID
	}
	for _, d := range demoAppointments {
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
		a := booking.Appointment{ID: id, AgencyID: staffAgency[staffID], MeetingTypeID: mt.ID, StaffID: staffID,
			CitizenID: d.citizen, Mode: d.mode, OfficeID: d.office, Status: booking.Booked,
			Start: start, End: start.Add(time.Duration(d.minutes) * time.Minute),
			BufferBefore: mt.BufferBefore, BufferAfter: mt.BufferAfter, Notes: d.notes, InterpreterLanguage: d.interpreter,
			BookedBy: "system:demo", Version: 1, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
		switch d.mode {
		case booking.Phone:
			for _, c := range Citizens() {
				if c.ID == d.citizen {
					a.PhoneNumber = c.Phone
				}
			}
			a.PhoneDirection = booking.AgencyCalls
		case booking.Video:
			a.VideoURL = "https://meet.jit.si/tidbok-demo-" + id[:8]
		}
		from, to := a.Start.Add(-a.BufferBefore), a.End.Add(a.BufferAfter)
		block := booking.Block{ID: core.StableID("block/" + d.key), StaffID: staffID, Kind: "appointment",
			Start: a.Start, End: a.End, From: from, To: to}
		err := s.BookAppointment(ctx, a, block, "", appointmentBooked(a, now))
		if err != nil && !errors.Is(err, core.ErrConflict) {
			return fmt.Errorf("demo appointment %s: %w", d.key, err)
		}
	}

	callbacks := []booking.Callback{
		{ID: core.StableID("callback/fatima-nurse"), AgencyID: VardcentralID, MeetingTypeID: mtID("vardcentral/nurse-callback"),
			CitizenID: FatimaID, PhoneNumber: "+46701234503", Language: "en",
			Earliest: tuesday.Start(loc).Add(8 * time.Hour), Latest: tuesday.Start(loc).Add(12 * time.Hour)},
		{ID: core.StableID("callback/erik-permit"), AgencyID: ExempelbyID, Topic: "Fråga om bygglov för carport",
			CitizenID: ErikID, PhoneNumber: "+46701234502", Language: "sv",
			Earliest: tuesday.Start(loc).Add(13 * time.Hour), Latest: tuesday.Start(loc).Add(16 * time.Hour)},
	}
	for _, c := range callbacks {
		if _, err := s.Callback(ctx, c.ID); err == nil {
			continue
		} else if !errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("demo call-back %s: %w", c.ID, err)
		}
		c.Status, c.Version, c.CreatedAt, c.UpdatedAt = booking.CallbackWaiting, 1, now.UTC(), now.UTC()
		c.Earliest, c.Latest = c.Earliest.UTC(), c.Latest.UTC()
		if err := s.CreateCallback(ctx, c, callbackRequested(c, now)); err != nil && !errors.Is(err, core.ErrConflict) {
			return fmt.Errorf("demo call-back %s: %w", c.ID, err)
		}
	}
	return nil
}

// appointmentBooked is the outbox event the booking service writes for a
// booking, so that notify and intake see the demo's as they see real ones.
func appointmentBooked(a booking.Appointment, now time.Time) booking.Event {
	p := booking.AppointmentEvent{
		Appointment: booking.AppointmentSnapshot{ID: a.ID, AgencyID: a.AgencyID, MeetingTypeID: a.MeetingTypeID, StaffID: a.StaffID,
			CitizenID: a.CitizenID, Mode: string(a.Mode), OfficeID: a.OfficeID, PhoneNumber: a.PhoneNumber,
			PhoneDirection: string(a.PhoneDirection), VideoURL: a.VideoURL, Status: string(a.Status),
			Start: a.Start.UTC().Format(time.RFC3339), End: a.End.UTC().Format(time.RFC3339),
			InterpreterLanguage: a.InterpreterLanguage, Accessibility: []string{}, Sequence: a.Sequence},
		Change: booking.Change{Type: booking.EventAppointmentBooked, By: a.BookedBy, At: now.UTC().Format(time.RFC3339Nano),
			NewStart: a.Start.UTC().Format(time.RFC3339), NewEnd: a.End.UTC().Format(time.RFC3339)},
	}
	b, _ := json.Marshal(p)
	return booking.Event{ID: core.StableID("event/" + a.ID), Type: booking.EventAppointmentBooked, AggregateID: a.ID,
		AgencyID: a.AgencyID, Payload: b, OccurredAt: now.UTC()}
}

func callbackRequested(c booking.Callback, now time.Time) booking.Event {
	var e booking.CallbackEvent
	e.Callback.ID, e.Callback.AgencyID, e.Callback.MeetingTypeID = c.ID, c.AgencyID, c.MeetingTypeID
	e.Callback.CitizenID, e.Callback.Status, e.Callback.Language = c.CitizenID, string(c.Status), c.Language
	e.Change = booking.Change{Type: booking.EventCallbackRequested, By: "system:demo", At: now.UTC().Format(time.RFC3339Nano)}
	b, _ := json.Marshal(e)
	return booking.Event{ID: core.StableID("event/" + c.ID), Type: booking.EventCallbackRequested, AggregateID: c.ID,
		AgencyID: c.AgencyID, Payload: b, OccurredAt: now.UTC()}
}
