package booking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// AvailabilityRequest asks for the slots of one meeting type in one mode.
// A zero From means now; a zero To means DefaultAvailabilityDays after From.
type AvailabilityRequest struct {
	MeetingTypeID string
	Mode          Mode
	From, To      time.Time
	OfficeID      string
	StaffID       string
}

// Slot is one bookable time. StaffIDs is empty unless the caller may see
// who is free: the agency's staff, or a client with availability:read.
type Slot struct {
	Start, End time.Time // in the agency's zone
	Mode       Mode
	OfficeID   string
	StaffIDs   []string
}

// AvailabilityResult is the slots and the agency zone they are shown in.
type AvailabilityResult struct {
	Slots    []Slot
	TimeZone string
}

// DaysResult is the local dates with at least one slot.
type DaysResult struct {
	Days     []availability.Date
	TimeZone string
}

// AvailabilityData is what the store loads for one availability question:
// the eligible staff with their absences and busy time, and the closures.
type AvailabilityData struct {
	Staff    []availability.Staff
	Closures []availability.Closure
}

// DefaultAvailabilityDays is how far availability looks when the caller does
// not say.
const DefaultAvailabilityDays = 14

// mayNameStaff reports whether the caller may see and filter by staff.
func mayNameStaff(ctx context.Context, agencyID string) bool {
	_, err := core.AuthorizeAgency(ctx, agencyID, core.ScopeAvailabilityRead)
	return err == nil
}

// mayBookForAgency reports whether the caller books on the agency's behalf:
// its staff, or a client that may read availability or write appointments.
func mayBookForAgency(ctx context.Context, agencyID string) bool {
	if mayNameStaff(ctx, agencyID) {
		return true
	}
	_, err := core.AuthorizeAgency(ctx, agencyID, core.ScopeAppointmentsWrite)
	return err == nil
}

// query validates the request and builds the engine's query.
func (s *service) query(ctx context.Context, req AvailabilityRequest) (availability.Query, Agency, error) {
	now := s.clock.Now()
	if req.From.IsZero() {
		req.From = now
	}
	if req.To.IsZero() {
		req.To = req.From.AddDate(0, 0, DefaultAvailabilityDays)
	}
	var v core.Validator
	v.Check(core.ValidID(req.MeetingTypeID), "meeting_type_id", "must be a UUID")
	_, modeErr := ParseMode(string(req.Mode))
	v.Check(modeErr == nil, "mode", "must be one of phone, video, in_person")
	v.Check(req.OfficeID == "" || core.ValidID(req.OfficeID), "office_id", "must be a UUID")
	v.Check(req.StaffID == "" || core.ValidID(req.StaffID), "staff_id", "must be a UUID")
	switch {
	case !req.To.After(req.From):
		v.Add("to", "must be after from")
	case req.To.Sub(req.From) > availability.MaxRange:
		v.Add("to", "must be at most 92 days after from")
	}
	if err := v.Err(); err != nil {
		return availability.Query{}, Agency{}, err
	}
	mt, agency, err := s.repo.MeetingTypeAgency(ctx, req.MeetingTypeID)
	if errors.Is(err, core.ErrNotFound) || (err == nil && mt.RetiredAt != nil) {
		return availability.Query{}, Agency{}, fmt.Errorf("meeting_type_id %s: no such meeting type: %w", req.MeetingTypeID, core.ErrNotFound)
	}
	if err != nil {
		return availability.Query{}, Agency{}, fmt.Errorf("meeting type %s: %w", req.MeetingTypeID, err)
	}
	if !mt.Offers(req.Mode) {
		return availability.Query{}, Agency{}, core.Invalid("mode", fmt.Sprintf("%s is not offered for this meeting type", req.Mode))
	}
	// A slot shown is a slot the caller can book: times of a meeting type
	// only the agency books are for the agency's staff and systems.
	if !mt.CitizenBookable && !mayBookForAgency(ctx, agency.ID) {
		return availability.Query{}, Agency{}, fmt.Errorf("meeting_type_id %s: the agency books this meeting type itself; contact them for a time: %w", mt.ID, core.ErrForbidden)
	}
	if req.OfficeID != "" {
		o, err := s.ownOffice(ctx, agency.ID, req.OfficeID)
		if err != nil {
			return availability.Query{}, Agency{}, err
		}
		if o.RetiredAt != nil {
			return availability.Query{}, Agency{}, fmt.Errorf("office_id %s: the office is closed for good: %w", o.ID, core.ErrNotFound)
		}
	}
	if req.StaffID != "" {
		if !mayNameStaff(ctx, agency.ID) {
			return availability.Query{}, Agency{}, fmt.Errorf("staff_id: only the agency's staff and clients with availability:read may ask per staff member: %w", core.ErrForbidden)
		}
		if _, err := s.ownStaffMember(ctx, agency.ID, req.StaffID); err != nil {
			return availability.Query{}, Agency{}, err
		}
	}
	// Slots start no sooner than the minimum notice and no later than the
	// horizon: load only the data that can matter for those.
	var data AvailabilityData
	from, to := maxTime(req.From, now.Add(mt.MinNotice)), minTime(req.To, now.Add(mt.Horizon+time.Nanosecond))
	if from.Before(to) {
		if data, err = s.repo.AvailabilityData(ctx, agency.ID, mt.ID, from, to, now); err != nil {
			return availability.Query{}, Agency{}, err
		}
	}
	q := availability.Query{
		Location: agency.Location(), Now: now, From: req.From, To: req.To,
		Rules: mt.Rules(), Mode: availability.Mode(req.Mode), OfficeID: req.OfficeID, StaffID: req.StaffID,
		Staff: data.Staff, Closures: data.Closures, Holidays: availability.HolidayPolicy{Open: agency.OpenHolidays},
	}
	return q, agency, q.Validate()
}

func (s *service) Availability(ctx context.Context, req AvailabilityRequest) (AvailabilityResult, error) {
	q, agency, err := s.query(ctx, req)
	if err != nil {
		return AvailabilityResult{}, err
	}
	named := mayNameStaff(ctx, agency.ID)
	q.WithoutStaffIDs = !named
	slots := availability.Compute(q)
	out := AvailabilityResult{Slots: make([]Slot, len(slots)), TimeZone: agency.TimeZone}
	for i, sl := range slots {
		out.Slots[i] = Slot{Start: sl.Start, End: sl.End, Mode: Mode(sl.Mode), OfficeID: sl.OfficeID}
		if named {
			out.Slots[i].StaffIDs = sl.StaffIDs
		}
	}
	return out, nil
}

func (s *service) AvailableDays(ctx context.Context, req AvailabilityRequest) (DaysResult, error) {
	q, agency, err := s.query(ctx, req)
	if err != nil {
		return DaysResult{}, err
	}
	return DaysResult{Days: availability.Days(q), TimeZone: agency.TimeZone}, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
