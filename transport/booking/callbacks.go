package booking

import (
	"context"
	"net/http"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

func registerCallbacks(mux *http.ServeMux, s booking.Service, idempotent Wrap) {
	if idempotent == nil {
		idempotent = func(h http.Handler) http.Handler { return h }
	}
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	one := func(status int) kithttp.EncodeResponseFunc {
		return httpkit.Encode(status, func(c booking.Callback) any { return callbackToJSON(c) })
	}
	action := func(f func(context.Context, booking.CallbackAction) (booking.Callback, error)) http.Handler {
		return idempotent(kithttp.NewServer(httpkit.Unary(f), decodeCallbackAction, one(http.StatusOK), opts...))
	}
	mux.Handle("POST /v1/callbacks", idempotent(kithttp.NewServer(httpkit.Unary(s.RequestCallback), decodeCallbackRequest,
		one(http.StatusCreated), opts...)))
	mux.Handle("GET /v1/callbacks", kithttp.NewServer(httpkit.Unary(s.ListCallbacks), decodeCallbackFilter,
		httpkit.Encode(http.StatusOK, func(l []booking.Callback) any {
			return httpkit.List[callbackJSON]{Items: httpkit.Map(l, callbackToJSON)}
		}), opts...))
	// A retried claim-next must not claim a second request.
	mux.Handle("POST /v1/callbacks/claim-next", idempotent(kithttp.NewServer(httpkit.Unary(s.ClaimNextCallback), decodeClaimNext,
		one(http.StatusOK), opts...)))
	mux.Handle("POST /v1/callbacks/{id}/claim", action(s.ClaimCallback))
	mux.Handle("POST /v1/callbacks/{id}/complete", action(s.CompleteCallback))
	mux.Handle("POST /v1/callbacks/{id}/no-answer", action(s.NoAnswerCallback))
	mux.Handle("POST /v1/callbacks/{id}/withdraw", action(s.WithdrawCallback))
}

type callbackJSON struct {
	ID            string  `json:"id"`
	AgencyID      string  `json:"agency_id"`
	MeetingTypeID *string `json:"meeting_type_id"`
	Topic         string  `json:"topic"`
	CitizenID     string  `json:"citizen_id"`
	Phone         string  `json:"phone"`
	Earliest      string  `json:"earliest"`
	Latest        string  `json:"latest"`
	CaseID        *string `json:"case_id"`
	Language      string  `json:"language"`
	Status        string  `json:"status"`
	Attempts      int     `json:"attempts"`
	ClaimedBy     *string `json:"claimed_by"`
	Position      int     `json:"queue_position,omitempty"`
	EstimatedAt   *string `json:"estimated_call_at,omitempty"`
	CreatedAt     string  `json:"created_at"`
}

func callbackToJSON(c booking.Callback) callbackJSON {
	j := callbackJSON{ID: c.ID, AgencyID: c.AgencyID, MeetingTypeID: optionalString(c.MeetingTypeID), Topic: c.Topic,
		CitizenID: c.CitizenID, Phone: c.PhoneNumber, Earliest: c.Earliest.Format(time.RFC3339), Latest: c.Latest.Format(time.RFC3339),
		CaseID: optionalString(c.CaseID), Language: c.Language, Status: string(c.Status), Attempts: c.Attempts,
		ClaimedBy: optionalString(c.ClaimedBy), Position: c.Position, CreatedAt: c.CreatedAt.Format(time.RFC3339)}
	if c.EstimatedAt != nil {
		s := c.EstimatedAt.Format(time.RFC3339)
		j.EstimatedAt = &s
	}
	return j
}

func decodeCallbackRequest(ctx context.Context, r *http.Request) (any, error) {
	var in struct {
		AgencyID      string          `json:"agency_id"`
		MeetingTypeID string          `json:"meeting_type_id"`
		Topic         string          `json:"topic"`
		Phone         string          `json:"phone"`
		Earliest      string          `json:"earliest"`
		Latest        string          `json:"latest"`
		CaseID        string          `json:"case_id"`
		Language      string          `json:"language"`
		Citizen       *citizenRefJSON `json:"citizen"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	var v core.Validator
	req := booking.CallbackRequest{AgencyID: in.AgencyID, MeetingTypeID: in.MeetingTypeID, Topic: in.Topic, Phone: in.Phone,
		Earliest: parseTime(&v, "earliest", in.Earliest, true), Latest: parseTime(&v, "latest", in.Latest, true),
		CaseID: in.CaseID, Language: in.Language}
	// Accept-Language chooses only when sent: without it LanguageFrom says
	// "en", and the service knows better (the citizen's, the agency's).
	if req.Language == "" && r.Header.Get("Accept-Language") != "" {
		req.Language = httpkit.LanguageFrom(ctx)
	}
	if in.Citizen != nil {
		req.Citizen = booking.CitizenRef(*in.Citizen)
	}
	return req, v.Err()
}

func decodeCallbackFilter(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	limit, _, err := httpkit.PageParams(r)
	if err != nil {
		return nil, err
	}
	return booking.CallbackFilter{AgencyID: q.Get("agency_id"), Status: booking.CallbackStatus(q.Get("status")), Limit: limit}, nil
}

func decodeClaimNext(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	return q.Get("agency_id"), nil
}

func decodeCallbackAction(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := httpkit.DecodeJSONBody(r, &in); err != nil {
			return nil, err
		}
	}
	return booking.CallbackAction{ID: id, Note: in.Note}, nil
}
