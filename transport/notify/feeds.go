package notify

import (
	"context"
	"net/http"
	"strings"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// RegisterFeedRoutes lists the routes of calendar feeds and of the message
// store's administration.
func RegisterFeedRoutes(mux *http.ServeMux, feeds notify.Feeds, admin notify.Admin, baseURL string) {
	opts := httpkit.ServerOptions(kithttp.ServerAfter(httpkit.NoStore))
	none := func(struct{}) any { return nil }
	feedJSON := func(t notify.FeedToken) map[string]any {
		return map[string]any{"id": t.ID, "created_at": t.CreatedAt, "revoked_at": t.RevokedAt}
	}

	// The token in the path is the credential: calendar apps cannot send
	// headers. It is random, revocable and stored only as a hash.
	mux.Handle("GET /v1/feeds/{token}", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, token string) ([]byte, error) { return feeds.Calendar(ctx, token) }),
		func(_ context.Context, r *http.Request) (any, error) {
			return strings.TrimSuffix(r.PathValue("token"), ".ics"), nil
		},
		func(ctx context.Context, w http.ResponseWriter, response any) error {
			res := response.(httpkit.Result[[]byte])
			if res.Err != nil {
				httpkit.WriteError(ctx, w, res.Err)
				return nil
			}
			w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
			w.Header().Set("Cache-Control", "private, max-age=300")
			_, err := w.Write(res.Value)
			return err
		}, httpkit.ServerOptions()...))
	mux.Handle("POST /v1/me/feeds", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, _ struct{}) (createdFeed, error) {
			t, token, err := feeds.CreateToken(ctx)
			return createdFeed{t, token}, err
		}),
		func(context.Context, *http.Request) (any, error) { return struct{}{}, nil },
		httpkit.Encode(http.StatusCreated, func(c createdFeed) any {
			out := feedJSON(c.FeedToken)
			out["url"] = strings.TrimSuffix(baseURL, "/") + "/v1/feeds/" + c.token + ".ics"
			return out
		}), opts...))
	mux.Handle("GET /v1/me/feeds", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, _ struct{}) ([]notify.FeedToken, error) { return feeds.ListTokens(ctx) }),
		func(context.Context, *http.Request) (any, error) { return struct{}{}, nil },
		httpkit.Encode(http.StatusOK, func(l []notify.FeedToken) any {
			items := make([]map[string]any, len(l))
			for i, t := range l {
				items[i] = feedJSON(t)
			}
			return map[string]any{"items": items}
		}), opts...))
	mux.Handle("POST /v1/me/feeds/{id}/revoke", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, id string) (struct{}, error) { return struct{}{}, feeds.RevokeToken(ctx, id) }),
		func(_ context.Context, r *http.Request) (any, error) { return httpkit.PathID(r, "id") },
		httpkit.Encode(http.StatusNoContent, none), opts...))

	mux.Handle("GET /v1/messages", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, q messageQuery) ([]notify.StoredMessage, error) {
			return admin.Messages(ctx, q.agency, q.status, q.limit)
		}), decodeMessageQuery,
		httpkit.Encode(http.StatusOK, func(l []notify.StoredMessage) any {
			items := make([]messageJSON, len(l))
			for i, m := range l {
				items[i] = messageJSON{ID: m.ID, Channel: m.Channel, Recipient: m.Recipient, MessageID: m.MessageID, Subject: m.Subject,
					Status: m.Status, Attempts: m.Attempts, NextAttemptAt: m.NextAttemptAt, LastError: m.LastError,
					CreatedAt: m.CreatedAt, SentAt: m.SentAt}
			}
			return map[string]any{"items": items}
		}), opts...))
	mux.Handle("POST /v1/messages/{id}/retry", kithttp.NewServer(
		httpkit.Unary(func(ctx context.Context, id string) (struct{}, error) { return struct{}{}, admin.Retry(ctx, id) }),
		func(_ context.Context, r *http.Request) (any, error) { return httpkit.PathID(r, "id") },
		httpkit.Encode(http.StatusNoContent, none), opts...))
}

type createdFeed struct {
	notify.FeedToken
	token string
}

type messageQuery struct {
	agency, status string
	limit          int
}

func decodeMessageQuery(_ context.Context, r *http.Request) (any, error) {
	q, err := httpkit.Query(r)
	if err != nil {
		return nil, err
	}
	limit, _, err := httpkit.PageParams(r)
	if err != nil {
		return nil, err
	}
	agency := q.Get("agency_id")
	if agency == "" {
		if p, ok := core.PrincipalFrom(r.Context()); ok {
			agency = p.AgencyID
		}
	}
	return messageQuery{agency: agency, status: q.Get("status"), limit: limit}, nil
}

type messageJSON struct {
	ID            string     `json:"id"`
	Channel       string     `json:"channel"`
	Recipient     string     `json:"recipient"`
	MessageID     string     `json:"message_id"`
	Subject       string     `json:"subject"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at"`
}
