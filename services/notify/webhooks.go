package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
)

// Webhooks tell agency systems what happened, as signed HTTP POSTs (Standard
// Webhooks, https://www.standardwebhooks.com). This file holds the
// subscriptions and their delivery log; webhooks_dispatch.go sends them with
// retries, webhooks_url.go decides where they may go, and the HTTP sender
// lives in services/notify/webhookhttp.

// WebhookEventTypes are the event types an agency system can subscribe to.
// Other events never leave Tidbok as webhooks, not even to "*": a new internal
// event type must be added here, deliberately, to be published.
var WebhookEventTypes = []string{
	"appointment.booked", "appointment.rescheduled", "appointment.cancelled", "appointment.arrived",
	"appointment.fulfilled", "appointment.noshow",
	"callback.requested", "callback.claimed", "callback.completed", "callback.no_answer",
	"callback.unreachable", "callback.withdrawn",
	"case.submitted", "case.status_changed", "case.assigned", "case.message_to_citizen",
	"case.message_from_citizen", "case.withdrawn", "case.appointment",
}

// WebhookAllEvents subscribes a webhook to every type in WebhookEventTypes.
const WebhookAllEvents = "*"

// MaxActiveWebhooks bounds an agency's active webhooks: each one multiplies
// every event into a delivery, so the bound keeps one agency from flooding
// the dispatcher.
const MaxActiveWebhooks = 25

// Webhook is an agency's subscription: where to POST which events.
type Webhook struct {
	ID         string
	AgencyID   string
	URL        string
	EventTypes []string // sorted known types, or just WebhookAllEvents
	// Secret signs every delivery: "whsec_" + base64 of random bytes. The
	// service hands it out once, from CreateWebhook; lists leave it empty.
	Secret     string
	CreatedBy  string // "staff:<id>" or "client:<id>"
	CreatedAt  time.Time
	DisabledAt *time.Time
}

// Active reports whether w still receives deliveries.
func (w Webhook) Active() bool { return w.DisabledAt == nil }

// Subscribes reports whether w wants events of eventType.
func (w Webhook) Subscribes(eventType string) bool {
	if !slices.Contains(WebhookEventTypes, eventType) {
		return false
	}
	return slices.Contains(w.EventTypes, WebhookAllEvents) || slices.Contains(w.EventTypes, eventType)
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending"   // waiting for its next attempt
	DeliveryDelivered DeliveryStatus = "delivered" // the receiver answered 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // retries ran out: a dead letter an admin can redeliver
)

// Delivery is one event on its way to one webhook, and its log: how often it
// was tried and what the receiver last answered.
type Delivery struct {
	ID            string
	WebhookID     string
	EventID       string // sent as webhook-id, the same on every attempt, so receivers can drop repeats
	EventType     string
	Payload       []byte // JSON, sent as "data"
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int // the receiver's last HTTP status; 0 when no answer came
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   *time.Time
}

// WebhookRetryWindow is how long a delivery is retried, counted from its
// creation (its first attempt follows within the dispatcher's interval).
const WebhookRetryWindow = 24 * time.Hour

// webhookRetryDelays is the wait after the nth failed attempt; the last
// entry repeats until WebhookRetryWindow is over.
var webhookRetryDelays = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour,
}

// WebhookRetryDelay is the wait, before jitter, after a delivery's attempts-th
// failed attempt.
func WebhookRetryDelay(attempts int) time.Duration {
	return webhookRetryDelays[min(max(attempts, 1), len(webhookRetryDelays))-1]
}

// afterAttempt returns d as it stands after an attempt at now: delivered when
// sendErr is nil, otherwise pending again after delay, or failed once the
// retry window is over. The last retry lands on the window's end, so a
// receiver that is back within 24 h always gets the delivery.
func (d Delivery) afterAttempt(now time.Time, status int, sendErr error, delay time.Duration) Delivery {
	d.LastStatus = status
	if sendErr == nil {
		d.Status, d.LastError, d.DeliveredAt = DeliveryDelivered, "", &now
		return d
	}
	d.LastError = trimWebhookError(sendErr.Error())
	deadline := d.CreatedAt.Add(WebhookRetryWindow)
	switch next := now.Add(delay); {
	case !now.Before(deadline):
		d.Status = DeliveryFailed
	case next.After(deadline):
		d.NextAttemptAt = deadline
	default:
		d.NextAttemptAt = next
	}
	return d
}

// redeliver queues d again for an attempt at now. Only a finished delivery
// can be: a pending one is on its way already, and queuing it twice could
// send it twice at once. Past the retry window this is one more attempt, not
// another day of retries.
func (d Delivery) redeliver(now time.Time) (Delivery, error) {
	if d.Status == DeliveryPending {
		return d, fmt.Errorf("delivery %s is already waiting for its next attempt: %w", d.ID, core.ErrConflict)
	}
	d.Status, d.NextAttemptAt, d.DeliveredAt = DeliveryPending, now, nil
	return d, nil
}

