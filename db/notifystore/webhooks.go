package notifystore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/notify"
)

// WebhookStore keeps webhook subscriptions and their deliveries
// (notify_webhooks, notify_deliveries).
type WebhookStore struct {
	db *db.DB
}

// NewWebhookStore returns the webhook store on d.
func NewWebhookStore(d *db.DB) *WebhookStore { return &WebhookStore{db: d} }

var _ notify.WebhookRepository = (*WebhookStore)(nil)

type webhookRow struct {
	ID         string     `db:"id"`
	AgencyID   string     `db:"agency_id"`
	URL        string     `db:"url"`
	EventTypes string     `db:"event_types"` // space-separated
	Secret     string     `db:"secret"`
	CreatedBy  string     `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	DisabledAt *time.Time `db:"disabled_at"`
}

const webhookColumns = `id, agency_id, url, event_types, secret, created_by, created_at, disabled_at`

func (r webhookRow) domain() notify.Webhook {
	w := notify.Webhook{ID: r.ID, AgencyID: r.AgencyID, URL: r.URL, EventTypes: strings.Fields(r.EventTypes),
		Secret: r.Secret, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
	if r.DisabledAt != nil {
		t := r.DisabledAt.UTC()
		w.DisabledAt = &t
	}
	return w
}

type deliveryRow struct {
	ID            string     `db:"id"`
	WebhookID     string     `db:"webhook_id"`
	EventID       string     `db:"event_id"`
	EventType     string     `db:"event_type"`
	Payload       string     `db:"payload"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastStatus    int        `db:"last_status"`
	LastError     string     `db:"last_error"`
	CreatedAt     time.Time  `db:"created_at"`
	DeliveredAt   *time.Time `db:"delivered_at"`
}

const deliveryColumns = `id, webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at,
	last_status, last_error, created_at, delivered_at`

func (r deliveryRow) domain() notify.Delivery {
	d := notify.Delivery{ID: r.ID, WebhookID: r.WebhookID, EventID: r.EventID, EventType: r.EventType,
		Payload: []byte(r.Payload), Status: notify.DeliveryStatus(r.Status), Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(), LastStatus: r.LastStatus, LastError: r.LastError, CreatedAt: r.CreatedAt.UTC()}
	if r.DeliveredAt != nil {
		t := r.DeliveredAt.UTC()
		d.DeliveredAt = &t
	}
	return d
}

func deliveryToRow(d notify.Delivery) deliveryRow {
	r := deliveryRow{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, Payload: string(d.Payload),
		Status: string(d.Status), Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt.UTC(), LastStatus: d.LastStatus,
		LastError: d.LastError, CreatedAt: d.CreatedAt.UTC()}
	if d.DeliveredAt != nil {
		t := d.DeliveredAt.UTC()
		r.DeliveredAt = &t
	}
	return r
}

func (s *WebhookStore) CreateWebhook(ctx context.Context, w notify.Webhook) error {
	row := webhookRow{ID: w.ID, AgencyID: w.AgencyID, URL: w.URL, EventTypes: strings.Join(w.EventTypes, " "),
		Secret: w.Secret, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt.UTC()}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO notify_webhooks (`+webhookColumns+`)
			VALUES (:id, :agency_id, :url, :event_types, :secret, :created_by, :created_at, :disabled_at)`, row)
		return db.MapError(err)
	})
}

func (s *WebhookStore) Webhook(ctx context.Context, id string) (notify.Webhook, error) {
	var r webhookRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+webhookColumns+` FROM notify_webhooks WHERE id = ?`), id); err != nil {
		return notify.Webhook{}, db.MapError(err)
	}
	return r.domain(), nil
}

func (s *WebhookStore) Webhooks(ctx context.Context, agencyID string) ([]notify.Webhook, error) {
	var rows []webhookRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+webhookColumns+` FROM notify_webhooks
		WHERE agency_id = ? ORDER BY created_at, id`), agencyID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]notify.Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

func (s *WebhookStore) DisableWebhook(ctx context.Context, id string, at time.Time, note string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_webhooks SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`),
			at.UTC(), id)
		if err != nil {
			return db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // disabled already, by an earlier call
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_deliveries SET status = 'failed', last_error = ?
			WHERE webhook_id = ? AND status = 'pending'`), note, id)
		return db.MapError(err)
	})
}

func (s *WebhookStore) AddDeliveries(ctx context.Context, ds []notify.Delivery) (int, error) {
	added := 0
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		added = 0
		for _, d := range ds {
			// The unique (webhook, event) pair makes a replayed event a no-op.
			res, err := tx.NamedExecContext(ctx, `INSERT INTO notify_deliveries (`+deliveryColumns+`)
				VALUES (:id, :webhook_id, :event_id, :event_type, :payload, :status, :attempts, :next_attempt_at,
				        :last_status, :last_error, :created_at, :delivered_at)
				ON CONFLICT (webhook_id, event_id) DO NOTHING`, deliveryToRow(d))
			if err != nil {
				return db.MapError(err)
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
		return nil
	})
	return added, err
}

func (s *WebhookStore) Delivery(ctx context.Context, id string) (notify.Delivery, error) {
	var r deliveryRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+deliveryColumns+` FROM notify_deliveries WHERE id = ?`), id); err != nil {
		return notify.Delivery{}, db.MapError(err)
	}
	return r.domain(), nil
}

func (s *WebhookStore) Deliveries(ctx context.Context, webhookID string, status notify.DeliveryStatus, after *notify.DeliveryCursor, limit int) ([]notify.Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM notify_deliveries WHERE webhook_id = ?`
	args := []any{webhookID}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, string(status))
	}
	if after != nil {
		at := after.CreatedAt.UTC()
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, at, at, after.ID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit)
	var rows []deliveryRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]notify.Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Claiming differs per engine only in the lock: PostgreSQL skips the rows
