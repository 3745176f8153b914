// Package intake is the HTTP transport of the intake service: case
// categories, cases, their status, assignment, messages and timeline.
package intake

import (
	"context"
	"net/http"
	"strconv"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/intake"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// Wrap decorates the routes that create or act (Idempotency-Key).
type Wrap func(http.Handler) http.Handler

// RegisterRoutes lists every route of the intake service, in one place.
func RegisterRoutes(mux *http.ServeMux, s intake.Service, idempotent Wrap) {
	if idempotent == nil {
		idempotent = func(h http.Handler) http.Handler { return h }
	}
	public := httpkit.ServerOptions()
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	none := func(struct{}) any { return nil }
	registerEvents(mux, s)
	caseOut := func(status int) kithttp.EncodeResponseFunc {
		return func(ctx context.Context, w http.ResponseWriter, response any) error {
			r := response.(httpkit.Result[intake.Case])
			if r.Err != nil {
				httpkit.WriteError(ctx, w, r.Err)
				return nil
			}
			w.Header().Set("ETag", r.Value.ETag())
			if status == http.StatusCreated {
				w.Header().Set("Location", "/v1/cases/"+r.Value.ID)
			}
			return httpkit.WriteJSON(w, status, caseToJSON(r.Value, nil, ""))
		}
	}

	mux.Handle("GET /v1/agencies/{id}/case-categories", kithttp.NewServer(httpkit.Unary(s.ListCategories), decodeAgency,
		httpkit.Encode(http.StatusOK, func(l []intake.Category) any {
			return httpkit.List[categoryJSON]{Items: httpkit.Map(l, categoryToJSON)}
		}), public...))
	mux.Handle("POST /v1/agencies/{id}/case-categories", kithttp.NewServer(httpkit.Unary(s.CreateCategory), decodeCategory,
		httpkit.Encode(http.StatusCreated, func(c intake.Category) any { return categoryToJSON(c) }), opts...))
	mux.Handle("PUT /v1/agencies/{id}/case-categories/{category_id}", kithttp.NewServer(httpkit.Unary(s.UpdateCategory), decodeCategory,
		httpkit.Encode(http.StatusOK, func(c intake.Category) any { return categoryToJSON(c) }), opts...))
	mux.Handle("POST /v1/agencies/{id}/case-categories/{category_id}/retire", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r [2]string) (struct{}, error) {
			return struct{}{}, s.RetireCategory(ctx, r[0], r[1])
		}),
		decodeAgencyAnd("category_id"), httpkit.Encode(http.StatusNoContent, none), opts...))
	mux.Handle("PUT /v1/agencies/{id}/case-settings", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r [2]string) (struct{}, error) {
			return struct{}{}, s.SetReferencePrefix(ctx, r[0], r[1])
		}), decodeCaseSettings, httpkit.Encode(http.StatusNoContent, none), opts...))

	mux.Handle("POST /v1/cases", idempotent(kithttp.NewServer(httpkit.Unary(s.Submit), decodeSubmit, caseOut(http.StatusCreated), opts...)))
	mux.Handle("GET /v1/cases", kithttp.NewServer(httpkit.Unary(s.ListCases), decodeCaseFilter,
		httpkit.Encode(http.StatusOK, func(p intake.CasePage) any {
			return httpkit.List[caseJSON]{Items: httpkit.Map(p.Cases, func(c intake.Case) caseJSON { return caseToJSON(c, nil, "") }), NextCursor: p.NextCursor}
		}), opts...))
	mux.Handle("GET /v1/cases/{id}", kithttp.NewServer(httpkit.Unary(s.GetCase), decodeID,
		func(ctx context.Context, w http.ResponseWriter, response any) error {
			r := response.(httpkit.Result[intake.CaseView])
			if r.Err != nil {
				httpkit.WriteError(ctx, w, r.Err)
				return nil
			}
			w.Header().Set("ETag", r.Value.Case.ETag())
			return httpkit.WriteJSON(w, http.StatusOK, caseToJSON(r.Value.Case, nonNil(r.Value.MeetingTypeIDs), r.Value.CitizenPIN))
		}, opts...))
	mux.Handle("POST /v1/cases/{id}/status", idempotent(kithttp.NewServer(httpkit.Unary(s.ChangeStatus), decodeStatusChange, caseOut(http.StatusOK), opts...)))
	mux.Handle("POST /v1/cases/{id}/assign", idempotent(kithttp.NewServer(httpkit.Unary(s.Assign), decodeAssign, caseOut(http.StatusOK), opts...)))
	mux.Handle("POST /v1/cases/{id}/priority", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r priorityRequest) (intake.Case, error) {
			return s.SetPriority(ctx, r.id, r.priority, r.ifMatch)
		}),
		decodePriority, caseOut(http.StatusOK), opts...))
	mux.Handle("POST /v1/cases/{id}/messages", idempotent(kithttp.NewServer(httpkit.Unary(s.PostMessage), decodeMessage,
		httpkit.Encode(http.StatusCreated, func(e intake.Entry) any { return entryToJSON(e) }), opts...)))
	mux.Handle("POST /v1/cases/{id}/withdraw", idempotent(kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, r [2]string) (intake.Case, error) { return s.Withdraw(ctx, r[0], r[1]) }),
		decodeWithdraw, caseOut(http.StatusOK), opts...)))
	mux.Handle("GET /v1/cases/{id}/events", kithttp.NewServer(httpkit.Unary(s.Timeline), decodeID,
		httpkit.Encode(http.StatusOK, func(l []intake.Entry) any { return httpkit.List[entryJSON]{Items: httpkit.Map(l, entryToJSON)} }), opts...))
	registerStatistics(mux, s)
}