func trimWebhookError(s string) string {
	const limit = 500
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// WebhookClaim is a delivery taken for an attempt, with its webhook.
type WebhookClaim struct {
	Delivery Delivery
	Webhook  Webhook
}

// DeliveryCursor is where a page of deliveries ends (newest first).
type DeliveryCursor struct {
	CreatedAt time.Time
	ID        string
}

// WebhookRepository is the storage webhooks need; db/notifystore implements it.
type WebhookRepository interface {
	CreateWebhook(ctx context.Context, w Webhook) error
	Webhook(ctx context.Context, id string) (Webhook, error)
	// Webhooks lists an agency's webhooks, disabled ones too, oldest first.
	Webhooks(ctx context.Context, agencyID string) ([]Webhook, error)
	// DisableWebhook stops a webhook at at and fails its pending deliveries
	// with note as their last error, in one transaction.
	DisableWebhook(ctx context.Context, id string, at time.Time, note string) error

	// AddDeliveries stores ds, skipping any whose (webhook, event) is stored
	// already, and returns how many it stored.
	AddDeliveries(ctx context.Context, ds []Delivery) (int, error)
	Delivery(ctx context.Context, id string) (Delivery, error)
	// Deliveries lists a webhook's deliveries newest first, after the cursor
	// when it is not nil, of one status when status is not "".
	Deliveries(ctx context.Context, webhookID string, status DeliveryStatus, after *DeliveryCursor, limit int) ([]Delivery, error)
	// ClaimDeliveries takes up to limit pending deliveries due at now whose
	// webhook is active, counts an attempt on each and moves its next
	// attempt to leaseUntil, so no other dispatcher takes it meanwhile.
	ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]WebhookClaim, error)
	// UpdateDelivery stores next if the delivery still has prev's status and
	// attempts, and fails with core.ErrConflict otherwise.
	UpdateDelivery(ctx context.Context, next, prev Delivery) error
}

// NewWebhook is what a caller asks for to subscribe an agency system.
type NewWebhook struct {
	AgencyID   string // "" means the caller's own agency
	URL        string
	EventTypes []string
}

// DeliveryFilter selects a page of one webhook's delivery log.
type DeliveryFilter struct {
	WebhookID string
	Status    DeliveryStatus // "" for all
	Limit     int            // 0 for DefaultDeliveryPage
	Cursor    string
}

// DeliveryPage is one page of a delivery log, newest first.
type DeliveryPage struct {
	Deliveries []Delivery
	NextCursor string
}

// Page sizes of a delivery log.
const (
	DefaultDeliveryPage = 50
	MaxDeliveryPage     = 200
)

// WebhookService manages an agency's webhooks and turns events into
// deliveries. Managing takes an agency admin of the webhook's agency, or an
// integration client of it with webhooks:manage (system admins everywhere).
type WebhookService interface {
	// CreateWebhook subscribes a URL; the result carries the signing secret,
	// the only time it is shown.
	CreateWebhook(ctx context.Context, req NewWebhook) (Webhook, error)
	// ListWebhooks lists an agency's webhooks ("" for the caller's agency),
	// without their secrets.
	ListWebhooks(ctx context.Context, agencyID string) ([]Webhook, error)
	// DisableWebhook stops deliveries to a webhook for good; its pending
	// deliveries fail. Disabling twice is not an error.
	DisableWebhook(ctx context.Context, id string) (Webhook, error)
	ListDeliveries(ctx context.Context, f DeliveryFilter) (DeliveryPage, error)
	// Redeliver queues a delivered or failed delivery for another attempt now.
	Redeliver(ctx context.Context, webhookID, deliveryID string) (Delivery, error)
	// Enqueue creates one pending delivery of an event for each active webhook
	// of agencyID that subscribes to eventType. It is called in process by
	// notify's event consumer, not over HTTP; an event enqueued again creates
	// nothing new.
	Enqueue(ctx context.Context, agencyID, eventID, eventType string, payload []byte) error
}

// WebhookOption configures the webhook service.
type WebhookOption func(*webhookService)

// WithWebhookURLPolicy sets where webhooks may point; the default refuses
// loopback and private addresses.
func WithWebhookURLPolicy(p URLPolicy) WebhookOption {
	return func(s *webhookService) { s.policy = p }
}

type webhookService struct {
	repo   WebhookRepository
	clock  core.Clock
	policy URLPolicy
}

