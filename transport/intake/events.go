package intake

import (
	"context"
	"net/http"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/intake"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// registerEvents serves intake's outbox to the consumers of the other
// services (notify, webhooks) when they run in other processes. Only a
// service principal holding events:read reaches it.
func registerEvents(mux *http.ServeMux, s intake.Service) {
	mux.Handle("GET /v1/events/intake", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, q httpkit.EventsQuery) ([]intake.Event, error) {
			if _, err := core.AuthorizeService(ctx, core.ScopeEventsRead); err != nil {
				return nil, err
			}
			return s.Events(ctx, q.After, q.Limit)
		}), httpkit.DecodeEventsQuery,
		httpkit.Encode(http.StatusOK, func(evs []intake.Event) any {
			return httpkit.List[httpkit.EventJSON]{Items: httpkit.Map(evs, func(e intake.Event) httpkit.EventJSON {
				return httpkit.NewEventJSON(e.Seq, e.ID, e.Type, e.AggregateID, e.AgencyID, e.Payload, e.OccurredAt)
			})}
		}), httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))...))
}

// EventsClient reads intake's outbox at baseURL over HTTP; httpClient
// carries this process's service token.
func EventsClient(baseURL string, httpClient *http.Client) (func(ctx context.Context, after int64, limit int) ([]httpkit.EventJSON, error), error) {
	base, err := httpkit.ServiceBaseURL("intake", baseURL)
	if err != nil {
		return nil, err
	}
	return httpkit.EventsClient(base, httpClient, "/v1/events/intake"), nil
}
