// Package booking is the booking service's domain: the directory of agencies,
// offices and meeting types, and (as it grows) schedules, availability and
// appointments. It knows nothing of HTTP or SQL: transports adapt Service,
// and db/bookingstore implements Repository.
package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Service is what the booking service offers, locally or over HTTP.
type Service interface {
	Directory
	Admin
	Availability(ctx context.Context, req AvailabilityRequest) (AvailabilityResult, error)
	AvailableDays(ctx context.Context, req AvailabilityRequest) (DaysResult, error)
	Appointments
	Statistics
}

// Appointments is booking, holding, moving and following up meetings.
type Appointments interface {
	PlaceHold(ctx context.Context, req HoldRequest) (Hold, error)
	Book(ctx context.Context, req BookRequest) (Appointment, error)
	GetAppointment(ctx context.Context, id string) (Appointment, error)
	AppointmentCalendar(ctx context.Context, id string) ([]byte, error)
	ListAppointments(ctx context.Context, f AppointmentFilter) (AppointmentPage, error)
	Reschedule(ctx context.Context, req RescheduleRequest) (Appointment, error)
	Cancel(ctx context.Context, req CancelRequest) (Appointment, error)
	MarkArrived(ctx context.Context, req StatusRequest) (Appointment, error)
	MarkFulfilled(ctx context.Context, req StatusRequest) (Appointment, error)
	MarkNoShow(ctx context.Context, req StatusRequest) (Appointment, error)
	// Events returns booking's outbox after seq, for consumers.
	Events(ctx context.Context, afterSeq int64, limit int) ([]Event, error)
	Callbacks
}

// Callbacks is "call me back" instead of a phone queue.
type Callbacks interface {
	RequestCallback(ctx context.Context, req CallbackRequest) (Callback, error)
	ListCallbacks(ctx context.Context, f CallbackFilter) ([]Callback, error)
	ClaimNextCallback(ctx context.Context, agencyID string) (Callback, error)
	ClaimCallback(ctx context.Context, a CallbackAction) (Callback, error)
	CompleteCallback(ctx context.Context, a CallbackAction) (Callback, error)
	NoAnswerCallback(ctx context.Context, a CallbackAction) (Callback, error)
	WithdrawCallback(ctx context.Context, a CallbackAction) (Callback, error)
}

// Directory is the public, read-only part: who offers what, and where.
type Directory interface {
	ListAgencies(ctx context.Context, page PageRequest) (AgencyPage, error)
	GetAgency(ctx context.Context, id string) (Agency, error)
	ListOffices(ctx context.Context, agencyID string) ([]Office, error)
	ListMeetingTypes(ctx context.Context, agencyID string) ([]MeetingType, error)
}

// Admin is the administration of offices, meeting types, staff members,
// their absences, agency closures and holidays.
type Admin interface {
	CreateOffice(ctx context.Context, o Office) (Office, error)
	UpdateOffice(ctx context.Context, o Office) (Office, error)
	RetireOffice(ctx context.Context, agencyID, id string) error
	CreateMeetingType(ctx context.Context, mt MeetingType) (MeetingType, error)
	UpdateMeetingType(ctx context.Context, mt MeetingType) (MeetingType, error)
	RetireMeetingType(ctx context.Context, agencyID, id string) error
	ListStaffMembers(ctx context.Context, agencyID string) ([]StaffMember, error)
	GetStaffMember(ctx context.Context, agencyID, id string) (StaffMember, error)
	CreateStaffMember(ctx context.Context, m StaffMember) (StaffMember, error)
	UpdateStaffMember(ctx context.Context, m StaffMember) (StaffMember, error)
	RetireStaffMember(ctx context.Context, agencyID, id string) error
	ListAbsences(ctx context.Context, agencyID, staffID string) ([]Absence, error)
	AddAbsence(ctx context.Context, agencyID string, a Absence) (Absence, error)
	DeleteAbsence(ctx context.Context, agencyID, staffID, id string) error
	ListClosures(ctx context.Context, agencyID string) ([]Closure, error)
	AddClosure(ctx context.Context, c Closure) (Closure, error)
	DeleteClosure(ctx context.Context, agencyID, id string) error
	Holidays(ctx context.Context, agencyID string, year int) ([]HolidayStatus, error)
	SetOpenHolidays(ctx context.Context, agencyID string, open []availability.Holiday) (Agency, error)
}

