package notify

import (
	"context"
	"net/http"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// RegisterConsumerRoutes lists the routes of the event consumers' dead
// events, for system administrators.
func RegisterConsumerRoutes(mux *http.ServeMux, admin notify.ConsumerAdmin) {
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	mux.Handle("GET /v1/consumers/dead-events", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, q deadEventQuery) ([]notify.DeadEvent, error) {
			return admin.DeadEvents(ctx, q.consumer, q.limit)
		}), decodeDeadEventQuery,
		httpkit.Encode(http.StatusOK, func(l []notify.DeadEvent) any {
			items := make([]deadEventJSON, len(l))
			for i, e := range l {
				items[i] = newDeadEventJSON(e)
			}
			return map[string]any{"items": items}
		}), opts...))
	// Accepted, not done: the consumer applies the event at its next poll.
	mux.Handle("POST /v1/consumers/dead-events/{consumer}/{event_id}/retry", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, k deadEventKey) (notify.DeadEvent, error) {
			return admin.RetryDeadEvent(ctx, k.consumer, k.eventID)
		}),
		func(_ context.Context, r *http.Request) (any, error) {
			return deadEventKey{consumer: r.PathValue("consumer"), eventID: r.PathValue("event_id")}, nil
		},
		httpkit.Encode(http.StatusAccepted, func(e notify.DeadEvent) any { return newDeadEventJSON(e) }), opts...))
}

type deadEventQuery struct {
	consumer string
	limit    int
}

func decodeDeadEventQuery(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	limit, _, err := httpkit.PageParams(r)
	if err != nil {
		return nil, err
	}
	return deadEventQuery{consumer: q.Get("consumer"), limit: limit}, nil
}

type deadEventKey struct{ consumer, eventID string }

// deadEventJSON names the event, never its payload: that holds personal data.
type deadEventJSON struct {
	Consumer         string     `json:"consumer"`
	EventID          string     `json:"event_id"`
	Seq              int64      `json:"seq"`
	Type             string     `json:"type"`
	Attempts         int        `json:"attempts"`
	LastError        string     `json:"last_error"`
	FailedAt         time.Time  `json:"failed_at"`
	ParkedAt         time.Time  `json:"parked_at"`
	RetryRequestedAt *time.Time `json:"retry_requested_at"`
}

func newDeadEventJSON(e notify.DeadEvent) deadEventJSON {
	return deadEventJSON{Consumer: e.Consumer, EventID: e.EventID, Seq: e.Seq, Type: e.Type, Attempts: e.Attempts,
		LastError: e.LastError, FailedAt: e.FailedAt, ParkedAt: e.ParkedAt, RetryRequestedAt: e.RetryRequestedAt}
}
