// Package booking is the booking service's domain: the directory of agencies,
// offices and meeting types, and (as it grows) schedules, availability and
// appointments. It knows nothing of HTTP or SQL: transports adapt Service,
// and db/bookingstore implements Repository.
package booking

import (
	"context"
	"fmt"

	"github.com/tidbok/tidbok/core"
)

// Service is what the booking service offers, locally or over HTTP.
type Service interface {
	ListAgencies(ctx context.Context, page PageRequest) (AgencyPage, error)
	GetAgency(ctx context.Context, id string) (Agency, error)
	ListOffices(ctx context.Context, agencyID string) ([]Office, error)
	ListMeetingTypes(ctx context.Context, agencyID string) ([]MeetingType, error)
}

// Repository is the storage booking needs. db/bookingstore implements it.
type Repository interface {
	ListAgencies(ctx context.Context, after Cursor, limit int) ([]Agency, error)
	Agency(ctx context.Context, id string) (Agency, error)
	Offices(ctx context.Context, agencyID string) ([]Office, error)
	MeetingTypes(ctx context.Context, agencyID string) ([]MeetingType, error)
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
	repo Repository
}

// NewService returns the booking service on top of repo.
func NewService(repo Repository) Service {
	return &service{repo: repo}
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