// NewWebhookService returns the webhook service on repo.
func NewWebhookService(repo WebhookRepository, clock core.Clock, opts ...WebhookOption) WebhookService {
	if clock == nil {
		clock = core.SystemClock{}
	}
	s := &webhookService{repo: repo, clock: clock}
	for _, o := range opts {
		o(s)
	}
	return s
}

// now is the clock in UTC at PostgreSQL's precision, so a time reads back
// as it was written on both databases.
func (s *webhookService) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// authorizeWebhooks allows agency admins of agencyID and its clients with
// webhooks:manage; caseworkers do not configure integrations.
func authorizeWebhooks(ctx context.Context, agencyID string) (core.Principal, error) {
	return core.AuthorizeAgency(ctx, agencyID, core.ScopeWebhooksManage, core.RoleAgencyAdmin)
}

// callerAgency resolves an omitted agency id to the caller's own.
func callerAgency(ctx context.Context, agencyID string) (string, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return "", err
	}
	if agencyID == "" {
		agencyID = p.AgencyID
	}
	switch {
	case agencyID == "":
		return "", core.Invalid("agency_id", "is required: your sign-in belongs to no agency")
	case !core.ValidID(agencyID):
		return "", core.Invalid("agency_id", "must be a UUID")
	}
	return agencyID, nil
}

