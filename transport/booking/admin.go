package booking

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// registerAdmin lists the administration and availability routes.
func registerAdmin(mux *http.ServeMux, s booking.Service, limiter *httpkit.RateLimiter) {
	opts := httpkit.ServerOptions()
	private := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	none := func(struct{}) any { return nil }
	limited := func(h http.Handler) http.Handler {
		if limiter == nil {
			return h
		}
		return limiter.Wrap(h)
	}

	mux.Handle("GET /v1/availability", limited(kithttp.NewServer(httpkit.Unary(s.Availability), decodeAvailability,
		httpkit.Encode(http.StatusOK, availabilityToJSON), opts...)))
	mux.Handle("GET /v1/availability/days", limited(kithttp.NewServer(httpkit.Unary(s.AvailableDays), decodeAvailability,
		httpkit.Encode(http.StatusOK, daysToJSON), opts...)))

	mux.Handle("POST /v1/agencies/{id}/offices", kithttp.NewServer(httpkit.Unary(s.CreateOffice), decodeOffice,
		httpkit.Encode(http.StatusCreated, func(o booking.Office) any { return officeToJSON(o) }), opts...))
	mux.Handle("PUT /v1/agencies/{id}/offices/{office_id}", kithttp.NewServer(httpkit.Unary(s.UpdateOffice), decodeOffice,
		httpkit.Encode(http.StatusOK, func(o booking.Office) any { return officeToJSON(o) }), opts...))
	mux.Handle("POST /v1/agencies/{id}/offices/{office_id}/retire", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r idPair) (struct{}, error) {
			return struct{}{}, s.RetireOffice(ctx, r.agency, r.id)
		}),
		decodeIDPair("office_id"), httpkit.Encode(http.StatusNoContent, none), opts...))

	mux.Handle("POST /v1/agencies/{id}/meeting-types", kithttp.NewServer(httpkit.Unary(s.CreateMeetingType), decodeMeetingType,
		httpkit.Encode(http.StatusCreated, func(mt booking.MeetingType) any { return meetingTypeToJSON(mt) }), opts...))
	mux.Handle("PUT /v1/agencies/{id}/meeting-types/{meeting_type_id}", kithttp.NewServer(httpkit.Unary(s.UpdateMeetingType), decodeMeetingType,
		httpkit.Encode(http.StatusOK, func(mt booking.MeetingType) any { return meetingTypeToJSON(mt) }), opts...))
	mux.Handle("POST /v1/agencies/{id}/meeting-types/{meeting_type_id}/retire", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r idPair) (struct{}, error) {
			return struct{}{}, s.RetireMeetingType(ctx, r.agency, r.id)
		}), decodeIDPair("meeting_type_id"), httpkit.Encode(http.StatusNoContent, none), opts...))

	mux.Handle("GET /v1/agencies/{id}/staff-members", kithttp.NewServer(httpkit.Unary(s.ListStaffMembers), decodeAgencyID,
		httpkit.Encode(http.StatusOK, func(l []booking.StaffMember) any {
			return httpkit.List[staffMemberJSON]{Items: httpkit.Map(l, staffMemberToJSON)}
		}), private...))
	mux.Handle("POST /v1/agencies/{id}/staff-members", kithttp.NewServer(httpkit.Unary(s.CreateStaffMember), decodeStaffMember,
		httpkit.Encode(http.StatusCreated, func(m booking.StaffMember) any { return staffMemberToJSON(m) }), private...))
	mux.Handle("GET /v1/agencies/{id}/staff-members/{staff_id}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r idPair) (booking.StaffMember, error) {
			return s.GetStaffMember(ctx, r.agency, r.id)
		}),
		decodeIDPair("staff_id"), httpkit.Encode(http.StatusOK, func(m booking.StaffMember) any { return staffMemberToJSON(m) }), private...))
	mux.Handle("PUT /v1/agencies/{id}/staff-members/{staff_id}", kithttp.NewServer(httpkit.Unary(s.UpdateStaffMember), decodeStaffMember,
		httpkit.Encode(http.StatusOK, func(m booking.StaffMember) any { return staffMemberToJSON(m) }), private...))
	mux.Handle("POST /v1/agencies/{id}/staff-members/{staff_id}/retire", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r idPair) (struct{}, error) {
			return struct{}{}, s.RetireStaffMember(ctx, r.agency, r.id)
		}), decodeIDPair("staff_id"), httpkit.Encode(http.StatusNoContent, none), private...))

	mux.Handle("GET /v1/agencies/{id}/staff-members/{staff_id}/absences", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r idPair) ([]booking.Absence, error) {
			return s.ListAbsences(ctx, r.agency, r.id)
		}),
		decodeIDPair("staff_id"), httpkit.Encode(http.StatusOK, func(l []booking.Absence) any {
			return httpkit.List[absenceJSON]{Items: httpkit.Map(l, absenceToJSON)}
		}), private...))
	mux.Handle("POST /v1/agencies/{id}/staff-members/{staff_id}/absences", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r absenceRequest) (booking.Absence, error) {
			return s.AddAbsence(ctx, r.agency, r.absence)
		}),
		decodeAbsence, httpkit.Encode(http.StatusCreated, func(a booking.Absence) any { return absenceToJSON(a) }), private...))
	mux.Handle("DELETE /v1/agencies/{id}/staff-members/{staff_id}/absences/{absence_id}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r idTriple) (struct{}, error) {
			return struct{}{}, s.DeleteAbsence(ctx, r.agency, r.staff, r.id)
		}), decodeAbsenceID, httpkit.Encode(http.StatusNoContent, none), private...))

	mux.Handle("GET /v1/agencies/{id}/closures", kithttp.NewServer(httpkit.Unary(s.ListClosures), decodeAgencyID,
		httpkit.Encode(http.StatusOK, func(l []booking.Closure) any {
			return httpkit.List[closureJSON]{Items: httpkit.Map(l, closureToJSON)}
		}), opts...))
	mux.Handle("POST /v1/agencies/{id}/closures", kithttp.NewServer(httpkit.Unary(s.AddClosure), decodeClosure,
		httpkit.Encode(http.StatusCreated, func(c booking.Closure) any { return closureToJSON(c) }), opts...))
	mux.Handle("DELETE /v1/agencies/{id}/closures/{closure_id}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r idPair) (struct{}, error) {
			return struct{}{}, s.DeleteClosure(ctx, r.agency, r.id)
		}),
		decodeIDPair("closure_id"), httpkit.Encode(http.StatusNoContent, none), opts...))

	mux.Handle("GET /v1/agencies/{id}/holidays", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r holidaysRequest) ([]booking.HolidayStatus, error) {
			return s.Holidays(ctx, r.agency, r.year)
		}), decodeHolidaysRequest, httpkit.Encode(http.StatusOK, func(l []booking.HolidayStatus) any {
			return httpkit.List[holidayJSON]{Items: httpkit.Map(l, holidayToJSON)}
		}), opts...))
	mux.Handle("PUT /v1/agencies/{id}/holidays", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r openHolidaysRequest) (booking.Agency, error) {
			return s.SetOpenHolidays(ctx, r.agency, r.open)
		}), decodeOpenHolidays, httpkit.Encode(http.StatusOK, func(a booking.Agency) any {
			return map[string]any{"open_holidays": holidayNames(a.OpenHolidays)}
		}), opts...))
}

