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
	ListAgencies(ctx context.Context, after Cursor, limit int) ([]Agency, error)
	Agency(ctx context.Context, id string) (Agency, error)
	SaveAgency(ctx context.Context, a Agency) error
	Offices(ctx context.Context, agencyID string) ([]Office, error) // not retired
	Office(ctx context.Context, id string) (Office, error)
	SaveOffice(ctx context.Context, o Office) error
	RetireOffice(ctx context.Context, id string, at time.Time) error
	MeetingTypes(ctx context.Context, agencyID string) ([]MeetingType, error) // not retired
	MeetingType(ctx context.Context, id string) (MeetingType, error)
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
	// AvailabilityData loads the staff serving the meeting type, with their
	// absences and busy time around [from, to) (holds that expired by now
	// excluded), and the agency's closures.
	AvailabilityData(ctx context.Context, agencyID, meetingTypeID string, from, to, now time.Time) (AvailabilityData, error)
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
	repo  Repository
	clock core.Clock
}

// NewService returns the booking service on top of repo.
func NewService(repo Repository, clock core.Clock) Service {
	if clock == nil {
		clock = core.SystemClock{}
	}
	return &service{repo: repo, clock: clock}
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