func decodeAgency(_ context.Context, r *http.Request) (any, error) { return httpkit.PathID(r, "id") }

func decodeID(_ context.Context, r *http.Request) (any, error) { return httpkit.PathID(r, "id") }

func decodeAgencyAnd(name string) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		a, err := httpkit.PathID(r, "id")
		if err != nil {
			return nil, err
		}
		b, err := httpkit.PathID(r, name)
		if err != nil {
			return nil, err
		}
		return [2]string{a, b}, nil
	}
}

type textJSON struct {
	SV string `json:"sv"`
	EN string `json:"en"`
}

type categoryInput struct {
	Name             textJSON `json:"name"`
	Description      textJSON `json:"description"`
	MeetingTypeIDs   []string `json:"meeting_type_ids"`
	FirstContactDays int      `json:"first_contact_days"`
	ResolutionDays   int      `json:"resolution_days"`
	RequiresPIN      bool     `json:"requires_personal_identity_number"`
	IsComplaint      bool     `json:"is_complaint"`
}

func decodeCategory(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var id string
	if r.PathValue("category_id") != "" {
		if id, err = httpkit.PathID(r, "category_id"); err != nil {
			return nil, err
		}
	}
	var in categoryInput
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return intake.Category{ID: id, AgencyID: agency, NameSV: in.Name.SV, NameEN: in.Name.EN, DescriptionSV: in.Description.SV,
		DescriptionEN: in.Description.EN, MeetingTypeIDs: in.MeetingTypeIDs, FirstContactDays: in.FirstContactDays,
		ResolutionDays: in.ResolutionDays, RequiresPIN: in.RequiresPIN, IsComplaint: in.IsComplaint}, nil
}

