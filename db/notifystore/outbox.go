package notifystore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/notify"
)

// Outbox keeps notify's stored messages, reminders and consumer cursors.
type Outbox struct {
	db *db.DB
}

// NewOutbox returns the message store on d.
func NewOutbox(d *db.DB) *Outbox { return &Outbox{db: d} }

var (
	_ notify.OutboxRepository   = (*Outbox)(nil)
	_ notify.ReminderRepository = (*Outbox)(nil)
)

type messageRow struct {
	ID            string         `db:"id"`
	DedupeKey     string         `db:"dedupe_key"`
	Channel       string         `db:"channel"`
	Recipient     string         `db:"recipient"`
	MessageID     string         `db:"message_id"`
	Subject       string         `db:"subject"`
	Body          []byte         `db:"body"`
	AgencyID      sql.NullString `db:"agency_id"`
	Status        string         `db:"status"`
	Attempts      int            `db:"attempts"`
	NextAttemptAt time.Time      `db:"next_attempt_at"`
	LastError     string         `db:"last_error"`
	CreatedAt     time.Time      `db:"created_at"`
	SentAt        *time.Time     `db:"sent_at"`
}

const messageColumns = `id, dedupe_key, channel, recipient, message_id, subject, body, agency_id, status, attempts,
	next_attempt_at, last_error, created_at, sent_at`

func (r messageRow) domain() notify.StoredMessage {
	m := notify.StoredMessage{ID: r.ID, DedupeKey: r.DedupeKey, Channel: r.Channel, Recipient: r.Recipient, MessageID: r.MessageID,
		Subject: r.Subject, Body: r.Body, AgencyID: r.AgencyID.String, Status: r.Status, Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(), LastError: r.LastError, CreatedAt: r.CreatedAt.UTC()}
	if r.SentAt != nil {
		t := r.SentAt.UTC()
		m.SentAt = &t
	}
	return m
}

// Enqueue stores messages, skipping any whose dedupe key is stored already.
func (o *Outbox) Enqueue(ctx context.Context, msgs []notify.StoredMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, m := range msgs {
			_, err := tx.NamedExecContext(ctx, `INSERT INTO notify_messages (`+messageColumns+`)
				VALUES (:id, :dedupe_key, :channel, :recipient, :message_id, :subject, :body, :agency_id, :status, :attempts,
				        :next_attempt_at, :last_error, :created_at, :sent_at)
				ON CONFLICT (dedupe_key) DO NOTHING`, messageRow{ID: m.ID, DedupeKey: m.DedupeKey, Channel: m.Channel,
				Recipient: m.Recipient, MessageID: m.MessageID, Subject: m.Subject, Body: m.Body,
				AgencyID: sql.NullString{String: m.AgencyID, Valid: m.AgencyID != ""}, Status: m.Status, Attempts: m.Attempts,
				NextAttemptAt: m.NextAttemptAt.UTC(), LastError: m.LastError, CreatedAt: m.CreatedAt.UTC()})
			if err != nil {
				return db.MapError(err)
			}
		}
		return nil
	})
}

// ClaimDue takes due messages and leases them to the caller.
func (o *Outbox) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]notify.StoredMessage, error) {
	var rows []messageRow
	err := o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		q := `SELECT ` + messageColumns + ` FROM notify_messages WHERE status = 'pending' AND next_attempt_at <= ?
			ORDER BY next_attempt_at, created_at LIMIT ?`
		if o.db.Dialect == db.Postgres {
			q += ` FOR UPDATE SKIP LOCKED` // several senders share the work without waiting on each other
		}
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), now.UTC(), limit); err != nil {
			return db.MapError(err)
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_messages SET next_attempt_at = ? WHERE id = ?`),
				now.Add(lease).UTC(), r.ID); err != nil {
				return db.MapError(err)
			}
		}
		return nil
	})
	out := make([]notify.StoredMessage, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, err
}

// MarkSent records a delivered message.
func (o *Outbox) MarkSent(ctx context.Context, id string, at time.Time) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_messages SET status = 'sent', sent_at = ?, attempts = attempts + 1,
			last_error = '' WHERE id = ?`), at.UTC(), id)
		return db.MapError(err)
	})
}