// ---- availability ----

func decodeAvailability(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	var v core.Validator
	req := booking.AvailabilityRequest{MeetingTypeID: q.Get("meeting_type_id"), Mode: booking.Mode(q.Get("mode")),
		OfficeID: q.Get("office_id"), StaffID: q.Get("staff_id")}
	v.Check(req.MeetingTypeID != "", "meeting_type_id", "is required")
	v.Check(req.Mode != "", "mode", "is required: phone, video or in_person")
	// Absent times stay zero: the service fills them in from its own clock.
	parse := func(name string) time.Time {
		s := q.Get(name)
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil && strings.Count(s, " ") == 1 {
			// An offset's "+" sent unescaped arrives as a space.
			t, err = time.Parse(time.RFC3339, strings.Replace(s, " ", "+", 1))
		}
		if err != nil {
			v.Add(name, "must be an RFC 3339 time with offset, such as 2026-12-01T08:00:00+01:00")
		}
		return t
	}
	req.From = parse("from")
	req.To = parse("to")
	return req, v.Err()
}

type slotJSON struct {
	Start    string   `json:"start"`
	End      string   `json:"end"`
	Mode     string   `json:"mode"`
	OfficeID string   `json:"office_id,omitempty"`
	StaffIDs []string `json:"staff_ids,omitempty"`
}

func availabilityToJSON(r booking.AvailabilityResult) any {
	items := make([]slotJSON, len(r.Slots))
	for i, s := range r.Slots {
		items[i] = slotJSON{Start: s.Start.Format(time.RFC3339), End: s.End.Format(time.RFC3339), Mode: string(s.Mode),
			OfficeID: s.OfficeID, StaffIDs: s.StaffIDs}
	}
	return map[string]any{"time_zone": r.TimeZone, "items": items}
}

