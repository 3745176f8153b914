package bookingstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
)

// instant is how booking_blocks keeps a time: timestamptz on PostgreSQL,
// Unix milliseconds on SQLite (see migration 00003).
func (s *Store) instant(t time.Time) any {
	if s.db.Dialect == db.Postgres {
		return t.UTC()
	}
	return t.UnixMilli()
}

func (s *Store) instantPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.instant(*t)
}

// takeBlock inserts b. On PostgreSQL the exclusion constraint refuses an
// overlap (23P01, mapped to ErrConflict) however many transactions race; on
// SQLite the transaction already holds the write lock (BEGIN IMMEDIATE), so
// checking first and then inserting cannot interleave with another writer.
func (s *Store) takeBlock(ctx context.Context, tx *sqlx.Tx, b booking.Block, now time.Time) error {
	// Expired holds no longer keep time; clear the staff member's first.
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM booking_blocks
		WHERE staff_id = ? AND kind = 'hold' AND expires_at <= ?`), b.StaffID, s.instant(now)); err != nil {
		return db.MapError(err)
	}
	if s.db.Dialect == db.SQLite {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM booking_blocks
			WHERE staff_id = ? AND blocked_from < ? AND blocked_to > ?`, b.StaffID, b.To.UnixMilli(), b.From.UnixMilli()); err != nil {
			return db.MapError(err)
		}
		if n > 0 {
			return fmt.Errorf("staff member already taken then: %w", core.ErrConflict)
		}
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_blocks
		(id, staff_id, kind, starts_at, ends_at, blocked_from, blocked_to, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		b.ID, b.StaffID, b.Kind, s.instant(b.Start), s.instant(b.End), s.instant(b.From), s.instant(b.To), s.instantPtr(b.ExpiresAt))
	return db.MapError(err)
}

func (s *Store) insertEvent(ctx context.Context, tx *sqlx.Tx, ev booking.Event) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_events (id, type, aggregate_id, agency_id, payload, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?)`), ev.ID, ev.Type, ev.AggregateID, ev.AgencyID, string(ev.Payload), ev.OccurredAt.UTC())
	return db.MapError(err)
}

// ---- counts ----

func (s *Store) AppointmentCounts(ctx context.Context, staffIDs []string, from, to time.Time) (map[string]int, error) {
	out := map[string]int{}
	if len(staffIDs) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT staff_id, count(*) AS n FROM booking_appointments
		WHERE staff_id IN (?) AND status IN ('booked', 'arrived', 'fulfilled') AND starts_at >= ? AND starts_at < ?
		GROUP BY staff_id`, staffIDs, from.UTC(), to.UTC())
	if err != nil {
		return nil, err
	}
	var rows []struct {
		StaffID string `db:"staff_id"`
		N       int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, db.MapError(err)
	}
	for _, r := range rows {
		out[r.StaffID] = r.N
	}
	return out, nil
}

