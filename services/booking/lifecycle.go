package booking

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// authorizeAppointment allows the citizen whose appointment it is, the
// agency's staff and clients with scope.
func (s *service) authorizeAppointment(ctx context.Context, a Appointment, scope string) (core.Principal, error) {
	p, err := core.AuthorizeCitizenData(ctx, a.CitizenID, a.AgencyID, scope)
	if err != nil {
		// Someone else's appointment is reported as absent, not forbidden,
		// so ids cannot be probed.
		if errors.Is(err, core.ErrForbidden) {
			return p, fmt.Errorf("appointment %s: %w", a.ID, core.ErrNotFound)
		}
		return p, err
	}
	return p, nil
}

func (s *service) loadAppointment(ctx context.Context, id, scope string) (Appointment, core.Principal, error) {
	if !core.ValidID(id) {
		return Appointment{}, core.Principal{}, core.Invalid("id", "must be a UUID")
	}
	if _, err := core.Caller(ctx); err != nil {
		return Appointment{}, core.Principal{}, err
	}
	a, err := s.repo.Appointment(ctx, id)
	if err != nil {
		return Appointment{}, core.Principal{}, fmt.Errorf("appointment %s: %w", id, err)
	}
	p, err := s.authorizeAppointment(ctx, a, scope)
	return a, p, err
}

// checkVersion compares If-Match with the appointment's version; an empty
// ifMatch skips the check.
func checkVersion(a Appointment, ifMatch string) error {
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	for _, tag := range strings.Split(ifMatch, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == a.ETag() {
			return nil
		}
	}
	return fmt.Errorf("the appointment changed since you read it (now %s); read it again: %w", a.ETag(), core.ErrPrecondition)
}

func (s *service) GetAppointment(ctx context.Context, id string) (Appointment, error) {
	a, _, err := s.loadAppointment(ctx, id, core.ScopeAppointmentsRead)
	if err != nil {
		return Appointment{}, err
	}
	s.record(ctx, "appointment.read", "appointment", a.ID, a.AgencyID)
	return s.local(ctx, a), nil
}

// RescheduleRequest moves an appointment to a new time.
type RescheduleRequest struct {
	ID      string
	Start   time.Time
	StaffID string
	Reason  string
	IfMatch string
}

func (s *service) Reschedule(ctx context.Context, req RescheduleRequest) (Appointment, error) {
	a, p, err := s.loadAppointment(ctx, req.ID, core.ScopeAppointmentsWrite)
	if err != nil {
		return Appointment{}, err
	}
	if p.Kind == core.KindClient && !p.HasScope(core.ScopeAppointmentsWrite) {
		return Appointment{}, fmt.Errorf("needs appointments:write: %w", core.ErrForbidden)
	}
	if err := checkVersion(a, req.IfMatch); err != nil {
		return Appointment{}, err
	}
	var v core.Validator
	v.Check(!req.Start.IsZero(), "start", "is required: an RFC 3339 time from /v1/availability")
	v.Check(req.StaffID == "" || core.ValidID(req.StaffID), "staff_id", "must be a UUID")
	v.Check(utf8.RuneCountInString(req.Reason) <= 500, "reason", "must be at most 500 characters")
	if err := v.Err(); err != nil {
		return Appointment{}, err
	}
	if a.Status != Booked {
		return Appointment{}, fmt.Errorf("only a booked appointment can be moved; this one is %s: %w", a.Status, core.ErrConflict)
	}
	mt, err := s.repo.MeetingType(ctx, a.MeetingTypeID)
	if err != nil {
		return Appointment{}, err
	}
	now := s.clock.Now()
	if p.Kind == core.KindCitizen {
		if req.StaffID != "" {
			return Appointment{}, core.Invalid("staff_id", "citizens cannot choose the staff member")
		}
		if now.After(a.Start.Add(-mt.CancellationCutoff)) {
			return Appointment{}, fmt.Errorf("it is too close to the meeting to move it yourself; contact the agency: %w", core.ErrConflict)
		}
		// A citizen moves only to times they could book themselves.
		if mt.RetiredAt != nil {
			return Appointment{}, fmt.Errorf("this kind of meeting is no longer offered, so it cannot be moved; cancel it or contact the agency: %w", core.ErrConflict)
		}
		if !mt.CitizenBookable {
			return Appointment{}, fmt.Errorf("the agency books this kind of meeting itself; contact them to move it: %w", core.ErrForbidden)
		}
	}
	if err := checkWindow(mt, req.Start, now); err != nil {
		return Appointment{}, err
	}
	agency, err := s.repo.Agency(ctx, a.AgencyID)
	if err != nil {
		return Appointment{}, err
	}
	bc := bookingContext{mt: mt, agency: agency, caller: p}
	officeID := ""
	if a.Mode == InPerson {
		officeID = a.OfficeID
	}
	slots, err := s.findSlot(ctx, bc, a.Mode, req.Start, officeID, req.StaffID, &a, true)
	if err != nil {
		return Appointment{}, err
	}
	slot := slots[0] // read fresh, so someone there is free
	prefer := req.StaffID
	if prefer == "" {
		prefer = a.StaffID // keep the same person when they are free
	}
	candidates, err := s.orderCandidates(ctx, bc, slot, prefer)
	if err != nil {
		return Appointment{}, err
	}
	old := a
	a.Start, a.End = req.Start.UTC(), req.Start.Add(mt.Duration).UTC()
	a.BufferBefore, a.BufferAfter = mt.BufferBefore, mt.BufferAfter
	a.Sequence++
	a.Version++
	a.UpdatedAt = now
	for _, staffID := range candidates {
		a.StaffID = staffID
		b := s.blockFor(a)
		err := s.repo.UpdateAppointment(ctx, a, old.Version, true, &b, s.appointmentEvent(ctx, EventAppointmentRescheduled, a, &old, req.Reason))
		if errors.Is(err, core.ErrConflict) {
			continue
		}
		if err != nil {
			return Appointment{}, err
		}
		s.record(ctx, "appointment.rescheduled", "appointment", a.ID, a.AgencyID)
		return s.local(ctx, a), nil
	}
	return Appointment{}, errTaken(mt.ID, a.Mode)
}