func daysToJSON(r booking.DaysResult) any {
	days := make([]string, len(r.Days))
	for i, d := range r.Days {
		days[i] = d.String()
	}
	return map[string]any{"time_zone": r.TimeZone, "days": days}
}

// ---- ids ----

type idPair struct{ agency, id string }

type idTriple struct{ agency, staff, id string }

func decodeAgencyID(_ context.Context, r *http.Request) (any, error) {
	return httpkit.PathID(r, "id")
}

func decodeIDPair(name string) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		agency, err := httpkit.PathID(r, "id")
		if err != nil {
			return nil, err
		}
		id, err := httpkit.PathID(r, name)
		if err != nil {
			return nil, err
		}
		return idPair{agency, id}, nil
	}
}

func decodeAbsenceID(ctx context.Context, r *http.Request) (any, error) {
	p, err := decodeIDPair("staff_id")(ctx, r)
	if err != nil {
		return nil, err
	}
	id, err := httpkit.PathID(r, "absence_id")
	if err != nil {
		return nil, err
	}
	return idTriple{p.(idPair).agency, p.(idPair).id, id}, nil
}

// ---- offices ----

type officeInput struct {
	Name               string      `json:"name"`
	Address            addressJSON `json:"address"`
	Directions         string      `json:"directions"`
	OpeningNotes       string      `json:"opening_notes"`
	AccessibilityNotes string      `json:"accessibility_notes"`
	StepFreeAccess     bool        `json:"step_free_access"`
	HearingLoop        bool        `json:"hearing_loop"`
	AccessibleParking  bool        `json:"accessible_parking"`
}

func decodeOffice(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var id string
	if r.PathValue("office_id") != "" {
		if id, err = httpkit.PathID(r, "office_id"); err != nil {
			return nil, err
		}
	}
	var in officeInput
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return booking.Office{ID: id, AgencyID: agency, Name: in.Name,
		Address:    booking.Address{Street: in.Address.Street, PostalCode: in.Address.PostalCode, City: in.Address.City},
		Directions: in.Directions, OpeningNotes: in.OpeningNotes, AccessibilityNotes: in.AccessibilityNotes,
		StepFreeAccess: in.StepFreeAccess, HearingLoop: in.HearingLoop, AccessibleParking: in.AccessibleParking}, nil
}

// ---- meeting types ----

type meetingTypeInput struct {
	Name                      textJSON `json:"name"`
	Description               textJSON `json:"description"`
	WhatToBring               textJSON `json:"what_to_bring"`
	DurationMinutes           int      `json:"duration_minutes"`
	Modes                     []string `json:"modes"`
	BufferBeforeMinutes       int      `json:"buffer_before_minutes"`
	BufferAfterMinutes        int      `json:"buffer_after_minutes"`
	SlotStepMinutes           *int     `json:"slot_step_minutes"`
	MinimumNoticeMinutes      *int     `json:"minimum_notice_minutes"`
	BookingHorizonDays        *int     `json:"booking_horizon_days"`
	CancellationCutoffMinutes *int     `json:"cancellation_cutoff_minutes"`
	CitizenBookable           *bool    `json:"citizen_bookable"`
	MaxActivePerCitizen       *int     `json:"max_active_per_citizen"`
	ReminderMinutes           *int     `json:"reminder_minutes"`
}

func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func decodeMeetingType(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var id string
	if r.PathValue("meeting_type_id") != "" {
		if id, err = httpkit.PathID(r, "meeting_type_id"); err != nil {
			return nil, err
		}
	}
	var in meetingTypeInput
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	modes := make([]booking.Mode, len(in.Modes))
	for i, m := range in.Modes {
		modes[i] = booking.Mode(m)
	}
	min := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	return booking.MeetingType{ID: id, AgencyID: agency,
		Name: booking.Text{SV: in.Name.SV, EN: in.Name.EN}, Description: booking.Text{SV: in.Description.SV, EN: in.Description.EN},
		WhatToBring: booking.Text{SV: in.WhatToBring.SV, EN: in.WhatToBring.EN},
		Duration:    min(in.DurationMinutes), Modes: modes,
		BufferBefore: min(in.BufferBeforeMinutes), BufferAfter: min(in.BufferAfterMinutes),
		SlotStep:            min(orDefault(in.SlotStepMinutes, int(booking.DefaultSlotStep/time.Minute))),
		MinNotice:           min(orDefault(in.MinimumNoticeMinutes, int(booking.DefaultMinNotice/time.Minute))),
		Horizon:             time.Duration(orDefault(in.BookingHorizonDays, int(booking.DefaultHorizon/(24*time.Hour)))) * 24 * time.Hour,
		CancellationCutoff:  min(orDefault(in.CancellationCutoffMinutes, int(booking.DefaultCancellationCutoff/time.Minute))),
		CitizenBookable:     orDefault(in.CitizenBookable, true),
		MaxActivePerCitizen: orDefault(in.MaxActivePerCitizen, booking.DefaultMaxActivePerCitizen),
		ReminderBefore:      min(orDefault(in.ReminderMinutes, int(booking.DefaultReminderBefore/time.Minute))),
	}, nil
}