func decodeCaseSettings(_ context.Context, r *http.Request) (any, error) {
	agency, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		ReferencePrefix string `json:"reference_prefix"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return [2]string{agency, in.ReferencePrefix}, nil
}

type citizenRefJSON struct {
	ID                     string `json:"id"`
	PersonalIdentityNumber string `json:"personal_identity_number"`
	Email                  string `json:"email"`
	Phone                  string `json:"phone"`
	Name                   string `json:"name"`
}

func decodeSubmit(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		AgencyID            string          `json:"agency_id"`
		CategoryID          string          `json:"category_id"`
		Subject             string          `json:"subject"`
		Description         string          `json:"description"`
		PreferredModes      []string        `json:"preferred_modes"`
		PreferredTimes      string          `json:"preferred_times"`
		ContactPreference   string          `json:"contact_preference"`
		Language            string          `json:"language"`
		InterpreterLanguage string          `json:"interpreter_language"`
		Priority            string          `json:"priority"`
		Citizen             *citizenRefJSON `json:"citizen"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	req := intake.SubmitRequest{AgencyID: in.AgencyID, CategoryID: in.CategoryID, Subject: in.Subject, Description: in.Description,
		PreferredModes: in.PreferredModes, PreferredTimes: in.PreferredTimes, ContactPreference: in.ContactPreference,
		Language: in.Language, InterpreterLanguage: in.InterpreterLanguage, Priority: intake.Priority(in.Priority)}
	// The caller's language only when it said one: an integration that
	// sends no Accept-Language gets the service's default, Swedish.
	if req.Language == "" && r.Header.Get("Accept-Language") != "" {
		req.Language = httpkit.LanguageFrom(ctx)
	}
	if in.Citizen != nil {
		req.Citizen = intake.CitizenRef(*in.Citizen)
	}
	return req, nil
}

func decodeCaseFilter(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	limit, cursor, err := httpkit.PageParams(r)
	if err != nil {
		return nil, err
	}
	f := intake.CaseFilter{AgencyID: q.Get("agency_id"), Status: intake.Status(q.Get("status")), Assignee: q.Get("assignee"),
		CategoryID: q.Get("category"), Query: q.Get("q"), Limit: limit, Cursor: cursor}
	if s := q.Get("overdue"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, core.Invalid("overdue", "must be true or false")
		}
		f.Overdue = b
	}
	return f, nil
}

func decodeStatusChange(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Status           string `json:"status"`
		Note             string `json:"note"`
		VisibleToCitizen bool   `json:"visible_to_citizen"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return intake.StatusChange{ID: id, Status: intake.Status(in.Status), Note: in.Note, VisibleToCitizen: in.VisibleToCitizen,
		IfMatch: r.Header.Get("If-Match")}, nil
}

func decodeAssign(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		StaffID string `json:"staff_id"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return intake.Assignment{ID: id, StaffID: in.StaffID, IfMatch: r.Header.Get("If-Match")}, nil
}

type priorityRequest struct {
	id, ifMatch string
	priority    intake.Priority
}

func decodePriority(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Priority string `json:"priority"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return priorityRequest{id: id, priority: intake.Priority(in.Priority), ifMatch: r.Header.Get("If-Match")}, nil
}

func decodeMessage(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Body     string `json:"body"`
		Internal bool   `json:"internal"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return intake.Message{CaseID: id, Body: in.Body, Internal: in.Internal}, nil
}

func decodeWithdraw(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := httpkit.DecodeJSONBody(r, &in); err != nil {
			return nil, err
		}
	}
	return [2]string{id, in.Reason}, nil
}

// ---- JSON ----

