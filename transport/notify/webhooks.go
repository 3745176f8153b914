package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// RegisterWebhookRoutes lists every route of webhook administration. All of
// them answer no-store: one carries a signing secret, all describe an
// agency's integrations.
func RegisterWebhookRoutes(mux *http.ServeMux, s notify.WebhookService) {
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))

	mux.Handle("POST /v1/webhooks", kithttp.NewServer(httpkit.Unary(s.CreateWebhook), decodeNewWebhook,
		httpkit.Encode(http.StatusCreated, func(w notify.Webhook) any { return webhookToJSON(w) }), opts...))
	mux.Handle("GET /v1/webhooks", kithttp.NewServer(httpkit.Unary(s.ListWebhooks), decodeWebhookAgency,
		httpkit.Encode(http.StatusOK, func(ws []notify.Webhook) any {
			out := webhookListJSON{Items: make([]webhookJSON, len(ws))}
			for i, w := range ws {
				out.Items[i] = webhookToJSON(w)
			}
			return out
		}), opts...))
	mux.Handle("POST /v1/webhooks/{id}/disable", kithttp.NewServer(httpkit.Unary(s.DisableWebhook), decodeWebhookID,
		httpkit.Encode(http.StatusOK, func(w notify.Webhook) any { return webhookToJSON(w) }), opts...))
	mux.Handle("GET /v1/webhooks/{id}/deliveries", kithttp.NewServer(httpkit.Unary(s.ListDeliveries), decodeDeliveryFilter,
		httpkit.Encode(http.StatusOK, func(p notify.DeliveryPage) any {
			out := deliveryListJSON{Items: make([]deliveryJSON, len(p.Deliveries)), NextCursor: p.NextCursor}
			for i, d := range p.Deliveries {
				out.Items[i] = deliveryToJSON(d)
			}
			return out
		}), opts...))
	mux.Handle("POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, ids [2]string) (notify.Delivery, error) {
			return s.Redeliver(ctx, ids[0], ids[1])
		}),
		decodeDeliveryID, httpkit.Encode(http.StatusOK, func(d notify.Delivery) any { return deliveryToJSON(d) }), opts...))
}

func decodeNewWebhook(_ context.Context, r *http.Request) (any, error) {
	var in struct {
		AgencyID   string   `json:"agency_id"`
		URL        string   `json:"url"`
		EventTypes []string `json:"event_types"`
	}
	if err := httpkit.DecodeJSONBody(r, &in); err != nil {
		return nil, err
	}
	return notify.NewWebhook{AgencyID: in.AgencyID, URL: in.URL, EventTypes: in.EventTypes}, nil
}

func decodeWebhookAgency(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	return q.Get("agency_id"), nil
}

func decodeWebhookID(_ context.Context, r *http.Request) (any, error) { return httpkit.PathID(r, "id") }

func decodeDeliveryID(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	delivery, err := httpkit.PathID(r, "delivery_id")
	if err != nil {
		return nil, err
	}
	return [2]string{id, delivery}, nil
}

func decodeDeliveryFilter(_ context.Context, r *http.Request) (any, error) {
	id, err := httpkit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	limit, cursor, err := httpkit.PageParams(r)
	if err != nil {
		return nil, err
	}
	return notify.DeliveryFilter{WebhookID: id, Status: notify.DeliveryStatus(q.Get("status")), Limit: limit, Cursor: cursor}, nil
}

// ---- JSON ----

type webhookJSON struct {
	ID         string     `json:"id"`
	AgencyID   string     `json:"agency_id"`
	URL        string     `json:"url"`
	EventTypes []string   `json:"event_types"`
	Secret     string     `json:"secret,omitempty"` // only in the answer to the create
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at"`
}

func webhookToJSON(w notify.Webhook) webhookJSON {
	types := w.EventTypes
	if types == nil {
		types = []string{}
	}
	return webhookJSON{ID: w.ID, AgencyID: w.AgencyID, URL: w.URL, EventTypes: types, Secret: w.Secret,
		CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt, DisabledAt: w.DisabledAt}
}

type webhookListJSON struct {
	Items []webhookJSON `json:"items"`
}

type deliveryJSON struct {
	ID            string          `json:"id"`
	WebhookID     string          `json:"webhook_id"`
	EventID       string          `json:"event_id"`
	EventType     string          `json:"event_type"`
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"` // only while pending
	LastStatus    *int            `json:"last_status"`     // the receiver's HTTP status; null before any answer
	LastError     string          `json:"last_error,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
	Payload       json.RawMessage `json:"payload"`
}

func deliveryToJSON(d notify.Delivery) deliveryJSON {
	j := deliveryJSON{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, Status: string(d.Status),
		Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt, Payload: d.Payload}
	if d.Status == notify.DeliveryPending {
		next := d.NextAttemptAt
		j.NextAttemptAt = &next
	}
	if d.LastStatus != 0 {
		status := d.LastStatus
		j.LastStatus = &status
	}
	if !json.Valid(j.Payload) {
		j.Payload = json.RawMessage("null")
	}
	return j
}

type deliveryListJSON struct {
	Items      []deliveryJSON `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}