// CancelRequest cancels an appointment.
type CancelRequest struct {
	ID      string
	Reason  string
	IfMatch string
}

func (s *service) Cancel(ctx context.Context, req CancelRequest) (Appointment, error) {
	a, p, err := s.loadAppointment(ctx, req.ID, core.ScopeAppointmentsWrite)
	if err != nil {
		return Appointment{}, err
	}
	if p.Kind == core.KindClient && !p.HasScope(core.ScopeAppointmentsWrite) {
		return Appointment{}, fmt.Errorf("needs appointments:write: %w", core.ErrForbidden)
	}
	if err := checkVersion(a, req.IfMatch); err != nil {
		return Appointment{}, err
	}
	reason := strings.TrimSpace(req.Reason)
	var v core.Validator
	v.Check(utf8.RuneCountInString(reason) <= 500, "reason", "must be at most 500 characters")
	v.Check(p.Kind == core.KindCitizen || reason != "", "reason", "is required when the agency cancels; the citizen is told it")
	if err := v.Err(); err != nil {
		return Appointment{}, err
	}
	now := s.clock.Now()
	if p.Kind == core.KindCitizen && a.Status == Booked {
		mt, err := s.repo.MeetingType(ctx, a.MeetingTypeID)
		if err != nil {
			return Appointment{}, err
		}
		if now.After(a.Start.Add(-mt.CancellationCutoff)) {
			return Appointment{}, fmt.Errorf("it is too close to the meeting to cancel it here; contact the agency: %w", core.ErrConflict)
		}
	}
	old := a
	if err := a.moveTo(Cancelled, now); err != nil {
		return Appointment{}, err
	}
	a.CancelReason = reason
	if err := s.repo.UpdateAppointment(ctx, a, old.Version, true, nil, s.appointmentEvent(ctx, EventAppointmentCancelled, a, nil, reason)); err != nil {
		return Appointment{}, err
	}
	s.record(ctx, "appointment.cancelled", "appointment", a.ID, a.AgencyID)
	return s.local(ctx, a), nil
}

// StatusRequest marks arrival, completion or a no-show.
type StatusRequest struct {
	ID      string
	IfMatch string
}

func (s *service) MarkArrived(ctx context.Context, req StatusRequest) (Appointment, error) {
	return s.markStatus(ctx, req, Arrived, EventAppointmentArrived)
}

func (s *service) MarkFulfilled(ctx context.Context, req StatusRequest) (Appointment, error) {
	return s.markStatus(ctx, req, Fulfilled, EventAppointmentFulfilled)
}

func (s *service) MarkNoShow(ctx context.Context, req StatusRequest) (Appointment, error) {
	return s.markStatus(ctx, req, NoShow, EventAppointmentNoShow)
}