// another dispatcher holds, so several share the work without waiting;
// SQLite has no row locks, and its write transaction (BEGIN IMMEDIATE)
// already lets one dispatcher in at a time.
const (
	claimDeliveriesPostgres = `UPDATE notify_deliveries SET attempts = attempts + 1, next_attempt_at = ?
		WHERE id IN (
			SELECT d.id FROM notify_deliveries d JOIN notify_webhooks w ON w.id = d.webhook_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.disabled_at IS NULL
			ORDER BY d.next_attempt_at, d.id LIMIT ?
			FOR UPDATE OF d SKIP LOCKED)
		RETURNING ` + deliveryColumns
	claimDeliveriesSQLite = `UPDATE notify_deliveries SET attempts = attempts + 1, next_attempt_at = ?
		WHERE id IN (
			SELECT d.id FROM notify_deliveries d JOIN notify_webhooks w ON w.id = d.webhook_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.disabled_at IS NULL
			ORDER BY d.next_attempt_at, d.id LIMIT ?)
		RETURNING ` + deliveryColumns
)

func (s *WebhookStore) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]notify.WebhookClaim, error) {
	// Most polls find nothing due: a read answers that without the write
	// lock every claim takes (on SQLite, the whole database's).
	var due []int
	if err := s.db.SelectContext(ctx, &due, s.db.Rebind(`SELECT 1 FROM notify_deliveries
		WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1`), now.UTC()); err != nil {
		return nil, db.MapError(err)
	}
	if len(due) == 0 {
		return nil, nil
	}
	q := claimDeliveriesSQLite
	if s.db.Dialect == db.Postgres {
		q = claimDeliveriesPostgres
	}
	var claims []notify.WebhookClaim
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		claims = nil
		var rows []deliveryRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), leaseUntil.UTC(), now.UTC(), limit); err != nil {
			return db.MapError(err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, 0, len(rows))
		for _, r := range rows {
			ids = append(ids, r.WebhookID)
		}
		wq, args, err := sqlx.In(`SELECT `+webhookColumns+` FROM notify_webhooks WHERE id IN (?)`, ids)
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		var hooks []webhookRow
		if err := tx.SelectContext(ctx, &hooks, tx.Rebind(wq), args...); err != nil {
			return db.MapError(err)
		}
		byID := make(map[string]notify.Webhook, len(hooks))
		for _, h := range hooks {
			byID[h.ID] = h.domain()
		}
		for _, r := range rows {
			claims = append(claims, notify.WebhookClaim{Delivery: r.domain(), Webhook: byID[r.WebhookID]})
		}
		return nil
	})
	return claims, err
}

func (s *WebhookStore) UpdateDelivery(ctx context.Context, next, prev notify.Delivery) error {
	r := deliveryToRow(next)
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
			last_status = ?, last_error = ?, delivered_at = ? WHERE id = ? AND status = ? AND attempts = ?`),
			r.Status, r.Attempts, r.NextAttemptAt, r.LastStatus, r.LastError, r.DeliveredAt, r.ID, string(prev.Status), prev.Attempts)
		if err != nil {
			return db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("delivery %s changed meanwhile: %w", next.ID, core.ErrConflict)
		}
		return nil
	})
}