// ---- staff members ----

var weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

type hoursJSON struct {
	Start    string `json:"start"`
	End      string `json:"end"`
	OfficeID string `json:"office_id"`
}

type weeklyJSON struct {
	Weekday  string `json:"weekday"`
	Start    string `json:"start"`
	End      string `json:"end"`
	OfficeID string `json:"office_id"`
}

type exceptionJSON struct {
	Date   string      `json:"date"`
	Closed bool        `json:"closed"`
	Hours  []hoursJSON `json:"hours"`
}

type staffMemberJSON struct {
	ID             string          `json:"id"`
	AgencyID       string          `json:"agency_id"`
	AccountID      *string         `json:"account_id"`
	Name           string          `json:"name"`
	Title          string          `json:"title"`
	Email          string          `json:"email"`
	MeetingTypeIDs []string        `json:"meeting_type_ids"`
	Modes          []string        `json:"modes"`
	OfficeIDs      []string        `json:"office_ids"`
	WeeklyHours    []weeklyJSON    `json:"weekly_hours"`
	Exceptions     []exceptionJSON `json:"exceptions"`
}

type staffMemberInput struct {
	AccountID      string          `json:"account_id"`
	Name           string          `json:"name"`
	Title          string          `json:"title"`
	Email          string          `json:"email"`
	MeetingTypeIDs []string        `json:"meeting_type_ids"`
	Modes          []string        `json:"modes"`
	OfficeIDs      []string        `json:"office_ids"`
	WeeklyHours    []weeklyJSON    `json:"weekly_hours"`
	Exceptions     []exceptionJSON `json:"exceptions"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func staffMemberToJSON(m booking.StaffMember) staffMemberJSON {
	j := staffMemberJSON{ID: m.ID, AgencyID: m.AgencyID, Name: m.Name, Title: m.Title, Email: m.Email,
		MeetingTypeIDs: nonNil(m.MeetingTypeIDs), OfficeIDs: nonNil(m.OfficeIDs), Modes: []string{},
		WeeklyHours: []weeklyJSON{}, Exceptions: []exceptionJSON{}}
	if m.AccountID != "" {
		j.AccountID = &m.AccountID
	}
	for _, md := range m.Modes {
		j.Modes = append(j.Modes, string(md))
	}
	for _, w := range m.Schedule.Weekly {
		j.WeeklyHours = append(j.WeeklyHours, weeklyJSON{Weekday: weekdays[w.Weekday], Start: w.Start.String(), End: w.End.String(), OfficeID: w.OfficeID})
	}
	for _, e := range m.Schedule.Exceptions {
		ej := exceptionJSON{Date: e.Date.String(), Closed: e.Closed, Hours: []hoursJSON{}}
		for _, h := range e.Hours {
			ej.Hours = append(ej.Hours, hoursJSON{Start: h.Start.String(), End: h.End.String(), OfficeID: h.OfficeID})
		}
		j.Exceptions = append(j.Exceptions, ej)
	}
	return j
}

func parseHours(v *core.Validator, field, start, end, office string) availability.Hours {
	s, err := availability.ParseClock(start)
	v.Check(err == nil, field+".start", "must be a time of day such as 08:30")
	e, err := availability.ParseClock(end)
	v.Check(err == nil, field+".end", "must be a time of day such as 16:00 (24:00 for midnight)")
	v.Check(office == availability.Remote || core.ValidID(office), field+".office_id", `must be an office id or "remote"`)
	return availability.Hours{Start: s, End: e, OfficeID: office}
}

func decodeStaffMember(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var id string
	if r.PathValue("staff_id") != "" {
		if id, err = httpkit.PathID(r, "staff_id"); err != nil {
			return nil, err
		}
	}
	var in staffMemberInput
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	var v core.Validator
	m := booking.StaffMember{ID: id, AgencyID: agency, AccountID: in.AccountID, Name: in.Name, Title: in.Title, Email: in.Email,
		MeetingTypeIDs: in.MeetingTypeIDs, OfficeIDs: in.OfficeIDs}
	for _, md := range in.Modes {
		m.Modes = append(m.Modes, booking.Mode(md))
	}
	for i, w := range in.WeeklyHours {
		field := fmt.Sprintf("weekly_hours[%d]", i)
		day := -1
		for d, name := range weekdays {
			if strings.EqualFold(w.Weekday, name) {
				day = d
			}
		}
		v.Check(day >= 0, field+".weekday", "must be an English weekday name such as monday")
		h := parseHours(&v, field, w.Start, w.End, w.OfficeID)
		m.Schedule.Weekly = append(m.Schedule.Weekly, availability.WeeklyInterval{Weekday: time.Weekday(max(day, 0)), Start: h.Start, End: h.End, OfficeID: h.OfficeID})
	}
	for i, e := range in.Exceptions {
		field := fmt.Sprintf("exceptions[%d]", i)
		d, err := availability.ParseDate(e.Date)
		v.Check(err == nil, field+".date", "must be a date such as 2026-12-24")
		ex := availability.DateException{Date: d, Closed: e.Closed}
		for j, h := range e.Hours {
			ex.Hours = append(ex.Hours, parseHours(&v, fmt.Sprintf("%s.hours[%d]", field, j), h.Start, h.End, h.OfficeID))
		}
		m.Schedule.Exceptions = append(m.Schedule.Exceptions, ex)
	}
	return m, v.Err()
}

// ---- absences and closures ----

type absenceJSON struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Start string `json:"start"`
	End   string `json:"end"`
}

func absenceToJSON(a booking.Absence) absenceJSON {
	return absenceJSON{ID: a.ID, Kind: string(a.Kind), Start: a.Start.String(), End: a.End.String()}
}

type absenceRequest struct {
	agency  string
	absence booking.Absence
}

func parseLocal(v *core.Validator, field, s string) availability.DateTime {
	d, c, ok := strings.Cut(s, "T")
	date, err1 := availability.ParseDate(d)
	clock, err2 := availability.ParseClock(c)
	v.Check(ok && err1 == nil && err2 == nil, field, "must be a local date and time such as 2026-07-06T08:00")
	return availability.DateTime{Date: date, Clock: clock}
}

func decodeAbsence(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	staff, err := httpkit.PathID(r, "staff_id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Kind  string `json:"kind"`
		Start string `json:"start"`
		End   string `json:"end"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	var v core.Validator
	a := booking.Absence{StaffID: staff, Absence: availability.Absence{Kind: availability.AbsenceKind(in.Kind),
		Start: parseLocal(&v, "start", in.Start), End: parseLocal(&v, "end", in.End)}}
	return absenceRequest{agency, a}, v.Err()
}