// Repository is the storage booking needs. db/bookingstore implements it.
type Repository interface {
	StatisticsRepository
	ListAgencies(ctx context.Context, after Cursor, limit int) ([]Agency, error)
	Agency(ctx context.Context, id string) (Agency, error)
	SaveAgency(ctx context.Context, a Agency) error
	Offices(ctx context.Context, agencyID string) ([]Office, error) // not retired
	Office(ctx context.Context, id string) (Office, error)
	SaveOffice(ctx context.Context, o Office) error
	RetireOffice(ctx context.Context, id string, at time.Time) error
	MeetingTypes(ctx context.Context, agencyID string) ([]MeetingType, error) // not retired
	MeetingType(ctx context.Context, id string) (MeetingType, error)
	// MeetingTypeAgency is MeetingType and the Agency it belongs to, together.
	MeetingTypeAgency(ctx context.Context, id string) (MeetingType, Agency, error)
	SaveMeetingType(ctx context.Context, mt MeetingType) error
	RetireMeetingType(ctx context.Context, id string, at time.Time) error
	StaffMembers(ctx context.Context, agencyID string) ([]StaffMember, error) // not retired
	StaffMember(ctx context.Context, id string) (StaffMember, error)
	SaveStaffMember(ctx context.Context, m StaffMember) error
	RetireStaffMember(ctx context.Context, id string, at time.Time) error
	Absences(ctx context.Context, staffID string) ([]Absence, error)
	SaveAbsence(ctx context.Context, a Absence, at time.Time) error
	DeleteAbsence(ctx context.Context, staffID, id string) error
	Closures(ctx context.Context, agencyID string) ([]Closure, error)
	SaveClosure(ctx context.Context, c Closure, at time.Time) error
	DeleteClosure(ctx context.Context, agencyID, id string) error
	// AppointmentCounts counts each staff member's active appointments in [from, to).
	AppointmentCounts(ctx context.Context, staffIDs []string, from, to time.Time) (map[string]int, error)
	// ActiveAppointments counts the citizen's booked future appointments of a meeting type.
	ActiveAppointments(ctx context.Context, citizenID, meetingTypeID string, now time.Time) (int, error)
	// BookAppointment stores the appointment, its block and its event in one
	// transaction. With holdID the hold's block becomes the appointment's;
	// without, a block overlapping another of the staff member's is
	// ErrConflict, whatever the concurrency. A booking that would give the
	// citizen more active appointments of the meeting type than its
	// MaxActivePerCitizen is ErrTooManyActive, whatever the concurrency.
	BookAppointment(ctx context.Context, a Appointment, b Block, holdID string, ev Event) error
	// CreateHold stores a hold and its block; overlap is ErrConflict. Expired
	// holds of the staff member are removed first. With maxHeld > 0, a hold
	// that would give its holder more than maxHeld unexpired holds is
	// ErrTooManyHolds, whatever the concurrency.
	CreateHold(ctx context.Context, h Hold, b Block, now time.Time, maxHeld int) error
	Hold(ctx context.Context, id string) (Hold, error)
	Appointment(ctx context.Context, id string) (Appointment, error)
	// UpdateAppointment stores a changed appointment if it is still at
	// expectVersion (else ErrPrecondition), releasing its block when release
	// is set and taking next when given, with the event, atomically.
	UpdateAppointment(ctx context.Context, a Appointment, expectVersion int, release bool, next *Block, ev Event) error
	ListAppointments(ctx context.Context, f AppointmentFilter, after AppointmentCursor, limit int) ([]Appointment, error)
	Events(ctx context.Context, afterSeq int64, limit int) ([]Event, error)
	CreateCallback(ctx context.Context, c Callback, ev Event) error
	Callback(ctx context.Context, id string) (Callback, error)
	// CallbackPosition is the request's place in its agency's waiting queue, from 1.
	CallbackPosition(ctx context.Context, c Callback) (int, error)
	Callbacks(ctx context.Context, agencyID, citizenID string, status CallbackStatus, limit int) ([]Callback, error)
	// ClaimNextCallback atomically gives the first waiting request whose window
	// has opened to staffID: concurrent callers never get the same one.
	ClaimNextCallback(ctx context.Context, agencyID, staffID string, now time.Time, event func(Callback) Event) (Callback, error)
	// UpdateCallback stores c if it is still at expectVersion, with the event.
	UpdateCallback(ctx context.Context, c Callback, expectVersion int, ev Event) error
	// AvailabilityData loads the staff serving the meeting type, with their
	// absences and busy time around [from, to) (holds that expired by now
	// excluded), and the agency's closures. The staff members' Busy and
	// Schedule may be shared with other calls: read them, do not edit them
	// in place.
	AvailabilityData(ctx context.Context, agencyID, meetingTypeID string, from, to, now time.Time) (AvailabilityData, error)
	// SlotData is AvailabilityData for checking a booking or a hold whose
	// block the database will refuse if it overlaps: it reads no blocks, and
	// a staff member whose busy time the store does not hold current comes
	// without any, so counts as free until the insert says otherwise. With
	// a staffID, that staff member alone.
	SlotData(ctx context.Context, agencyID, meetingTypeID, staffID string, from, to, now time.Time) (AvailabilityData, error)
}

