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

// local is the appointment as it leaves the service: its times in the
// agency's zone and, for a meeting in person, the office with its address.
func (s *service) local(ctx context.Context, a Appointment) Appointment {
	return s.localWith(ctx, a, nil)
}

// localWith is local with offices already read, for lists.
func (s *service) localWith(ctx context.Context, a Appointment, offices map[string]*Office) Appointment {
	loc := s.zoneOf(ctx, a.AgencyID)
	a.Start, a.End = a.Start.In(loc), a.End.In(loc)
	if a.OfficeID != "" {
		o, ok := offices[a.OfficeID]
		if !ok {
			// Without the office the appointment still says where by id.
			if got, err := s.repo.Office(ctx, a.OfficeID); err == nil {
				o = &got
			}
			if offices != nil {
				offices[a.OfficeID] = o
			}
		}
		a.Office = o
	}
	return a
}
