package booking

import (
	"context"
	"net/http"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// Wrap decorates the routes that create or act, so a retried request with
// the same Idempotency-Key gets the first answer. Nil leaves them as they are.
type Wrap func(http.Handler) http.Handler

func registerAppointments(mux *http.ServeMux, s booking.Service, idempotent Wrap) {
	if idempotent == nil {
		idempotent = func(h http.Handler) http.Handler { return h }
	}
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	act := func(f func(context.Context, booking.StatusRequest) (booking.Appointment, error)) http.Handler {
		return idempotent(kithttp.NewServer(httpkit.Unary(f), decodeStatusRequest, encodeAppointment(http.StatusOK), opts...))
	}
	mux.Handle("POST /v1/availability/holds", idempotent(kithttp.NewServer(httpkit.Unary(s.PlaceHold), decodeHold,
		httpkit.Encode(http.StatusCreated, holdToJSON), opts...)))
	mux.Handle("POST /v1/appointments", idempotent(kithttp.NewServer(httpkit.Unary(s.Book), decodeBook,
		encodeAppointment(http.StatusCreated), opts...)))
	mux.Handle("GET /v1/appointments", kithttp.NewServer(httpkit.Unary(s.ListAppointments), decodeAppointmentFilter,
		httpkit.Encode(http.StatusOK, func(p booking.AppointmentPage) any {
			return httpkit.List[appointmentJSON]{Items: httpkit.Map(p.Appointments, appointmentToJSON), NextCursor: p.NextCursor}
		}), opts...))
	mux.Handle("GET /v1/appointments/{id}", kithttp.NewServer(httpkit.Unary(s.GetAppointment), decodePathIDOnly,
		encodeAppointment(http.StatusOK), opts...))
	mux.Handle("GET /v1/appointments/{id}/ical", kithttp.NewServer(httpkit.Unary(s.AppointmentCalendar), decodePathIDOnly,
		func(ctx context.Context, w http.ResponseWriter, response any) error {
			r := response.(httpkit.Result[[]byte])
			if r.Err != nil {
				httpkit.WriteError(ctx, w, r.Err)
				return nil
			}
			w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="appointment.ics"`)
			_, err := w.Write(r.Value)
			return err
		}, opts...))
	mux.Handle("POST /v1/appointments/{id}/reschedule", idempotent(kithttp.NewServer(httpkit.Unary(s.Reschedule), decodeReschedule,
		encodeAppointment(http.StatusOK), opts...)))
	mux.Handle("POST /v1/appointments/{id}/cancel", idempotent(kithttp.NewServer(httpkit.Unary(s.Cancel), decodeCancel,
		encodeAppointment(http.StatusOK), opts...)))
	mux.Handle("POST /v1/appointments/{id}/arrive", act(s.MarkArrived))
	mux.Handle("POST /v1/appointments/{id}/complete", act(s.MarkFulfilled))
	mux.Handle("POST /v1/appointments/{id}/no-show", act(s.MarkNoShow))
}

// encodeAppointment writes the appointment with its ETag.
func encodeAppointment(status int) kithttp.EncodeResponseFunc {
	return func(ctx context.Context, w http.ResponseWriter, response any) error {
		r := response.(httpkit.Result[booking.Appointment])
		if r.Err != nil {
			httpkit.WriteError(ctx, w, r.Err)
			return nil
		}
		w.Header().Set("ETag", r.Value.ETag())
		if status == http.StatusCreated {
			w.Header().Set("Location", "/v1/appointments/"+r.Value.ID)
		}
		return httpkit.WriteJSON(w, status, appointmentToJSON(r.Value))
	}
}

type phoneJSON struct {
	Number    string `json:"number"`
	Direction string `json:"direction"`
}

type appointmentJSON struct {
	ID                  string      `json:"id"`
	AgencyID            string      `json:"agency_id"`
	MeetingTypeID       string      `json:"meeting_type_id"`
	StaffID             string      `json:"staff_id"`
	CitizenID           string      `json:"citizen_id"`
	CaseID              *string     `json:"case_id"`
	Mode                string      `json:"mode"`
	Status              string      `json:"status"`
	Start               string      `json:"start"`
	End                 string      `json:"end"`
	OfficeID            *string     `json:"office_id"`
	Office              *officeJSON `json:"office,omitempty"`
	Room                string      `json:"room,omitempty"`
	Phone               *phoneJSON  `json:"phone,omitempty"`
	VideoURL            string      `json:"video_url,omitempty"`
	Notes               string      `json:"notes"`
	InterpreterLanguage string      `json:"interpreter_language"`
	Accessibility       []string    `json:"accessibility"`
	AccessibilityOther  string      `json:"accessibility_other"`
	CancelReason        string      `json:"cancel_reason,omitempty"`
	Sequence            int         `json:"sequence"`
	Version             int         `json:"version"`
	CreatedAt           time.Time   `json:"created_at"`
	UpdatedAt           time.Time   `json:"updated_at"`
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func appointmentToJSON(a booking.Appointment) appointmentJSON {
	j := appointmentJSON{ID: a.ID, AgencyID: a.AgencyID, MeetingTypeID: a.MeetingTypeID, StaffID: a.StaffID, CitizenID: a.CitizenID,
		CaseID: optionalString(a.CaseID), Mode: string(a.Mode), Status: string(a.Status),
		Start: a.Start.Format(time.RFC3339), End: a.End.Format(time.RFC3339), OfficeID: optionalString(a.OfficeID), Room: a.Room,
		VideoURL: a.VideoURL, Notes: a.Notes, InterpreterLanguage: a.InterpreterLanguage, Accessibility: []string{},
		AccessibilityOther: a.AccessibilityOther, CancelReason: a.CancelReason, Sequence: a.Sequence, Version: a.Version,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if a.Office != nil {
		o := officeToJSON(*a.Office)
		j.Office = &o
	}
	if a.Mode == booking.Phone {
		j.Phone = &phoneJSON{Number: a.PhoneNumber, Direction: string(a.PhoneDirection)}
	}
	for _, x := range a.Accessibility {
		j.Accessibility = append(j.Accessibility, string(x))
	}
	return j
}

func holdToJSON(h booking.Hold) any {
	return map[string]any{"id": h.ID, "meeting_type_id": h.MeetingTypeID, "mode": h.Mode, "office_id": optionalString(h.OfficeID),
		"start": h.Start.Format(time.RFC3339), "end": h.End.Format(time.RFC3339), "expires_at": h.ExpiresAt.Format(time.RFC3339)}
}

func parseTime(v *core.Validator, field, s string, required bool) time.Time {
	if s == "" {
		v.Check(!required, field, "is required: an RFC 3339 time with offset, such as 2026-12-01T09:00:00+01:00")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	v.Check(err == nil, field, "must be an RFC 3339 time with offset, such as 2026-12-01T09:00:00+01:00")
	return t
}

func decodeHold(_ context.Context, r *http.Request) (any, error) {
	var in struct {
		MeetingTypeID string `json:"meeting_type_id"`
		Mode          string `json:"mode"`
		Start         string `json:"start"`
		OfficeID      string `json:"office_id"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	var v core.Validator
	req := booking.HoldRequest{MeetingTypeID: in.MeetingTypeID, Mode: booking.Mode(in.Mode), OfficeID: in.OfficeID,
		Start: parseTime(&v, "start", in.Start, true)}
	return req, v.Err()
}

type citizenRefJSON struct {
	ID                     string `json:"id"`
	PersonalIdentityNumber string `json:"personal_identity_number"`
	Email                  string `json:"email"`
	Phone                  string `json:"phone"`
	Name                   string `json:"name"`
}

type bookInput struct {
	MeetingTypeID       string          `json:"meeting_type_id"`
	Mode                string          `json:"mode"`
	Start               string          `json:"start"`
	HoldID              string          `json:"hold_id"`
	OfficeID            string          `json:"office_id"`
	StaffID             string          `json:"staff_id"`
	CaseID              string          `json:"case_id"`
	Citizen             *citizenRefJSON `json:"citizen"`
	Notes               string          `json:"notes"`
	InterpreterLanguage string          `json:"interpreter_language"`
	Accessibility       []string        `json:"accessibility"`
	AccessibilityOther  string          `json:"accessibility_other"`
	Phone               *phoneJSON      `json:"phone"`
	Room                string          `json:"room"`
}

func decodeBook(_ context.Context, r *http.Request) (any, error) {
	var in bookInput
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	var v core.Validator
	req := booking.BookRequest{MeetingTypeID: in.MeetingTypeID, Mode: booking.Mode(in.Mode), Start: parseTime(&v, "start", in.Start, true),
		HoldID: in.HoldID, OfficeID: in.OfficeID, StaffID: in.StaffID, CaseID: in.CaseID, Notes: in.Notes,
		InterpreterLanguage: in.InterpreterLanguage, AccessibilityOther: in.AccessibilityOther, Room: in.Room}
	if in.Citizen != nil {
		req.Citizen = booking.CitizenRef(*in.Citizen)
	}
	if in.Phone != nil {
		req.PhoneNumber, req.PhoneDirection = in.Phone.Number, booking.PhoneDirection(in.Phone.Direction)
	}
	for _, a := range in.Accessibility {
		req.Accessibility = append(req.Accessibility, booking.Accessibility(a))
	}
	return req, v.Err()
}

func decodePathIDOnly(_ context.Context, r *http.Request) (any, error) {
	return httpkit.PathID(r, "id")
}

func decodeReschedule(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Start   string `json:"start"`
		StaffID string `json:"staff_id"`
		Reason  string `json:"reason"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	var v core.Validator
	req := booking.RescheduleRequest{ID: id, Start: parseTime(&v, "start", in.Start, true), StaffID: in.StaffID, Reason: in.Reason,
		IfMatch: r.Header.Get("If-Match")}
	return req, v.Err()
}

func decodeCancel(_ context.Context, r *http.Request) (any, error) {
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
	return booking.CancelRequest{ID: id, Reason: in.Reason, IfMatch: r.Header.Get("If-Match")}, nil
}

func decodeStatusRequest(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return booking.StatusRequest{ID: id, IfMatch: r.Header.Get("If-Match")}, nil
}

func decodeAppointmentFilter(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	limit, cursor, err := httpkit.PageParams(r)
	if err != nil {
		return nil, err
	}
	var v core.Validator
	f := booking.AppointmentFilter{AgencyID: q.Get("agency_id"), StaffID: q.Get("staff_id"), OfficeID: q.Get("office_id"),
		Status: booking.Status(q.Get("status")), Limit: limit, Cursor: cursor,
		From: parseTime(&v, "from", q.Get("from"), false), To: parseTime(&v, "to", q.Get("to"), false)}
	if day := q.Get("date"); day != "" {
		// A day view: the agency's local day (from and to, when given, win).
		d, err := availability.ParseDate(day)
		v.Check(err == nil, "date", "must be a date such as 2026-12-01")
		if f.From.IsZero() && f.To.IsZero() {
			f.Day = d
		}
	}
	return f, v.Err()
}
