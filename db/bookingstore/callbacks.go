package bookingstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
)

type callbackRow struct {
	ID            string         `db:"id"`
	AgencyID      string         `db:"agency_id"`
	MeetingTypeID sql.NullString `db:"meeting_type_id"`
	Topic         string         `db:"topic"`
	CitizenID     sql.NullString `db:"citizen_id"`
	PhoneNumber   string         `db:"phone_number"`
	Earliest      time.Time      `db:"earliest"`
	Latest        time.Time      `db:"latest"`
	CaseID        sql.NullString `db:"case_id"`
	Language      string         `db:"language"`
	Status        string         `db:"status"`
	Attempts      int            `db:"attempts"`
	ClaimedBy     sql.NullString `db:"claimed_by"`
	ClaimedAt     *time.Time     `db:"claimed_at"`
	CompletedAt   *time.Time     `db:"completed_at"`
	Version       int            `db:"version"`
	CreatedAt     time.Time      `db:"created_at"`
	UpdatedAt     time.Time      `db:"updated_at"`
}

const callbackColumns = `id, agency_id, meeting_type_id, topic, citizen_id, phone_number, earliest, latest, case_id,
	language, status, attempts, claimed_by, claimed_at, completed_at, version, created_at, updated_at`

func null(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (r callbackRow) domain() booking.Callback {
	return booking.Callback{ID: r.ID, AgencyID: r.AgencyID, MeetingTypeID: r.MeetingTypeID.String, Topic: r.Topic,
		CitizenID: r.CitizenID.String, PhoneNumber: r.PhoneNumber, Earliest: r.Earliest.UTC(), Latest: r.Latest.UTC(),
		CaseID: r.CaseID.String, Language: r.Language, Status: booking.CallbackStatus(r.Status), Attempts: r.Attempts,
		ClaimedBy: r.ClaimedBy.String, ClaimedAt: utcPtr(r.ClaimedAt), CompletedAt: utcPtr(r.CompletedAt),
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func callbackToRow(c booking.Callback) callbackRow {
	return callbackRow{ID: c.ID, AgencyID: c.AgencyID, MeetingTypeID: null(c.MeetingTypeID), Topic: c.Topic,
		CitizenID: null(c.CitizenID), PhoneNumber: c.PhoneNumber, Earliest: c.Earliest.UTC(), Latest: c.Latest.UTC(),
		CaseID: null(c.CaseID), Language: c.Language, Status: string(c.Status), Attempts: c.Attempts,
		ClaimedBy: null(c.ClaimedBy), ClaimedAt: utcPtr(c.ClaimedAt), CompletedAt: utcPtr(c.CompletedAt),
		Version: c.Version, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

func (s *Store) CreateCallback(ctx context.Context, c booking.Callback, ev booking.Event) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO booking_callbacks (`+callbackColumns+`)
			VALUES (:id, :agency_id, :meeting_type_id, :topic, :citizen_id, :phone_number, :earliest, :latest, :case_id,
			        :language, :status, :attempts, :claimed_by, :claimed_at, :completed_at, :version, :created_at, :updated_at)`,
			callbackToRow(c)); err != nil {
			return db.MapError(err)
		}
		return s.insertEvent(ctx, tx, ev)
	})
}

func (s *Store) Callback(ctx context.Context, id string) (booking.Callback, error) {
	var r callbackRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+callbackColumns+` FROM booking_callbacks WHERE id = ?`), id); err != nil {
		return booking.Callback{}, db.MapError(err)
	}
	return r.domain(), nil
}

// The queue order: the earliest window first, then first come.
func (s *Store) CallbackPosition(ctx context.Context, c booking.Callback) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM booking_callbacks
		WHERE agency_id = ? AND status = 'waiting' AND (earliest < ? OR (earliest = ? AND created_at <= ?))`),
		c.AgencyID, c.Earliest.UTC(), c.Earliest.UTC(), c.CreatedAt.UTC())
	return n, db.MapError(err)
}

func (s *Store) Callbacks(ctx context.Context, agencyID, citizenID string, status booking.CallbackStatus, limit int) ([]booking.Callback, error) {
	q := `SELECT ` + callbackColumns + ` FROM booking_callbacks WHERE 1 = 1`
	var args []any
	if agencyID != "" {
		q += ` AND agency_id = ?`
		args = append(args, agencyID)
	}
	if citizenID != "" {
		q += ` AND citizen_id = ?`
		args = append(args, citizenID)
	}
	if status != "" {
		q += ` AND status = ?`
		args = append(args, string(status))
	}
	q += ` ORDER BY earliest, created_at, id LIMIT ?`
	args = append(args, limit)
	var rows []callbackRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.Callback, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

func (s *Store) ClaimNextCallback(ctx context.Context, agencyID, staffID string, now time.Time, event func(booking.Callback) booking.Event) (booking.Callback, error) {
	var claimed booking.Callback
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		q := `SELECT ` + callbackColumns + ` FROM booking_callbacks
			WHERE agency_id = ? AND status = 'waiting' AND earliest <= ? AND latest > ?
			ORDER BY earliest, created_at, id LIMIT 1`
		if s.db.Dialect == db.Postgres {
			// Concurrent claimers skip each other's row instead of waiting for it.
			q += ` FOR UPDATE SKIP LOCKED`
		}
		var r callbackRow
		if err := tx.GetContext(ctx, &r, tx.Rebind(q), agencyID, now.UTC(), now.UTC()); err != nil {
			return db.MapError(err)
		}
		c := r.domain()
		c.Status, c.ClaimedBy, c.ClaimedAt = booking.CallbackClaimed, staffID, &now
		c.Version++
		c.UpdatedAt = now
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE booking_callbacks SET status = 'claimed', claimed_by = ?, claimed_at = ?,
			version = version + 1, updated_at = ? WHERE id = ? AND status = 'waiting'`), staffID, now.UTC(), now.UTC(), c.ID)
		if err := oneRow(res, err, "id"); err != nil {
			return err
		}
		claimed = c
		return s.insertEvent(ctx, tx, event(c))
	})
	return claimed, err
}

func (s *Store) UpdateCallback(ctx context.Context, c booking.Callback, expectVersion int, ev booking.Event) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		row := callbackToRow(c)
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE booking_callbacks SET status = ?, attempts = ?, claimed_by = ?,
			claimed_at = ?, completed_at = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`),
			row.Status, row.Attempts, row.ClaimedBy, row.ClaimedAt, row.CompletedAt, row.Version, row.UpdatedAt, row.ID, expectVersion)
		if err := oneRow(res, err, "id"); errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("callback changed meanwhile: %w", core.ErrPrecondition)
		} else if err != nil {
			return err
		}
		return s.insertEvent(ctx, tx, ev)
	})
}
