package booking

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// The routes below serve the other Tidbok services when they run in other
// processes: booking's outbox for their consumers, and what notify needs of
// an appointment for its messages and feeds. Only a service principal with
// the scope reaches them (core.AuthorizeService); having been let in, the
// request reads as Tidbok itself, as the same code does in process, under
// the service client's id so the audit log names who read.

// registerInternal lists booking's routes for the other services.
func registerInternal(mux *http.ServeMux, s booking.Service, links LinkMinter) {
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	mux.Handle("GET /v1/events/booking", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, q httpkit.EventsQuery) ([]booking.Event, error) {
			if _, err := core.AuthorizeService(ctx, core.ScopeEventsRead); err != nil {
				return nil, err
			}
			return s.Events(ctx, q.After, q.Limit)
		}), httpkit.DecodeEventsQuery,
		httpkit.Encode(http.StatusOK, func(evs []booking.Event) any {
			return httpkit.List[httpkit.EventJSON]{Items: httpkit.Map(evs, func(e booking.Event) httpkit.EventJSON {
				return httpkit.NewEventJSON(e.Seq, e.ID, e.Type, e.AggregateID, e.AgencyID, e.Payload, e.OccurredAt)
			})}
		}), opts...))
	mux.Handle("GET /v1/internal/appointments/{id}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, id string) (AppointmentDetails, error) {
			p, err := core.AuthorizeService(ctx, core.ScopeBookingsRead)
			if err != nil {
				return AppointmentDetails{}, err
			}
			// The audit log names the service credential that read.
			return Details(core.WithPrincipal(ctx, core.System(p.Subject)), s, links, id)
		}), decodePathID("id"), httpkit.Encode(http.StatusOK, func(d AppointmentDetails) any { return d }), opts...))
	mux.Handle("GET /v1/internal/feeds", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, q feedQuery) (Feed, error) {
			if _, err := core.AuthorizeService(ctx, core.ScopeBookingsRead); err != nil {
				return Feed{}, err
			}
			return FeedOf(ctx, s, q.owner, q.from)
		}), decodeFeedQuery, httpkit.Encode(http.StatusOK, func(f Feed) any { return f }), opts...))
}

func decodePathID(name string) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) { return httpkit.PathID(r, name) }
}

// AppointmentDetails is what notify needs to know of an appointment to
// write its messages: the appointment with its agency, meeting type, office
// and staff member's names.
type AppointmentDetails struct {
	ID                  string    `json:"id"`
	AgencyID            string    `json:"agency_id"`
	AgencyName          string    `json:"agency_name"`
	TimeZone            string    `json:"time_zone"`
	MeetingTypeSV       string    `json:"meeting_type_sv,omitempty"`
	MeetingTypeEN       string    `json:"meeting_type_en,omitempty"`
	DescriptionSV       string    `json:"description_sv,omitempty"`
	DescriptionEN       string    `json:"description_en,omitempty"`
	WhatToBringSV       string    `json:"what_to_bring_sv,omitempty"`
	WhatToBringEN       string    `json:"what_to_bring_en,omitempty"`
	Mode                string    `json:"mode"`
	Status              string    `json:"status"`
	Start               time.Time `json:"start"`
	End                 time.Time `json:"end"`
	Sequence            int       `json:"sequence"`
	OfficeName          string    `json:"office_name,omitempty"`
	OfficeAddress       string    `json:"office_address,omitempty"`
	Room                string    `json:"room,omitempty"`
	AccessibilityNotes  string    `json:"accessibility_notes,omitempty"`
	VideoURL            string    `json:"video_url,omitempty"`
	PhoneNumber         string    `json:"phone_number,omitempty"`
	PhoneDirection      string    `json:"phone_direction,omitempty"`
	StaffName           string    `json:"staff_name,omitempty"`
	StaffEmail          string    `json:"staff_email,omitempty"`
	CitizenID           string    `json:"citizen_id,omitempty"`
	InterpreterLanguage string    `json:"interpreter_language,omitempty"`
	CancelReason        string    `json:"cancel_reason,omitempty"`
	Created             time.Time `json:"created"`
	// ReminderMinutes is the meeting type's reminder lead time; NoReminder
	// says the meeting type sends none.
	ReminderMinutes int  `json:"reminder_minutes"`
	NoReminder      bool `json:"no_reminder"`
	// ManageToken lets the citizen see, move or cancel this one meeting
	// from a link in their messages; StaffAccountID is the staff member's
	// sign-in account, for their language.
	ManageToken    string `json:"manage_token,omitempty"`
	StaffAccountID string `json:"staff_account_id,omitempty"`
}

// LinkMinter signs a citizen's manage link for an appointment
// (*booking.ManageLinks).
type LinkMinter interface {
	Mint(a booking.Appointment) (string, error)
}

