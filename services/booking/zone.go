package booking

import (
	"context"
	"sync"
	"time"
)

// zones caches agencies' locations: times leave the service in the agency's
// zone, and zones almost never change.
type zones struct {
	mu  sync.Mutex
	loc map[string]*time.Location
}

func (s *service) zoneOf(ctx context.Context, agencyID string) *time.Location {
	s.zones.mu.Lock()
	loc, ok := s.zones.loc[agencyID]
	s.zones.mu.Unlock()
	if ok {
		return loc
	}
	a, err := s.repo.Agency(ctx, agencyID)
	if err != nil {
		return time.UTC
	}
	loc = a.Location()
	s.zones.mu.Lock()
	if s.zones.loc == nil {
		s.zones.loc = map[string]*time.Location{}
	}
	s.zones.loc[agencyID] = loc
	s.zones.mu.Unlock()
	return loc
}

func (s *service) local(ctx context.Context, a Appointment) Appointment {
	loc := s.zoneOf(ctx, a.AgencyID)
	a.Start, a.End = a.Start.In(loc), a.End.In(loc)
	return a
}