func (s *Store) ActiveAppointments(ctx context.Context, citizenID, meetingTypeID string, now time.Time) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM booking_appointments
		WHERE citizen_id = ? AND meeting_type_id = ? AND status IN ('booked', 'arrived') AND ends_at > ?`),
		citizenID, meetingTypeID, now.UTC())
	return n, db.MapError(err)
}

// ---- appointments ----

type appointmentRow struct {
	ID                  string         `db:"id"`
	AgencyID            string         `db:"agency_id"`
	MeetingTypeID       string         `db:"meeting_type_id"`
	StaffID             string         `db:"staff_id"`
	CitizenID           string         `db:"citizen_id"`
	CaseID              sql.NullString `db:"case_id"`
	Mode                string         `db:"mode"`
	OfficeID            sql.NullString `db:"office_id"`
	Room                string         `db:"room"`
	PhoneNumber         string         `db:"phone_number"`
	PhoneDirection      string         `db:"phone_direction"`
	VideoURL            string         `db:"video_url"`
	Status              string         `db:"status"`
	StartsAt            time.Time      `db:"starts_at"`
	EndsAt              time.Time      `db:"ends_at"`
	BufferBefore        int            `db:"buffer_before_minutes"`
	BufferAfter         int            `db:"buffer_after_minutes"`
	BlockID             sql.NullString `db:"block_id"`
	Notes               string         `db:"notes"`
	InterpreterLanguage string         `db:"interpreter_language"`
	Accessibility       string         `db:"accessibility"`
	AccessibilityOther  string         `db:"accessibility_other"`
	CancelReason        string         `db:"cancel_reason"`
	BookedBy            string         `db:"booked_by"`
	Sequence            int            `db:"sequence"`
	Version             int            `db:"version"`
	CreatedAt           time.Time      `db:"created_at"`
	UpdatedAt           time.Time      `db:"updated_at"`
}

const appointmentColumns = `id, agency_id, meeting_type_id, staff_id, citizen_id, case_id, mode, office_id, room,
	phone_number, phone_direction, video_url, status, starts_at, ends_at, buffer_before_minutes, buffer_after_minutes,
	block_id, notes, interpreter_language, accessibility, accessibility_other, cancel_reason, booked_by, sequence,
	version, created_at, updated_at`

func (r appointmentRow) domain() booking.Appointment {
	a := booking.Appointment{ID: r.ID, AgencyID: r.AgencyID, MeetingTypeID: r.MeetingTypeID, StaffID: r.StaffID,
		CitizenID: r.CitizenID, CaseID: r.CaseID.String, Mode: booking.Mode(r.Mode), OfficeID: r.OfficeID.String, Room: r.Room,
		PhoneNumber: r.PhoneNumber, PhoneDirection: booking.PhoneDirection(r.PhoneDirection), VideoURL: r.VideoURL,
		Status: booking.Status(r.Status), Start: r.StartsAt.UTC(), End: r.EndsAt.UTC(),
		BufferBefore: minutes(r.BufferBefore), BufferAfter: minutes(r.BufferAfter), Notes: r.Notes,
		InterpreterLanguage: r.InterpreterLanguage, AccessibilityOther: r.AccessibilityOther, CancelReason: r.CancelReason,
		BookedBy: r.BookedBy, Sequence: r.Sequence, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	for _, x := range strings.Fields(r.Accessibility) {
		a.Accessibility = append(a.Accessibility, booking.Accessibility(x))
	}
	return a
}

func appointmentToRow(a booking.Appointment, blockID string) appointmentRow {
	acc := make([]string, len(a.Accessibility))
	for i, x := range a.Accessibility {
		acc[i] = string(x)
	}
	return appointmentRow{ID: a.ID, AgencyID: a.AgencyID, MeetingTypeID: a.MeetingTypeID, StaffID: a.StaffID,
		CitizenID: a.CitizenID, CaseID: sql.NullString{String: a.CaseID, Valid: a.CaseID != ""}, Mode: string(a.Mode),
		OfficeID: sql.NullString{String: a.OfficeID, Valid: a.OfficeID != ""}, Room: a.Room, PhoneNumber: a.PhoneNumber,
		PhoneDirection: string(a.PhoneDirection), VideoURL: a.VideoURL, Status: string(a.Status),
		StartsAt: a.Start.UTC(), EndsAt: a.End.UTC(), BufferBefore: int(a.BufferBefore / time.Minute),
		BufferAfter: int(a.BufferAfter / time.Minute), BlockID: sql.NullString{String: blockID, Valid: blockID != ""},
		Notes: a.Notes, InterpreterLanguage: a.InterpreterLanguage, Accessibility: strings.Join(acc, " "),
		AccessibilityOther: a.AccessibilityOther, CancelReason: a.CancelReason, BookedBy: a.BookedBy,
		Sequence: a.Sequence, Version: a.Version, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC()}
}

// checkActiveLimit refuses a booking that would give the citizen more
// active appointments of the meeting type than it allows. It runs inside the
// booking's transaction: SQLite's write lock serializes every booking, and
// on PostgreSQL a lock per citizen makes that citizen's bookings take turns,
// where READ COMMITTED would let two of them count the same rows.
func (s *Store) checkActiveLimit(ctx context.Context, tx *sqlx.Tx, a booking.Appointment, now time.Time) error {
	if s.db.Dialect == db.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "booking/citizen/"+a.CitizenID); err != nil {
			return db.MapError(err)
		}
	}
	var n struct {
		Limit  int `db:"max_active_per_citizen"`
		Active int `db:"active"`
	}
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT mt.max_active_per_citizen,
		       (SELECT count(*) FROM booking_appointments
		         WHERE citizen_id = ? AND meeting_type_id = mt.id AND status IN ('booked', 'arrived') AND ends_at > ?) AS active
		  FROM booking_meeting_types mt WHERE mt.id = ?`), a.CitizenID, now.UTC(), a.MeetingTypeID); err != nil {
		return db.MapError(err)
	}
	if active, limit := n.Active, n.Limit; active >= limit {
		return fmt.Errorf("the citizen already has %d booked meeting(s) of this type, and %d is the most allowed; %w", active, limit, booking.ErrTooManyActive)
	}
	return nil
}