// markStatus is for the agency only: staff, or a client with
// appointments:write.
func (s *service) markStatus(ctx context.Context, req StatusRequest, to Status, eventType string) (Appointment, error) {
	a, p, err := s.loadAppointment(ctx, req.ID, core.ScopeAppointmentsWrite)
	if err != nil {
		return Appointment{}, err
	}
	if _, err := core.AuthorizeAgency(ctx, a.AgencyID, core.ScopeAppointmentsWrite); err != nil {
		return Appointment{}, fmt.Errorf("only the agency marks a meeting as %s: %w", to, core.ErrForbidden)
	}
	_ = p
	if err := checkVersion(a, req.IfMatch); err != nil {
		return Appointment{}, err
	}
	now := s.clock.Now()
	switch to {
	case Arrived:
		if now.Before(a.Start.Add(-2 * time.Hour)) {
			return Appointment{}, fmt.Errorf("arrival can be registered from two hours before the meeting: %w", core.ErrConflict)
		}
	case NoShow, Fulfilled:
		if now.Before(a.Start) {
			return Appointment{}, fmt.Errorf("the meeting has not started yet: %w", core.ErrConflict)
		}
	}
	old := a
	if err := a.moveTo(to, now); err != nil {
		return Appointment{}, err
	}
	// A meeting that is over no longer needs its time kept free.
	if err := s.repo.UpdateAppointment(ctx, a, old.Version, !to.Active(), nil, s.appointmentEvent(ctx, eventType, a, nil, "")); err != nil {
		return Appointment{}, err
	}
	s.record(ctx, "appointment."+string(to), "appointment", a.ID, a.AgencyID)
	return s.local(ctx, a), nil
}

// AppointmentFilter narrows a list of appointments.
type AppointmentFilter struct {
	AgencyID string
	StaffID  string
	OfficeID string
	Status   Status
	From, To time.Time
	// Day, when valid, is a day view: From and To become the day's
	// midnights in the agency's zone (in UTC for a citizen's own list,
	// which may span agencies).
	Day    availability.Date
	Limit  int
	Cursor string
	// CitizenID is set by the service for citizens; callers cannot widen it.
	CitizenID string
}

// AppointmentPage is one page of appointments by start time.
type AppointmentPage struct {
	Appointments []Appointment
	NextCursor   string
}

// AppointmentCursor marks the last appointment of a page.
type AppointmentCursor struct {
	Start time.Time `json:"s"`
	ID    string    `json:"i"`
}

func (s *service) ListAppointments(ctx context.Context, f AppointmentFilter) (AppointmentPage, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return AppointmentPage{}, err
	}
	var v core.Validator
	for _, x := range []struct{ name, id string }{{"agency_id", f.AgencyID}, {"staff_id", f.StaffID}, {"office_id", f.OfficeID}} {
		v.Check(x.id == "" || core.ValidID(x.id), x.name, "must be a UUID")
	}
	v.Check(f.Status == "" || f.Status == Booked || f.Status == Arrived || f.Status == Fulfilled || f.Status == Cancelled || f.Status == NoShow,
		"status", "must be one of booked, arrived, fulfilled, cancelled, noshow")
	v.Check(f.From.IsZero() || f.To.IsZero() || f.To.After(f.From), "to", "must be after from")
	if err := v.Err(); err != nil {
		return AppointmentPage{}, err
	}
	f.CitizenID = ""
	switch p.Kind {
	case core.KindCitizen:
		f.CitizenID, f.AgencyID = p.Subject, ""
	default:
		if f.AgencyID == "" {
			f.AgencyID = p.AgencyID
		}
		if f.AgencyID == "" {
			return AppointmentPage{}, core.Invalid("agency_id", "is required for a system admin")
		}
		if _, err := core.AuthorizeAgency(ctx, f.AgencyID, core.ScopeAppointmentsRead); err != nil {
			return AppointmentPage{}, err
		}
	}
	if f.Day.Valid() {
		loc := time.UTC
		if f.AgencyID != "" {
			loc = s.zoneOf(ctx, f.AgencyID)
		}
		f.From, f.To = f.Day.Start(loc), f.Day.AddDays(1).Start(loc)
	}
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return AppointmentPage{}, err
	}
	var after AppointmentCursor
	if f.Cursor != "" {
		if err := decodeOpaque(f.Cursor, &after); err != nil || !core.ValidID(after.ID) {
			return AppointmentPage{}, core.Invalid("cursor", "is not a cursor this server handed out")
		}
	}
	list, err := s.repo.ListAppointments(ctx, f, after, limit+1)
	if err != nil {
		return AppointmentPage{}, err
	}
	offices := map[string]*Office{}
	for i := range list {
		list[i] = s.localWith(ctx, list[i], offices)
	}
	page := AppointmentPage{Appointments: list}
	if len(list) > limit {
		page.Appointments = list[:limit]
		last := page.Appointments[limit-1]
		page.NextCursor = encodeOpaque(AppointmentCursor{Start: last.Start, ID: last.ID})
	}
	s.record(ctx, "appointment.listed", "agency", f.AgencyID+f.CitizenID, f.AgencyID)
	return page, nil
}
