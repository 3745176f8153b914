package httpkit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tidbok/tidbok/core"
)

// EventJSON is one event of a service's outbox as GET /v1/events/{service}
// serves it to the other services' consumers.
type EventJSON struct {
	Seq         int64           `json:"seq"`
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	AggregateID string          `json:"aggregate_id,omitempty"`
	AgencyID    string          `json:"agency_id,omitempty"`
	Payload     json.RawMessage `json:"payload"`
	OccurredAt  time.Time       `json:"occurred_at"`
}

// NewEventJSON is an outbox event as the events routes serve it.
func NewEventJSON(seq int64, id, typ, aggregateID, agencyID string, payload []byte, at time.Time) EventJSON {
	if len(payload) == 0 {
		payload = []byte("null")
	}
	return EventJSON{Seq: seq, ID: id, Type: typ, AggregateID: aggregateID, AgencyID: agencyID, Payload: payload, OccurredAt: at.UTC()}
}

// EventsQuery is where a consumer is: events after After, at most Limit.
type EventsQuery struct {
	After int64
	Limit int
}

// MaxEventsPage is the most events one request returns.
const MaxEventsPage = 1000

// DecodeEventsQuery reads ?after=&limit= of an events route.
func DecodeEventsQuery(_ context.Context, r *http.Request) (any, error) {
	q, err := Query(r)
	if err != nil {
		return nil, err
	}
	var v core.Validator
	var eq EventsQuery
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		v.Check(err == nil && n >= 0, "after", "must be a sequence number, 0 or more")
		eq.After = n
	}
	eq.Limit = 500
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		v.Check(err == nil && n >= 1 && n <= MaxEventsPage, "limit", "must be between 1 and 1000")
		eq.Limit = n
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return eq, nil
}

// EventsClient reads the outbox of the service at base over path (for
// example /v1/events/booking), as a go-kit client endpoint.
func EventsClient(base *url.URL, httpClient *http.Client, path string) func(ctx context.Context, after int64, limit int) ([]EventJSON, error) {
	e := JSONEndpoint[List[EventJSON]](http.MethodGet, base, httpClient)
	return func(ctx context.Context, after int64, limit int) ([]EventJSON, error) {
		q := url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {strconv.Itoa(min(max(limit, 1), MaxEventsPage))}}
		page, err := Do[List[EventJSON]](ctx, e, Call{Path: path, Query: q})
		return page.Items, err
	}
}
