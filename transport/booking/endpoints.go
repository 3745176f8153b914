// Package booking is the go-kit transport of the booking service: endpoints
// that adapt booking.Service, the HTTP server that exposes them, and an HTTP
// client that implements booking.Service against a remote server.
package booking

import (
	"context"

	"github.com/go-kit/kit/endpoint"

	"github.com/tidbok/tidbok/services/booking"
)

// Endpoints collects the booking service's endpoints. The server adapts a
// Service to them; the client builds them from HTTP calls.
type Endpoints struct {
	ListAgencies     endpoint.Endpoint
	GetAgency        endpoint.Endpoint
	ListOffices      endpoint.Endpoint
	ListMeetingTypes endpoint.Endpoint
}

// MakeServerEndpoints adapts s to endpoints.
func MakeServerEndpoints(s booking.Directory) Endpoints {
	return Endpoints{
		ListAgencies:     makeListAgenciesEndpoint(s),
		GetAgency:        makeGetAgencyEndpoint(s),
		ListOffices:      makeListOfficesEndpoint(s),
		ListMeetingTypes: makeListMeetingTypesEndpoint(s),
	}
}

type listAgenciesRequest struct{ Page booking.PageRequest }

type listAgenciesResponse struct {
	Page booking.AgencyPage
	Err  error
}

func (r listAgenciesResponse) Failed() error { return r.Err }

func makeListAgenciesEndpoint(s booking.Directory) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(listAgenciesRequest)
		page, err := s.ListAgencies(ctx, req.Page)
		return listAgenciesResponse{Page: page, Err: err}, nil
	}
}

type agencyRequest struct{ ID string }

type getAgencyResponse struct {
	Agency booking.Agency
	Err    error
}

func (r getAgencyResponse) Failed() error { return r.Err }

func makeGetAgencyEndpoint(s booking.Directory) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(agencyRequest)
		a, err := s.GetAgency(ctx, req.ID)
		return getAgencyResponse{Agency: a, Err: err}, nil
	}
}

type listOfficesResponse struct {
	Offices []booking.Office
	Err     error
}

func (r listOfficesResponse) Failed() error { return r.Err }

func makeListOfficesEndpoint(s booking.Directory) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(agencyRequest)
		o, err := s.ListOffices(ctx, req.ID)
		return listOfficesResponse{Offices: o, Err: err}, nil
	}
}

type listMeetingTypesResponse struct {
	MeetingTypes []booking.MeetingType
	Err          error
}

func (r listMeetingTypesResponse) Failed() error { return r.Err }

func makeListMeetingTypesEndpoint(s booking.Directory) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		req := request.(agencyRequest)
		m, err := s.ListMeetingTypes(ctx, req.ID)
		return listMeetingTypesResponse{MeetingTypes: m, Err: err}, nil
	}
}