func (s *Store) BookAppointment(ctx context.Context, a booking.Appointment, b booking.Block, holdID string, ev booking.Event) error {
	if s.db.Dialect == db.Postgres && holdID == "" {
		return s.bookPostgres(ctx, a, b, ev)
	}
	return s.db.RetryTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkActiveLimit(ctx, tx, a, ev.OccurredAt); err != nil {
			return err
		}
		blockID := b.ID
		if holdID != "" {
			// The hold's block becomes the appointment's: it never leaves
			// the table, so nobody can take the time in between.
			res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE booking_blocks SET kind = 'appointment', expires_at = NULL
				WHERE id = ? AND kind = 'hold' AND expires_at > ?`), holdID, s.instant(ev.OccurredAt))
			if err := oneRow(res, err, "hold_id"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM booking_holds WHERE id = ?`), holdID); err != nil {
				return db.MapError(err)
			}
			blockID = holdID
		} else if err := s.takeBlock(ctx, tx, b, ev.OccurredAt); err != nil {
			return err
		}
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO booking_appointments (`+appointmentColumns+`)
			VALUES (:id, :agency_id, :meeting_type_id, :staff_id, :citizen_id, :case_id, :mode, :office_id, :room,
			        :phone_number, :phone_direction, :video_url, :status, :starts_at, :ends_at, :buffer_before_minutes,
			        :buffer_after_minutes, :block_id, :notes, :interpreter_language, :accessibility, :accessibility_other,
			        :cancel_reason, :booked_by, :sequence, :version, :created_at, :updated_at)`, appointmentToRow(a, blockID)); err != nil {
			return db.MapError(err)
		}
		return s.insertEvent(ctx, tx, ev)
	})
}

// bookPostgres is BookAppointment without a hold on PostgreSQL: the same
// steps as the general path in two prepared statements between BEGIN and
// COMMIT, one round trip each:
//
//  1. the citizen's lock, then the staff member's expired holds deleted;
//  2. the block inserted if the citizen is below the meeting type's maximum
//     of active bookings — counted in a statement after the lock's, so that
//     it sees every booking of the citizen that held the lock before — where
//     the exclusion constraint refuses an overlap; then the appointment and
//     its outbox event, from the block's row, so none of the three is
//     written without the others.
func (s *Store) bookPostgres(ctx context.Context, a booking.Appointment, b booking.Block, ev booking.Event) error {
	lock, err := s.prepared(ctx, `WITH citizen AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))),
		     expired AS (DELETE FROM booking_blocks
		                  WHERE staff_id = $2 AND kind = 'hold' AND expires_at <= $3 AND EXISTS (SELECT FROM citizen)
		                 RETURNING 1)
		SELECT (SELECT count(*) FROM citizen), (SELECT count(*) FROM expired)`)
	if err != nil {
		return err
	}
	insert, err := s.prepared(ctx, `WITH block AS (
		    INSERT INTO booking_blocks (id, staff_id, kind, starts_at, ends_at, blocked_from, blocked_to)
		    SELECT $18::uuid, $4::uuid, 'appointment', $14::timestamptz, $15::timestamptz, $35::timestamptz, $36::timestamptz
		      FROM booking_meeting_types mt
		     WHERE mt.id = $3
		       AND (SELECT count(*) FROM booking_appointments
		             WHERE citizen_id = $5 AND meeting_type_id = $3 AND status IN ('booked', 'arrived') AND ends_at > $34) < mt.max_active_per_citizen
		    RETURNING id),
		  appointment AS (
		    INSERT INTO booking_appointments (`+appointmentColumns+`)
		    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, block.id, $19, $20, $21, $22, $23,
		           $24, $25, $26, $27, $28
		      FROM block
		    RETURNING 1)
		INSERT INTO booking_events (id, type, aggregate_id, agency_id, payload, occurred_at)
		SELECT $29, $30, $31, $32, $33, $34 FROM appointment`)
	if err != nil {
		return err
	}
	return s.db.RetryTx(ctx, func(tx *sqlx.Tx) error {
		var locked, expired int
		if err := tx.StmtxContext(ctx, lock).QueryRowxContext(ctx, "booking/citizen/"+a.CitizenID, b.StaffID, ev.OccurredAt.UTC()).
			Scan(&locked, &expired); err != nil {
			return db.MapError(err)
		}
		r := appointmentToRow(a, b.ID)
		res, err := tx.StmtxContext(ctx, insert).ExecContext(ctx, r.ID, r.AgencyID, r.MeetingTypeID, r.StaffID, r.CitizenID, r.CaseID, r.Mode,
			r.OfficeID, r.Room, r.PhoneNumber, r.PhoneDirection, r.VideoURL, r.Status, r.StartsAt, r.EndsAt, r.BufferBefore,
			r.BufferAfter, r.BlockID, r.Notes, r.InterpreterLanguage, r.Accessibility, r.AccessibilityOther, r.CancelReason,
			r.BookedBy, r.Sequence, r.Version, r.CreatedAt, r.UpdatedAt,
			ev.ID, ev.Type, ev.AggregateID, ev.AgencyID, string(ev.Payload), ev.OccurredAt.UTC(), b.From.UTC(), b.To.UTC())
		if err != nil {
			return db.MapError(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return db.MapError(err)
		}
		// Nothing written: the citizen's maximum, which the general path's
		// check words; or the meeting type is gone.
		if err := s.checkActiveLimit(ctx, tx, a, ev.OccurredAt); err != nil {
			return err
		}
		return fmt.Errorf("meeting type %s: %w", a.MeetingTypeID, core.ErrNotFound)
	})
}

func (s *Store) CreateHold(ctx context.Context, h booking.Hold, b booking.Block, now time.Time, maxHeld int) error {
	return s.db.RetryTx(ctx, func(tx *sqlx.Tx) error {
		if maxHeld > 0 {
			if err := s.checkHeld(ctx, tx, h.Holder, now, maxHeld); err != nil {
				return err
			}
		}
		if err := s.takeBlock(ctx, tx, b, now); err != nil {
			return err
		}
		var office sql.NullString
		if h.OfficeID != "" {
			office = sql.NullString{String: h.OfficeID, Valid: true}
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_holds (id, agency_id, meeting_type_id, mode, office_id, holder, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), h.ID, h.AgencyID, h.MeetingTypeID, string(h.Mode), office, h.Holder, h.CreatedAt.UTC())
		return db.MapError(err)
	})
}

// checkHeld refuses a holder who already keeps maxHeld unexpired holds. On
// PostgreSQL a lock per holder makes concurrent holds of one holder count
// one after the other; SQLite's writes are serialised already.
func (s *Store) checkHeld(ctx context.Context, tx *sqlx.Tx, holder string, now time.Time, maxHeld int) error {
	if s.db.Dialect == db.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "booking/holder/"+holder); err != nil {
			return db.MapError(err)
		}
	}
	var held int
	if err := tx.GetContext(ctx, &held, tx.Rebind(`SELECT count(*) FROM booking_holds h JOIN booking_blocks b ON b.id = h.id
		WHERE h.holder = ? AND b.expires_at > ?`), holder, s.instant(now)); err != nil {
		return db.MapError(err)
	}
	if held >= maxHeld {
		return fmt.Errorf("you already hold %d time(s), the most one person may at once; %w", held, booking.ErrTooManyHolds)
	}
	return nil
}

func (s *Store) Hold(ctx context.Context, id string) (booking.Hold, error) {
	var (
		h                         booking.Hold
		office                    sql.NullString
		mode                      string
		startsAt, endsAt, expires any
	)
	var createdAt time.Time
	row := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT h.id, h.agency_id, h.meeting_type_id, h.mode, h.office_id, h.holder,
		h.created_at, b.staff_id, b.starts_at, b.ends_at, b.expires_at
		FROM booking_holds h JOIN booking_blocks b ON b.id = h.id WHERE h.id = ?`), id)
	if err := row.Scan(&h.ID, &h.AgencyID, &h.MeetingTypeID, &mode, &office, &h.Holder, &createdAt, &h.StaffID, &startsAt, &endsAt, &expires); err != nil {
		return booking.Hold{}, db.MapError(err)
	}
	h.Mode, h.OfficeID, h.CreatedAt = booking.Mode(mode), office.String, createdAt.UTC()
	var err error
	if h.Start, err = s.readInstant(startsAt); err != nil {
		return booking.Hold{}, err
	}
	if h.End, err = s.readInstant(endsAt); err != nil {
		return booking.Hold{}, err
	}
	if h.ExpiresAt, err = s.readInstant(expires); err != nil {
		return booking.Hold{}, err
	}
	return h, nil
}

