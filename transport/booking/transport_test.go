package booking_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/services/booking"
	bookingtransport "github.com/tidbok/tidbok/transport/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// services returns the booking service twice: in process, and as the HTTP
// client talking to a real server of it. Every case below must behave the
// same through both — that is what makes the distributed mode trustworthy.
func services(t *testing.T, d *db.DB) map[string]booking.Directory {
	t.Helper()
	store := bookingstore.New(d)
	if _, err := demo.Load(context.Background(), demo.Stores{Directory: store}, demo.Secrets{}); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	local := booking.NewService(store, nil)
	mux := http.NewServeMux()
	bookingtransport.RegisterRoutes(mux, local, nil, nil, nil)
	_, m := httpkit.NewRegistry()
	srv := httptest.NewServer(httpkit.Middleware(log.NewNopLogger(), m)(mux))
	t.Cleanup(srv.Close)
	remote, err := bookingtransport.NewClient(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]booking.Directory{"local": local, "remote": remote}
}

func TestServiceLocallyAndOverHTTP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		for name, svc := range services(t, d) {
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				cases := []struct {
					name    string
					call    func() (any, error)
					wantErr error
					check   func(t *testing.T, got any)
				}{
					{"first page of agencies has a cursor to the next", func() (any, error) {
						return svc.ListAgencies(ctx, booking.PageRequest{Limit: 1})
					}, nil, func(t *testing.T, got any) {
						p := got.(booking.AgencyPage)
						if len(p.Agencies) != 1 || p.Agencies[0].Name != "Exempelby kommun" || p.NextCursor == "" {
							t.Fatalf("page = %+v", p)
						}
						next, err := svc.ListAgencies(ctx, booking.PageRequest{Limit: 1, Cursor: p.NextCursor})
						if err != nil || len(next.Agencies) != 1 || next.Agencies[0].Name != "Vårdcentral Exempelby" || next.NextCursor != "" {
							t.Fatalf("second page = %+v, %v", next, err)
						}
					}},
					{"all agencies by default", func() (any, error) {
						return svc.ListAgencies(ctx, booking.PageRequest{})
					}, nil, func(t *testing.T, got any) {
						if p := got.(booking.AgencyPage); len(p.Agencies) != 2 || p.NextCursor != "" {
							t.Fatalf("page = %+v", p)
						}
					}},
					{"an agency by id", func() (any, error) {
						return svc.GetAgency(ctx, demo.ExempelbyID)
					}, nil, func(t *testing.T, got any) {
						a := got.(booking.Agency)
						if a.OrgNumber != "212000-9999" || a.Kind != booking.Municipality || a.TimeZone != "Europe/Stockholm" {
							t.Fatalf("agency = %+v", a)
						}
					}},
					{"offices with accessibility notes", func() (any, error) {
						return svc.ListOffices(ctx, demo.ExempelbyID)
					}, nil, func(t *testing.T, got any) {
						o := got.([]booking.Office)
						if len(o) != 2 || o[0].AccessibilityNotes == "" || o[0].Address.City != "Exempelby" {
							t.Fatalf("offices = %+v", o)
						}
					}},
					{"meeting types in both languages with their modes", func() (any, error) {
						return svc.ListMeetingTypes(ctx, demo.VardcentralID)
					}, nil, func(t *testing.T, got any) {
						types := got.([]booking.MeetingType)
						if len(types) != 3 {
							t.Fatalf("got %d meeting types", len(types))
						}
						modes := map[booking.Mode]bool{}
						for _, mt := range types {
							if mt.Name.SV == "" || mt.Name.EN == "" || mt.Duration <= 0 {
								t.Fatalf("incomplete meeting type %+v", mt)
							}
							for _, m := range mt.Modes {
								modes[m] = true
							}
						}
						if len(modes) != 3 {
							t.Fatalf("modes offered = %v, want all three", modes)
						}
					}},
					{"unknown agency", func() (any, error) { return svc.GetAgency(ctx, core.NewID()) }, core.ErrNotFound, nil},
					{"offices of unknown agency", func() (any, error) { return svc.ListOffices(ctx, core.NewID()) }, core.ErrNotFound, nil},
					{"meeting types of unknown agency", func() (any, error) { return svc.ListMeetingTypes(ctx, core.NewID()) }, core.ErrNotFound, nil},
					{"malformed agency id", func() (any, error) { return svc.GetAgency(ctx, "42") }, core.ErrInvalid, nil},
					{"page size over the maximum", func() (any, error) {
						return svc.ListAgencies(ctx, booking.PageRequest{Limit: booking.MaxPageSize + 1})
					}, core.ErrInvalid, nil},
					{"forged cursor", func() (any, error) {
						return svc.ListAgencies(ctx, booking.PageRequest{Cursor: "not-a-cursor"})
					}, core.ErrInvalid, nil},
				}
				for _, tc := range cases {
					t.Run(tc.name, func(t *testing.T) {
						got, err := tc.call()
						if tc.wantErr != nil {
							if !errors.Is(err, tc.wantErr) {
								t.Fatalf("err = %v, want %v", err, tc.wantErr)
							}
							return
						}
						if err != nil {
							t.Fatalf("unexpected error: %v", err)
						}
						tc.check(t, got)
					})
				}
			})
		}
	})
}

// A field error keeps its field name across the wire.
func TestRemoteValidationErrorKeepsFields(t *testing.T) {
	svc := services(t, dbtest.SQLite(t))["remote"]
	_, err := svc.ListAgencies(context.Background(), booking.PageRequest{Cursor: "x"})
	var ve *core.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "cursor" {
		t.Fatalf("err = %#v, want a validation error on cursor", err)
	}
}

func TestNewClientRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "booking:8080", "ftp://x", "http://"} {
		if _, err := bookingtransport.NewClient(u, nil); err == nil {
			t.Errorf("NewClient(%q) succeeded", u)
		}
	}
}
