package notify

import (
	"context"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
)

// WebhookMiddleware decorates a WebhookService with a cross-cutting concern.
type WebhookMiddleware func(WebhookService) WebhookService

// WebhookLoggingMiddleware logs each failed call with its duration and
// error: ids only, never URLs (they may carry tokens) or payloads.
func WebhookLoggingMiddleware(logger log.Logger) WebhookMiddleware {
	return func(next WebhookService) WebhookService {
		return &webhookObserver{next: next, observe: func(method string, begin time.Time, err error) {
			if err != nil {
				_ = logger.Log("service", "notify", "method", method, "took", time.Since(begin), "err", err)
			}
		}}
	}
}

// WebhookInstrumentingMiddleware counts calls and measures their duration
// per method and outcome.
func WebhookInstrumentingMiddleware(calls metrics.Counter, duration metrics.Histogram) WebhookMiddleware {
	return func(next WebhookService) WebhookService {
		return &webhookObserver{next: next, observe: func(method string, begin time.Time, err error) {
			outcome := "ok"
			if err != nil {
				outcome = "error"
			}
			lvs := []string{"service", "notify", "method", method, "outcome", outcome}
			calls.With(lvs...).Add(1)
			duration.With(lvs...).Observe(time.Since(begin).Seconds())
		}}
	}
}

// webhookObserver reports every call of next to observe; both middlewares
// are one of these with a different observe.
type webhookObserver struct {
	next    WebhookService
	observe func(method string, begin time.Time, err error)
}

func (s *webhookObserver) CreateWebhook(ctx context.Context, req NewWebhook) (w Webhook, err error) {
	defer func(begin time.Time) { s.observe("CreateWebhook", begin, err) }(time.Now())
	return s.next.CreateWebhook(ctx, req)
}

func (s *webhookObserver) ListWebhooks(ctx context.Context, agencyID string) (ws []Webhook, err error) {
	defer func(begin time.Time) { s.observe("ListWebhooks", begin, err) }(time.Now())
	return s.next.ListWebhooks(ctx, agencyID)
}

func (s *webhookObserver) DisableWebhook(ctx context.Context, id string) (w Webhook, err error) {
	defer func(begin time.Time) { s.observe("DisableWebhook", begin, err) }(time.Now())
	return s.next.DisableWebhook(ctx, id)
}

func (s *webhookObserver) ListDeliveries(ctx context.Context, f DeliveryFilter) (p DeliveryPage, err error) {
	defer func(begin time.Time) { s.observe("ListDeliveries", begin, err) }(time.Now())
	return s.next.ListDeliveries(ctx, f)
}

func (s *webhookObserver) Redeliver(ctx context.Context, webhookID, deliveryID string) (d Delivery, err error) {
	defer func(begin time.Time) { s.observe("Redeliver", begin, err) }(time.Now())
	return s.next.Redeliver(ctx, webhookID, deliveryID)
}

func (s *webhookObserver) Enqueue(ctx context.Context, agencyID, eventID, eventType string, payload []byte) (err error) {
	defer func(begin time.Time) { s.observe("Enqueue", begin, err) }(time.Now())
	return s.next.Enqueue(ctx, agencyID, eventID, eventType, payload)
}