type categoryJSON struct {
	ID               string   `json:"id"`
	AgencyID         string   `json:"agency_id"`
	Name             textJSON `json:"name"`
	Description      textJSON `json:"description"`
	MeetingTypeIDs   []string `json:"meeting_type_ids"`
	FirstContactDays int      `json:"first_contact_days"`
	ResolutionDays   int      `json:"resolution_days"`
	RequiresPIN      bool     `json:"requires_personal_identity_number"`
	IsComplaint      bool     `json:"is_complaint"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func categoryToJSON(c intake.Category) categoryJSON {
	return categoryJSON{ID: c.ID, AgencyID: c.AgencyID, Name: textJSON{c.NameSV, c.NameEN}, Description: textJSON{c.DescriptionSV, c.DescriptionEN},
		MeetingTypeIDs: nonNil(c.MeetingTypeIDs), FirstContactDays: c.FirstContactDays, ResolutionDays: c.ResolutionDays,
		RequiresPIN: c.RequiresPIN, IsComplaint: c.IsComplaint}
}

type caseJSON struct {
	ID                     string     `json:"id"`
	AgencyID               string     `json:"agency_id"`
	Reference              string     `json:"reference"`
	CategoryID             string     `json:"category_id"`
	Subject                string     `json:"subject"`
	Description            string     `json:"description"`
	CitizenID              string     `json:"citizen_id"`
	PersonalIdentityNumber *string    `json:"personal_identity_number,omitempty"`
	PreferredModes         []string   `json:"preferred_modes"`
	PreferredTimes         string     `json:"preferred_times"`
	ContactPreference      string     `json:"contact_preference"`
	Language               string     `json:"language"`
	InterpreterLanguage    string     `json:"interpreter_language"`
	Priority               string     `json:"priority"`
	AssigneeID             *string    `json:"assignee_id"`
	Status                 string     `json:"status"`
	FirstContactAt         *time.Time `json:"first_contact_at"`
	ResolvedAt             *time.Time `json:"resolved_at"`
	ClosedAt               *time.Time `json:"closed_at"`
	FirstContactDue        time.Time  `json:"first_contact_due"`
	ResolutionDue          time.Time  `json:"resolution_due"`
	Overdue                bool       `json:"overdue"`
	IsComplaint            bool       `json:"is_complaint"`
	MeetingTypeIDs         *[]string  `json:"meeting_type_ids,omitempty"` // GET of one case only, [] when none
	Version                int        `json:"version"`
	CreatedAt              time.Time  `json:"created_at"`
	UpdatedAt              time.Time  `json:"updated_at"`
}

func caseToJSON(c intake.Case, meetingTypes []string, maskedPIN string) caseJSON {
	j := caseJSON{ID: c.ID, AgencyID: c.AgencyID, Reference: c.Reference, CategoryID: c.CategoryID, Subject: c.Subject,
		Description: c.Description, CitizenID: c.CitizenID, PreferredModes: nonNil(c.PreferredModes), PreferredTimes: c.PreferredTimes,
		ContactPreference: c.ContactPreference, Language: c.Language, InterpreterLanguage: c.InterpreterLanguage,
		Priority: string(c.Priority), Status: string(c.Status), FirstContactAt: c.FirstContactAt, ResolvedAt: c.ResolvedAt,
		ClosedAt: c.ClosedAt, FirstContactDue: c.FirstContactDue, ResolutionDue: c.ResolutionDue, Overdue: c.IsOverdue,
		IsComplaint: c.IsComplaint, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.AssigneeID != "" {
		j.AssigneeID = &c.AssigneeID
	}
	if maskedPIN != "" {
		j.PersonalIdentityNumber = &maskedPIN
	}
	if meetingTypes != nil {
		j.MeetingTypeIDs = &meetingTypes
	}
	return j
}

type entryJSON struct {
	ID               string    `json:"id"`
	Kind             string    `json:"kind"`
	StatusFrom       string    `json:"status_from,omitempty"`
	StatusTo         string    `json:"status_to,omitempty"`
	Body             string    `json:"body,omitempty"`
	VisibleToCitizen bool      `json:"visible_to_citizen"`
	Actor            string    `json:"actor"`
	Ref              string    `json:"ref,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
}

func entryToJSON(e intake.Entry) entryJSON {
	return entryJSON{ID: e.ID, Kind: e.Kind, StatusFrom: string(e.StatusFrom), StatusTo: string(e.StatusTo), Body: e.Body,
		VisibleToCitizen: e.VisibleToCitizen, Actor: e.Actor, Ref: e.Ref, CreatedAt: e.CreatedAt}
}
