package booking

import (
	"context"
	"net/http"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// RegisterRoutes lists every route of the booking service: the public
// directory here, administration and availability in registerAdmin.
// limiter, when not nil, limits the public availability routes per client;
// links, when not nil, signs the citizen's manage link that notify puts in
// its messages.
func RegisterRoutes(mux *http.ServeMux, s booking.Service, limiter *httpkit.RateLimiter, idempotent Wrap, links LinkMinter) {
	registerAdmin(mux, s, limiter)
	registerAppointments(mux, s, idempotent)
	registerCallbacks(mux, s, idempotent)
	registerInternal(mux, s, links)
	registerStatistics(mux, s)
	e := MakeServerEndpoints(s)
	opts := httpkit.ServerOptions()
	mux.Handle("GET /v1/agencies", kithttp.NewServer(e.ListAgencies, decodeListAgencies, encodeListAgencies, opts...))
	mux.Handle("GET /v1/agencies/{id}", kithttp.NewServer(e.GetAgency, decodeAgencyRequest, encodeGetAgency, opts...))
	mux.Handle("GET /v1/agencies/{id}/offices", kithttp.NewServer(e.ListOffices, decodeAgencyRequest, encodeListOffices, opts...))
	mux.Handle("GET /v1/agencies/{id}/meeting-types", kithttp.NewServer(e.ListMeetingTypes, decodeAgencyRequest, encodeListMeetingTypes, opts...))
}

func decodeListAgencies(_ context.Context, r *http.Request) (any, error) {
	limit, cursor, err := httpkit.PageParams(r)
	if err != nil {
		return nil, err
	}
	return listAgenciesRequest{Page: booking.PageRequest{Limit: limit, Cursor: cursor}}, nil
}

func decodeAgencyRequest(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return agencyRequest{ID: id}, nil
}

// The directory is public and changes rarely; let portals and proxies cache
// it for a minute.
func publicCache(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "public, max-age=60")
}

func encodeListAgencies(ctx context.Context, w http.ResponseWriter, response any) error {
	resp := response.(listAgenciesResponse)
	if resp.Err != nil {
		return httpkit.EncodeJSON(ctx, w, resp)
	}
	publicCache(w)
	return httpkit.EncodeJSON(ctx, w, httpkit.List[agencyJSON]{
		Items:      httpkit.Map(resp.Page.Agencies, agencyToJSON),
		NextCursor: resp.Page.NextCursor,
	})
}

func encodeGetAgency(ctx context.Context, w http.ResponseWriter, response any) error {
	resp := response.(getAgencyResponse)
	if resp.Err != nil {
		return httpkit.EncodeJSON(ctx, w, resp)
	}
	publicCache(w)
	return httpkit.EncodeJSON(ctx, w, agencyToJSON(resp.Agency))
}

func encodeListOffices(ctx context.Context, w http.ResponseWriter, response any) error {
	resp := response.(listOfficesResponse)
	if resp.Err != nil {
		return httpkit.EncodeJSON(ctx, w, resp)
	}
	publicCache(w)
	return httpkit.EncodeJSON(ctx, w, httpkit.List[officeJSON]{Items: httpkit.Map(resp.Offices, officeToJSON)})
}

func encodeListMeetingTypes(ctx context.Context, w http.ResponseWriter, response any) error {
	resp := response.(listMeetingTypesResponse)
	if resp.Err != nil {
		return httpkit.EncodeJSON(ctx, w, resp)
	}
	publicCache(w)
	return httpkit.EncodeJSON(ctx, w, httpkit.List[meetingTypeJSON]{Items: httpkit.Map(resp.MeetingTypes, meetingTypeToJSON)})
}