func (s *webhookService) CreateWebhook(ctx context.Context, req NewWebhook) (Webhook, error) {
	agencyID, err := callerAgency(ctx, req.AgencyID)
	if err != nil {
		return Webhook{}, err
	}
	p, err := authorizeWebhooks(ctx, agencyID)
	if err != nil {
		return Webhook{}, err
	}
	var v core.Validator
	url := strings.TrimSpace(req.URL)
	if msg := s.policy.CheckURL(url); msg != "" {
		v.Add("url", msg)
	}
	types, msg := normalizeEventTypes(req.EventTypes)
	if msg != "" {
		v.Add("event_types", msg)
	}
	if err := v.Err(); err != nil {
		return Webhook{}, err
	}
	existing, err := s.repo.Webhooks(ctx, agencyID)
	if err != nil {
		return Webhook{}, err
	}
	active := 0
	for _, w := range existing {
		if w.Active() {
			active++
		}
	}
	if active >= MaxActiveWebhooks {
		return Webhook{}, fmt.Errorf("an agency may have %d active webhooks; disable one first: %w", MaxActiveWebhooks, core.ErrConflict)
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return Webhook{}, err
	}
	w := Webhook{ID: core.NewID(), AgencyID: agencyID, URL: url, EventTypes: types, Secret: secret,
		CreatedBy: string(p.Kind) + ":" + p.Subject, CreatedAt: s.now()}
	if err := s.repo.CreateWebhook(ctx, w); err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// normalizeEventTypes checks a subscription's types and returns them in
// WebhookEventTypes order without repeats, or a message for the field.
func normalizeEventTypes(in []string) ([]string, string) {
	if len(in) == 0 {
		return nil, `must list at least one event type, or "*" for all`
	}
	seen := map[string]bool{}
	var unknown []string
	for _, t := range in {
		switch {
		case t == WebhookAllEvents || slices.Contains(WebhookEventTypes, t):
			seen[t] = true
		default:
			unknown = append(unknown, fmt.Sprintf("%q", t))
		}
	}
	if len(unknown) > 0 {
		return nil, "unknown event type " + strings.Join(unknown, ", ") + "; known: " + strings.Join(WebhookEventTypes, ", ")
	}
	if seen[WebhookAllEvents] {
		if len(seen) > 1 {
			return nil, `"*" already means every type; send it alone`
		}
		return []string{WebhookAllEvents}, ""
	}
	out := make([]string, 0, len(seen))
	for _, t := range WebhookEventTypes {
		if seen[t] {
			out = append(out, t)
		}
	}
	return out, ""
}

// webhookSecretBytes is the secret's length; Standard Webhooks asks for 24 to 64.
const webhookSecretBytes = 32

// WebhookSecretPrefix starts every signing secret, as Standard Webhooks has it.
const WebhookSecretPrefix = "whsec_"

func newWebhookSecret() (string, error) {
	b := make([]byte, webhookSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate webhook secret: %w", err)
	}
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

func (s *webhookService) ListWebhooks(ctx context.Context, agencyID string) ([]Webhook, error) {
	agencyID, err := callerAgency(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	if _, err := authorizeWebhooks(ctx, agencyID); err != nil {
		return nil, err
	}
	ws, err := s.repo.Webhooks(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		ws[i].Secret = ""
	}
	return ws, nil
}

// webhook loads a webhook its caller may manage.
func (s *webhookService) webhook(ctx context.Context, id string) (Webhook, error) {
	if _, err := core.Caller(ctx); err != nil {
		return Webhook{}, err
	}
	if !core.ValidID(id) {
		return Webhook{}, core.Invalid("id", "must be a UUID")
	}
	w, err := s.repo.Webhook(ctx, id)
	if err != nil {
		return Webhook{}, fmt.Errorf("webhook %s: %w", id, err)
	}
	if _, err := authorizeWebhooks(ctx, w.AgencyID); err != nil {
		return Webhook{}, err
	}
	w.Secret = ""
	return w, nil
}

// webhookDisabledNote is the last error of deliveries a disable cut short.
const webhookDisabledNote = "not sent: the webhook was disabled"

func (s *webhookService) DisableWebhook(ctx context.Context, id string) (Webhook, error) {
	w, err := s.webhook(ctx, id)
	if err != nil || !w.Active() {
		return w, err
	}
	now := s.now()
	if err := s.repo.DisableWebhook(ctx, id, now, webhookDisabledNote); err != nil {
		return Webhook{}, err
	}
	w.DisabledAt = &now
	return w, nil
}

func (s *webhookService) ListDeliveries(ctx context.Context, f DeliveryFilter) (DeliveryPage, error) {
	if _, err := s.webhook(ctx, f.WebhookID); err != nil {
		return DeliveryPage{}, err
	}
	var v core.Validator
	switch f.Status {
	case "", DeliveryPending, DeliveryDelivered, DeliveryFailed:
	default:
		v.Add("status", "must be pending, delivered or failed")
	}
	if f.Limit == 0 {
		f.Limit = DefaultDeliveryPage
	}
	v.Check(f.Limit > 0 && f.Limit <= MaxDeliveryPage, "limit", fmt.Sprintf("must be between 1 and %d", MaxDeliveryPage))
	after, err := parseDeliveryCursor(f.Cursor)
	if err != nil {
		v.Add("cursor", "is not a cursor this list handed out")
	}
	if err := v.Err(); err != nil {
		return DeliveryPage{}, err
	}
	ds, err := s.repo.Deliveries(ctx, f.WebhookID, f.Status, after, f.Limit+1)
	if err != nil {
		return DeliveryPage{}, err
	}
	page := DeliveryPage{Deliveries: ds}
	if len(ds) > f.Limit {
		page.Deliveries = ds[:f.Limit]
		last := ds[f.Limit-1]
		page.NextCursor = formatDeliveryCursor(DeliveryCursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	return page, nil
}

func formatDeliveryCursor(c DeliveryCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + c.ID))
}

func parseDeliveryCursor(s string) (*DeliveryCursor, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	at, id, ok := strings.Cut(string(raw), " ")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || !core.ValidID(id) {
		return nil, fmt.Errorf("malformed cursor")
	}
	return &DeliveryCursor{CreatedAt: t.UTC(), ID: id}, nil
}

func (s *webhookService) Redeliver(ctx context.Context, webhookID, deliveryID string) (Delivery, error) {
	w, err := s.webhook(ctx, webhookID)
	if err != nil {
		return Delivery{}, err
	}
	if !core.ValidID(deliveryID) {
		return Delivery{}, core.Invalid("delivery_id", "must be a UUID")
	}
	if !w.Active() {
		return Delivery{}, fmt.Errorf("webhook %s is disabled: %w", w.ID, core.ErrConflict)
	}
	d, err := s.repo.Delivery(ctx, deliveryID)
	if err == nil && d.WebhookID != w.ID {
		err = core.ErrNotFound
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery %s: %w", deliveryID, err)
	}
	next, err := d.redeliver(s.now())
	if err != nil {
		return Delivery{}, err
	}
	if err := s.repo.UpdateDelivery(ctx, next, d); err != nil {
		return Delivery{}, err
	}
	return next, nil
}

func (s *webhookService) Enqueue(ctx context.Context, agencyID, eventID, eventType string, payload []byte) error {
	if agencyID == "" || !slices.Contains(WebhookEventTypes, eventType) {
		return nil // an event of no agency, or one not published to agency systems
	}
	var v core.Validator
	v.Check(eventID != "", "event_id", "is required")
	v.Check(json.Valid(payload), "payload", "must be JSON")
	if err := v.Err(); err != nil {
		return err
	}
	hooks, err := s.repo.Webhooks(ctx, agencyID)
	if err != nil {
		return err
	}
	now := s.now()
	var ds []Delivery
	for _, w := range hooks {
		if w.Active() && w.Subscribes(eventType) {
			ds = append(ds, Delivery{ID: core.NewID(), WebhookID: w.ID, EventID: eventID, EventType: eventType,
				Payload: bytes.Clone(payload), Status: DeliveryPending, NextAttemptAt: now, CreatedAt: now})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	_, err = s.repo.AddDeliveries(ctx, ds)
	return err
}
