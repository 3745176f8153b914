package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// Client is booking.Service over HTTP, for processes that run other services
// and reach booking on another host.
type Client struct {
	e Endpoints
}

// The client offers the directory, which is what other services need of
// booking; administration goes to the booking service's own routes.
var _ booking.Directory = (*Client)(nil)

// NewClient returns a client of the booking service at baseURL (for example
// http://booking:8080). httpClient may be nil for http.DefaultClient.
func NewClient(baseURL string, httpClient *http.Client) (*Client, error) {
	base, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("booking service url %q must be an absolute http(s) URL", baseURL)
	}
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	opts := []kithttp.ClientOption{kithttp.SetClient(httpClient), kithttp.ClientBefore(httpkit.ForwardRequestContext)}
	get := func(path func(req any) string, dec kithttp.DecodeResponseFunc) endpoint.Endpoint {
		return kithttp.NewClient(http.MethodGet, base, encodeGet(base, path), dec, opts...).Endpoint()
	}
	return &Client{e: Endpoints{
		ListAgencies: get(func(req any) string {
			p := req.(listAgenciesRequest).Page
			q := url.Values{}
			if p.Limit != 0 {
				q.Set("limit", strconv.Itoa(p.Limit))
			}
			if p.Cursor != "" {
				q.Set("cursor", p.Cursor)
			}
			if len(q) == 0 {
				return "/v1/agencies"
			}
			return "/v1/agencies?" + q.Encode()
		}, decodeClientListAgencies),
		GetAgency: get(func(req any) string {
			return "/v1/agencies/" + url.PathEscape(req.(agencyRequest).ID)
		}, decodeClientGetAgency),
		ListOffices: get(func(req any) string {
			return "/v1/agencies/" + url.PathEscape(req.(agencyRequest).ID) + "/offices"
		}, decodeClientListOffices),
		ListMeetingTypes: get(func(req any) string {
			return "/v1/agencies/" + url.PathEscape(req.(agencyRequest).ID) + "/meeting-types"
		}, decodeClientListMeetingTypes),
	}}, nil
}

func (c *Client) ListAgencies(ctx context.Context, page booking.PageRequest) (booking.AgencyPage, error) {
	resp, err := c.e.ListAgencies(ctx, listAgenciesRequest{Page: page})
	if err != nil {
		return booking.AgencyPage{}, err
	}
	r := resp.(listAgenciesResponse)
	return r.Page, r.Err
}

func (c *Client) GetAgency(ctx context.Context, id string) (booking.Agency, error) {
	if !core.ValidID(id) {
		return booking.Agency{}, core.Invalid("id", "must be a UUID")
	}
	resp, err := c.e.GetAgency(ctx, agencyRequest{ID: id})
	if err != nil {
		return booking.Agency{}, err
	}
	r := resp.(getAgencyResponse)
	return r.Agency, r.Err
}

func (c *Client) ListOffices(ctx context.Context, agencyID string) ([]booking.Office, error) {
	if !core.ValidID(agencyID) {
		return nil, core.Invalid("id", "must be a UUID")
	}
	resp, err := c.e.ListOffices(ctx, agencyRequest{ID: agencyID})
	if err != nil {
		return nil, err
	}
	r := resp.(listOfficesResponse)
	return r.Offices, r.Err
}

func (c *Client) ListMeetingTypes(ctx context.Context, agencyID string) ([]booking.MeetingType, error) {
	if !core.ValidID(agencyID) {
		return nil, core.Invalid("id", "must be a UUID")
	}
	resp, err := c.e.ListMeetingTypes(ctx, agencyRequest{ID: agencyID})
	if err != nil {
		return nil, err
	}
	r := resp.(listMeetingTypesResponse)
	return r.MeetingTypes, r.Err
}

// encodeGet points a GET request at base plus the path built from the request.
func encodeGet(base *url.URL, path func(req any) string) kithttp.EncodeRequestFunc {
	return func(_ context.Context, r *http.Request, request any) error {
		u, err := base.Parse(base.Path + path(request))
		if err != nil {
			return err
		}
		r.URL = u
		r.Host = u.Host
		r.Header.Set("Accept", "application/json")
		return nil
	}
}

// decodeClientResponse decodes a 2xx body into dst, or turns a problem
// document into the business error it stands for.
func decodeClientResponse(r *http.Response, dst any) (businessErr error, transportErr error) {
	if r.StatusCode >= 300 {
		return httpkit.DecodeProblem(r), nil
	}
	if err := json.NewDecoder(r.Body).Decode(dst); err != nil {
		return nil, fmt.Errorf("decode booking response: %w", err)
	}
	return nil, nil
}

func decodeClientListAgencies(_ context.Context, r *http.Response) (any, error) {
	var body httpkit.List[agencyJSON]
	bErr, err := decodeClientResponse(r, &body)
	if err != nil {
		return nil, err
	}
	return listAgenciesResponse{Page: booking.AgencyPage{
		Agencies: httpkit.Map(body.Items, agencyJSON.domain), NextCursor: body.NextCursor,
	}, Err: bErr}, nil
}

func decodeClientGetAgency(_ context.Context, r *http.Response) (any, error) {
	var body agencyJSON
	bErr, err := decodeClientResponse(r, &body)
	if err != nil {
		return nil, err
	}
	return getAgencyResponse{Agency: body.domain(), Err: bErr}, nil
}

func decodeClientListOffices(_ context.Context, r *http.Response) (any, error) {
	var body httpkit.List[officeJSON]
	bErr, err := decodeClientResponse(r, &body)
	if err != nil {
		return nil, err
	}
	return listOfficesResponse{Offices: httpkit.Map(body.Items, officeJSON.domain), Err: bErr}, nil
}

func decodeClientListMeetingTypes(_ context.Context, r *http.Response) (any, error) {
	var body httpkit.List[meetingTypeJSON]
	bErr, err := decodeClientResponse(r, &body)
	if err != nil {
		return nil, err
	}
	return listMeetingTypesResponse{MeetingTypes: httpkit.Map(body.Items, meetingTypeJSON.domain), Err: bErr}, nil
}