func (s *Store) readInstant(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case int64:
		return time.UnixMilli(t).UTC(), nil
	case nil:
		return time.Time{}, nil
	}
	return time.Time{}, fmt.Errorf("unexpected stored instant %T", v)
}

func (s *Store) Appointment(ctx context.Context, id string) (booking.Appointment, error) {
	var r appointmentRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+appointmentColumns+` FROM booking_appointments WHERE id = ?`), id); err != nil {
		return booking.Appointment{}, db.MapError(err)
	}
	return r.domain(), nil
}

// lockStaff makes transactions that move time from one staff member to
// another take turns per pair. Moving deletes a block of one and inserts a
// block of the other, and on PostgreSQL each of those locks the staff
// member's row in booking_staff_busy (the triggers' change count): two moves
// in opposite directions would each hold one and wait for the other, a
// deadlock. Taking both locks first, in id order, gives every transaction the
// same order. SQLite's write lock serializes writers anyway.
func (s *Store) lockStaff(ctx context.Context, tx *sqlx.Tx, ids ...string) error {
	if s.db.Dialect != db.Postgres {
		return nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "booking/staff/"+id); err != nil {
			return db.MapError(err)
		}
	}
	return nil
}

func (s *Store) UpdateAppointment(ctx context.Context, a booking.Appointment, expectVersion int, release bool, next *booking.Block, ev booking.Event) error {
	return s.db.RetryTx(ctx, func(tx *sqlx.Tx) error {
		var old struct {
			Block   sql.NullString `db:"block_id"`
			StaffID string         `db:"staff_id"`
		}
		lock := ""
		if s.db.Dialect == db.Postgres {
			lock = " FOR UPDATE" // concurrent updates queue here and then see the new version
		}
		err := tx.GetContext(ctx, &old, tx.Rebind(`SELECT block_id, staff_id FROM booking_appointments WHERE id = ? AND version = ?`+lock), a.ID, expectVersion)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("the appointment changed meanwhile; read it again: %w", core.ErrPrecondition)
		}
		if err != nil {
			return db.MapError(err)
		}
		if next != nil && next.StaffID != old.StaffID {
			if err := s.lockStaff(ctx, tx, old.StaffID, next.StaffID); err != nil {
				return err
			}
		}
		oldBlock := old.Block
		blockID := oldBlock.String
		if release || next != nil {
			// Detach first: the appointment references its block.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE booking_appointments SET block_id = NULL WHERE id = ?`), a.ID); err != nil {
				return db.MapError(err)
			}
			if oldBlock.Valid {
				if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM booking_blocks WHERE id = ?`), oldBlock.String); err != nil {
					return db.MapError(err)
				}
			}
			blockID = ""
		}
		if next != nil {
			if err := s.takeBlock(ctx, tx, *next, ev.OccurredAt); err != nil {
				return err
			}
			blockID = next.ID
		}
		row := appointmentToRow(a, blockID)
		res, err := tx.NamedExecContext(ctx, `UPDATE booking_appointments SET staff_id = :staff_id, office_id = :office_id,
			room = :room, status = :status, starts_at = :starts_at, ends_at = :ends_at,
			buffer_before_minutes = :buffer_before_minutes, buffer_after_minutes = :buffer_after_minutes,
			block_id = :block_id, cancel_reason = :cancel_reason, sequence = :sequence, version = :version,
			updated_at = :updated_at WHERE id = :id`, row)
		if err := oneRow(res, err, "id"); err != nil {
			return err
		}
		return s.insertEvent(ctx, tx, ev)
	})
}

func (s *Store) ListAppointments(ctx context.Context, f booking.AppointmentFilter, after booking.AppointmentCursor, limit int) ([]booking.Appointment, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.CitizenID != "" {
		add("citizen_id = ?", f.CitizenID)
	}
	if f.AgencyID != "" {
		add("agency_id = ?", f.AgencyID)
	}
	if f.StaffID != "" {
		add("staff_id = ?", f.StaffID)
	}
	if f.OfficeID != "" {
		add("office_id = ?", f.OfficeID)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if !f.From.IsZero() {
		add("starts_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		add("starts_at < ?", f.To.UTC())
	}
	if after.ID != "" {
		where = append(where, "(starts_at, id) > (?, ?)")
		args = append(args, after.Start.UTC(), after.ID)
	}
	q := `SELECT ` + appointmentColumns + ` FROM booking_appointments`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY starts_at, id LIMIT ?`
	args = append(args, limit)
	var rows []appointmentRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.Appointment, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

func (s *Store) Events(ctx context.Context, afterSeq int64, limit int) ([]booking.Event, error) {
	var rows []struct {
		Seq         int64     `db:"seq"`
		ID          string    `db:"id"`
		Type        string    `db:"type"`
		AggregateID string    `db:"aggregate_id"`
		AgencyID    string    `db:"agency_id"`
		Payload     string    `db:"payload"`
		OccurredAt  time.Time `db:"occurred_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT seq, id, type, aggregate_id, agency_id, payload, occurred_at
		FROM booking_events WHERE seq > ? ORDER BY seq LIMIT ?`), afterSeq, limit); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.Event, len(rows))
	for i, r := range rows {
		out[i] = booking.Event{Seq: r.Seq, ID: r.ID, Type: r.Type, AggregateID: r.AggregateID, AgencyID: r.AgencyID,
			Payload: []byte(r.Payload), OccurredAt: r.OccurredAt.UTC()}
	}
	return out, nil
}