// Details reads an appointment and the names around it, with the citizen's
// manage-link token when links is not nil. ctx must carry a principal that
// may read the appointment (in process: Tidbok itself).
func Details(ctx context.Context, s booking.Service, links LinkMinter, id string) (AppointmentDetails, error) {
	a, err := s.GetAppointment(ctx, id)
	if err != nil {
		return AppointmentDetails{}, err
	}
	agency, err := s.GetAgency(ctx, a.AgencyID)
	if err != nil {
		return AppointmentDetails{}, err
	}
	d := AppointmentDetails{ID: a.ID, AgencyID: a.AgencyID, AgencyName: agency.Name, TimeZone: agency.TimeZone,
		Mode: string(a.Mode), Status: string(a.Status), Start: a.Start.UTC(), End: a.End.UTC(), Sequence: a.Sequence, Room: a.Room,
		VideoURL: a.VideoURL, PhoneNumber: a.PhoneNumber, PhoneDirection: string(a.PhoneDirection), CitizenID: a.CitizenID,
		InterpreterLanguage: a.InterpreterLanguage, CancelReason: a.CancelReason, Created: a.CreatedAt.UTC()}
	if types, err := s.ListMeetingTypes(ctx, a.AgencyID); err == nil {
		if i := slices.IndexFunc(types, func(t booking.MeetingType) bool { return t.ID == a.MeetingTypeID }); i >= 0 {
			d.MeetingTypeSV, d.MeetingTypeEN = types[i].Name.SV, types[i].Name.EN
			d.DescriptionSV, d.DescriptionEN = types[i].Description.SV, types[i].Description.EN
			d.WhatToBringSV, d.WhatToBringEN = types[i].WhatToBring.SV, types[i].WhatToBring.EN
			d.ReminderMinutes = int(types[i].ReminderBefore / time.Minute)
			d.NoReminder = types[i].ReminderBefore == 0
		}
	}
	if a.OfficeID != "" {
		if offices, err := s.ListOffices(ctx, a.AgencyID); err == nil {
			if i := slices.IndexFunc(offices, func(o booking.Office) bool { return o.ID == a.OfficeID }); i >= 0 {
				o := offices[i]
				d.OfficeName = o.Name
				d.OfficeAddress = o.Address.Street + ", " + o.Address.PostalCode + " " + o.Address.City
				d.AccessibilityNotes = o.AccessibilityNotes
			}
		}
	}
	if m, err := s.GetStaffMember(ctx, a.AgencyID, a.StaffID); err == nil {
		d.StaffName, d.StaffEmail, d.StaffAccountID = m.Name, m.Email, m.AccountID
	}
	if links != nil && a.CitizenID != "" {
		if d.ManageToken, err = links.Mint(a); err != nil {
			return AppointmentDetails{}, err
		}
	}
	return d, nil
}

// FeedOwner is whose calendar feed is asked for: a citizen, or a staff
// account of an agency (the agency comes from the auth service).
type FeedOwner struct {
	Kind     core.PrincipalKind
	ID       string
	AgencyID string
}

// Feed is a person's coming meetings for their calendar feed.
type Feed struct {
	Name  string     `json:"name"`
	Items []FeedItem `json:"items"`
}

// FeedItem is one meeting of a feed.
type FeedItem struct {
	AppointmentID string    `json:"appointment_id"`
	Sequence      int       `json:"sequence"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	TimeZone      string    `json:"time_zone"`
	Summary       string    `json:"summary"`
	Place         string    `json:"place"`
	AgencyName    string    `json:"agency_name"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
}