type closureJSON struct {
	ID     string `json:"id"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Reason string `json:"reason"`
}

func closureToJSON(c booking.Closure) closureJSON {
	return closureJSON{ID: c.ID, Start: c.Start.String(), End: c.End.String(), Reason: c.Reason}
}

func decodeClosure(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Start  string `json:"start"`
		End    string `json:"end"`
		Reason string `json:"reason"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	var v core.Validator
	c := booking.Closure{AgencyID: agency, Closure: availability.Closure{Start: parseLocal(&v, "start", in.Start),
		End: parseLocal(&v, "end", in.End), Reason: in.Reason}}
	return c, v.Err()
}

// ---- holidays ----

type holidaysRequest struct {
	agency string
	year   int
}

func decodeHolidaysRequest(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	year := 0 // the service's current year
	if s := q.Get("year"); s != "" {
		if year, err = strconv.Atoi(s); err != nil {
			return nil, core.Invalid("year", "must be a year such as 2026")
		}
	}
	return holidaysRequest{agency, year}, nil
}

type holidayJSON struct {
	Holiday string `json:"holiday"`
	Name    string `json:"name"`
	Date    string `json:"date"`
	Open    bool   `json:"open"`
}

func holidayToJSON(h booking.HolidayStatus) holidayJSON {
	return holidayJSON{Holiday: string(h.Holiday), Name: h.Name, Date: h.Date.String(), Open: h.Open}
}

func holidayNames(hs []availability.Holiday) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, string(h))
	}
	return out
}

type openHolidaysRequest struct {
	agency string
	open   []availability.Holiday
}

func decodeOpenHolidays(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Open []string `json:"open_holidays"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	req := openHolidaysRequest{agency: agency, open: []availability.Holiday{}}
	for _, h := range in.Open {
		req.open = append(req.open, availability.Holiday(h))
	}
	return req, nil
}