// MarkFailed records a failed attempt: retried at next, or dead.
func (o *Outbox) MarkFailed(ctx context.Context, id string, attempts int, next time.Time, lastError string, dead bool) error {
	status := notify.StatusPending
	if dead {
		status = notify.StatusDead
	}
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_messages SET status = ?, attempts = ?, next_attempt_at = ?,
			last_error = ? WHERE id = ?`), status, attempts, next.UTC(), lastError, id)
		return db.MapError(err)
	})
}

// ListMessages lists stored messages, newest first.
func (o *Outbox) ListMessages(ctx context.Context, status, agencyID string, limit int) ([]notify.StoredMessage, error) {
	q := `SELECT ` + messageColumns + ` FROM notify_messages WHERE 1 = 1`
	var args []any
	if status != "" {
		q += ` AND status = ?`
		args = append(args, status)
	}
	if agencyID != "" {
		q += ` AND agency_id = ?`
		args = append(args, agencyID)
	}
	q += ` ORDER BY created_at DESC, id LIMIT ?`
	args = append(args, limit)
	var rows []messageRow
	if err := o.db.SelectContext(ctx, &rows, o.db.Rebind(q), args...); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]notify.StoredMessage, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Message returns one stored message.
func (o *Outbox) Message(ctx context.Context, id string) (notify.StoredMessage, error) {
	var r messageRow
	if err := o.db.GetContext(ctx, &r, o.db.Rebind(`SELECT `+messageColumns+` FROM notify_messages WHERE id = ?`), id); err != nil {
		return notify.StoredMessage{}, db.MapError(err)
	}
	return r.domain(), nil
}

// MessageByKey returns the message stored under a dedupe key.
func (o *Outbox) MessageByKey(ctx context.Context, dedupeKey string) (notify.StoredMessage, error) {
	var r messageRow
	if err := o.db.GetContext(ctx, &r, o.db.Rebind(`SELECT `+messageColumns+` FROM notify_messages WHERE dedupe_key = ?`), dedupeKey); err != nil {
		return notify.StoredMessage{}, db.MapError(err)
	}
	return r.domain(), nil
}

// Retry makes a dead message pending again.
func (o *Outbox) Retry(ctx context.Context, id string, now time.Time) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_messages SET status = 'pending', attempts = 0, next_attempt_at = ?
			WHERE id = ? AND status = 'dead'`), now.UTC(), id)
		if err != nil {
			return db.MapError(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no dead message %s: %w", id, core.ErrNotFound)
		}
		return nil
	})
}

// ---- reminders ----

// PlanReminder sets the appointment's reminder for its current version.
func (o *Outbox) PlanReminder(ctx context.Context, appointmentID string, sequence int, due time.Time) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		// An older event arriving late must not move a newer plan back.
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notify_reminders (appointment_id, sequence, due_at) VALUES (?, ?, ?)
			ON CONFLICT (appointment_id) DO UPDATE SET sequence = excluded.sequence, due_at = excluded.due_at
			WHERE notify_reminders.sequence <= excluded.sequence`), appointmentID, sequence, due.UTC())
		return db.MapError(err)
	})
}

// DropReminder forgets an appointment's reminder.
func (o *Outbox) DropReminder(ctx context.Context, appointmentID string) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM notify_reminders WHERE appointment_id = ?`), appointmentID)
		return db.MapError(err)
	})
}

// DueReminders lists appointments whose reminder is due and unsent for their version.
func (o *Outbox) DueReminders(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := o.db.SelectContext(ctx, &ids, o.db.Rebind(`SELECT appointment_id FROM notify_reminders
		WHERE due_at <= ? AND (sent_sequence IS NULL OR sent_sequence < sequence) ORDER BY due_at LIMIT ?`), now.UTC(), limit)
	return ids, db.MapError(err)
}

// MarkReminded records that the reminder for sequence went out.
func (o *Outbox) MarkReminded(ctx context.Context, appointmentID string, sequence int) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE notify_reminders SET sent_sequence = ? WHERE appointment_id = ?`), sequence, appointmentID)
		return db.MapError(err)
	})
}

// ---- consumer cursors ----

// Cursor returns how far consumer has read.
func (o *Outbox) Cursor(ctx context.Context, consumer string) (int64, error) {
	var n int64
	err := o.db.GetContext(ctx, &n, o.db.Rebind(`SELECT position FROM notify_cursors WHERE consumer = ?`), consumer)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, db.MapError(err)
}

// SetCursor stores how far consumer has read.
func (o *Outbox) SetCursor(ctx context.Context, consumer string, position int64) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notify_cursors (consumer, position) VALUES (?, ?)
			ON CONFLICT (consumer) DO UPDATE SET position = excluded.position`), consumer, position)
		return db.MapError(err)
	})
}

// ---- consumed events ----

// consumedKey is the row of one consumer's event: consumers (notify's,
// webhooks') share the table, each with its own record of an event.
func consumedKey(consumer, eventID string) string { return consumer + "/" + eventID }

// Consumed returns which of the event ids consumer marked consumed.
func (o *Outbox) Consumed(ctx context.Context, consumer string, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	byKey := make(map[string]string, len(ids))
	for i, id := range ids {
		keys[i] = consumedKey(consumer, id)
		byKey[keys[i]] = id
	}
	q, args, err := sqlx.In(`SELECT event_id FROM notify_consumed WHERE event_id IN (?)`, keys)
	if err != nil {
		return nil, err
	}
	var found []string
	if err := o.db.SelectContext(ctx, &found, o.db.Rebind(q), args...); err != nil {
		return nil, db.MapError(err)
	}
	for _, k := range found {
		out[byKey[k]] = true
	}
	return out, nil
}

// MarkConsumed records that consumer applied the events; marking twice is
// no error.
func (o *Outbox) MarkConsumed(ctx context.Context, consumer string, ids []string, at time.Time) error {
	return o.db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO notify_consumed (event_id, consumed_at) VALUES (?, ?)
				ON CONFLICT (event_id) DO NOTHING`), consumedKey(consumer, id), at.UTC()); err != nil {
				return db.MapError(err)
			}
		}
		return nil
	})
}