// FeedOf lists owner's meetings from from on. A citizen's are read as the
// citizen; a staff member's as Tidbok itself, limited to the staff member
// linked to the account.
func FeedOf(ctx context.Context, s booking.Service, owner FeedOwner, from time.Time) (Feed, error) {
	filter := booking.AppointmentFilter{From: from, Limit: booking.MaxPageSize}
	feed := Feed{Name: "Tidbok", Items: []FeedItem{}}
	switch owner.Kind {
	case core.KindCitizen:
		ctx = core.WithPrincipal(ctx, core.Principal{Kind: core.KindCitizen, Subject: owner.ID})
		feed.Name = "Mina möten / My meetings"
	case core.KindStaff:
		ctx = core.WithPrincipal(ctx, core.System("feeds"))
		members, err := s.ListStaffMembers(ctx, owner.AgencyID)
		if err != nil {
			return Feed{}, err
		}
		i := slices.IndexFunc(members, func(m booking.StaffMember) bool { return m.AccountID == owner.ID })
		if i < 0 {
			return feed, nil // an account that meets nobody has an empty calendar
		}
		filter.AgencyID, filter.StaffID = owner.AgencyID, members[i].ID
		feed.Name = members[i].Name + " – Tidbok"
	default:
		return Feed{}, fmt.Errorf("feed owner kind %q: %w", owner.Kind, core.ErrNotFound)
	}
	names := map[string]string{}
	for page := 0; page < 5; page++ {
		res, err := s.ListAppointments(ctx, filter)
		if err != nil {
			return Feed{}, err
		}
		for _, a := range res.Appointments {
			if a.Status == booking.Cancelled {
				continue // a feed shows what will happen; cancellations left with the invitations
			}
			agency, err := s.GetAgency(ctx, a.AgencyID)
			if err != nil {
				return Feed{}, err
			}
			if _, ok := names[a.MeetingTypeID]; !ok {
				types, _ := s.ListMeetingTypes(ctx, a.AgencyID)
				for _, t := range types {
					names[t.ID] = t.Name.In(agency.DefaultLanguage)
				}
			}
			feed.Items = append(feed.Items, FeedItem{AppointmentID: a.ID, Sequence: a.Sequence, Start: a.Start.UTC(), End: a.End.UTC(),
				TimeZone: agency.Location().String(), Summary: names[a.MeetingTypeID] + " – " + agency.Name, Place: feedPlace(a),
				AgencyName: agency.Name, Created: a.CreatedAt.UTC(), Updated: a.UpdatedAt.UTC()})
		}
		if res.NextCursor == "" {
			break
		}
		filter.Cursor = res.NextCursor
	}
	return feed, nil
}

func feedPlace(a booking.Appointment) string {
	switch a.Mode {
	case booking.Video:
		return a.VideoURL
	case booking.Phone:
		return "Telefon / Phone"
	}
	return a.Room
}

type feedQuery struct {
	owner FeedOwner
	from  time.Time
}

func decodeFeedQuery(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	var v core.Validator
	fq := feedQuery{owner: FeedOwner{Kind: core.PrincipalKind(q.Get("owner_kind")), ID: q.Get("owner_id"), AgencyID: q.Get("agency_id")}}
	v.Check(fq.owner.Kind == core.KindCitizen || fq.owner.Kind == core.KindStaff, "owner_kind", "must be citizen or staff")
	v.Check(core.ValidID(fq.owner.ID), "owner_id", "must be a UUID")
	v.Check(fq.owner.Kind != core.KindStaff || core.ValidID(fq.owner.AgencyID), "agency_id", "must be a UUID for a staff member's feed")
	fq.from, err = time.Parse(time.RFC3339, q.Get("from"))
	v.Check(err == nil, "from", "must be an RFC 3339 time")
	if err := v.Err(); err != nil {
		return nil, err
	}
	return fq, nil
}

// InternalClient reaches booking's routes for the other services: its
// outbox, and appointment details and feeds for notify. httpClient carries
// this process's service token.
type InternalClient struct {
	base    *url.URL
	events  func(ctx context.Context, after int64, limit int) ([]httpkit.EventJSON, error)
	details func(ctx context.Context, request any) (any, error)
	feed    func(ctx context.Context, request any) (any, error)
}

// NewInternalClient returns a client of booking's internal routes at baseURL.
func NewInternalClient(baseURL string, httpClient *http.Client) (*InternalClient, error) {
	base, err := httpkit.ServiceBaseURL("booking", baseURL)
	if err != nil {
		return nil, err
	}
	return &InternalClient{base: base,
		events:  httpkit.EventsClient(base, httpClient, "/v1/events/booking"),
		details: httpkit.JSONEndpoint[AppointmentDetails](http.MethodGet, base, httpClient),
		feed:    httpkit.JSONEndpoint[Feed](http.MethodGet, base, httpClient),
	}, nil
}

// Events reads booking's outbox after the sequence number after.
func (c *InternalClient) Events(ctx context.Context, after int64, limit int) ([]httpkit.EventJSON, error) {
	return c.events(ctx, after, limit)
}

// AppointmentDetails reads what notify needs of an appointment.
func (c *InternalClient) AppointmentDetails(ctx context.Context, id string) (AppointmentDetails, error) {
	if !core.ValidID(id) {
		return AppointmentDetails{}, core.Invalid("appointment_id", "must be a UUID")
	}
	return httpkit.Do[AppointmentDetails](ctx, c.details, httpkit.Call{Path: "/v1/internal/appointments/" + id})
}

// Feed reads owner's meetings from from on.
func (c *InternalClient) Feed(ctx context.Context, owner FeedOwner, from time.Time) (Feed, error) {
	q := url.Values{"owner_kind": {string(owner.Kind)}, "owner_id": {owner.ID}, "from": {from.UTC().Format(time.RFC3339)}}
	if owner.AgencyID != "" {
		q.Set("agency_id", owner.AgencyID)
	}
	return httpkit.Do[Feed](ctx, c.feed, httpkit.Call{Path: "/v1/internal/feeds", Query: q})
}