// PageRequest asks for one page of a list.
type PageRequest struct {
	Limit  int    // 0 means DefaultPageSize
	Cursor string // opaque; empty for the first page
}

// Page sizes for lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// AgencyPage is one page of agencies and the cursor of the next, if any.
type AgencyPage struct {
	Agencies   []Agency
	NextCursor string
}

type service struct {
	repo         Repository
	clock        core.Clock
	citizens     Citizens
	audit        AuditLog
	videoBaseURL string
	organizer    string
	holdTTL      time.Duration
	// maxCitizenHolds bounds a citizen's unexpired holds; 0: unbounded.
	maxCitizenHolds int
	zones           zones
}

// NewService returns the booking service on top of repo.
func NewService(repo Repository, clock core.Clock, opts ...Option) Service {
	if clock == nil {
		clock = core.SystemClock{}
	}
	s := &service{repo: repo, clock: clock, videoBaseURL: "https://meet.jit.si", holdTTL: DefaultHoldTTL,
		maxCitizenHolds: DefaultMaxCitizenHolds}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *service) Events(ctx context.Context, afterSeq int64, limit int) ([]Event, error) {
	if limit < 1 || limit > 1000 {
		limit = 1000
	}
	return s.repo.Events(ctx, afterSeq, limit)
}

func (s *service) ListAgencies(ctx context.Context, page PageRequest) (AgencyPage, error) {
	limit, err := pageLimit(page.Limit)
	if err != nil {
		return AgencyPage{}, err
	}
	after, err := DecodeCursor(page.Cursor)
	if err != nil {
		return AgencyPage{}, err
	}
	// Ask for one more than the page to learn whether another page follows.
	agencies, err := s.repo.ListAgencies(ctx, after, limit+1)
	if err != nil {
		return AgencyPage{}, fmt.Errorf("list agencies: %w", err)
	}
	out := AgencyPage{Agencies: agencies}
	if len(agencies) > limit {
		out.Agencies = agencies[:limit]
		last := out.Agencies[limit-1]
		out.NextCursor = Cursor{Name: last.Name, ID: last.ID}.Encode()
	}
	return out, nil
}

func (s *service) GetAgency(ctx context.Context, id string) (Agency, error) {
	if !core.ValidID(id) {
		return Agency{}, core.Invalid("id", "must be a UUID")
	}
	a, err := s.repo.Agency(ctx, id)
	if err != nil {
		return Agency{}, fmt.Errorf("agency %s: %w", id, err)
	}
	return a, nil
}

func (s *service) ListOffices(ctx context.Context, agencyID string) ([]Office, error) {
	if _, err := s.GetAgency(ctx, agencyID); err != nil {
		return nil, err
	}
	offices, err := s.repo.Offices(ctx, agencyID)
	if err != nil {
		return nil, fmt.Errorf("offices of agency %s: %w", agencyID, err)
	}
	return offices, nil
}

func (s *service) ListMeetingTypes(ctx context.Context, agencyID string) ([]MeetingType, error) {
	if _, err := s.GetAgency(ctx, agencyID); err != nil {
		return nil, err
	}
	types, err := s.repo.MeetingTypes(ctx, agencyID)
	if err != nil {
		return nil, fmt.Errorf("meeting types of agency %s: %w", agencyID, err)
	}
	return types, nil
}

func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultPageSize, nil
	case n < 1 || n > MaxPageSize:
		return 0, core.Invalid("limit", fmt.Sprintf("must be between 1 and %d", MaxPageSize))
	}
	return n, nil
}
