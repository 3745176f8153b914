package bookingstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Office returns one office, retired or not.
func (s *Store) Office(ctx context.Context, id string) (booking.Office, error) {
	var r officeRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+officeColumns+` FROM booking_offices WHERE id = ?`), id); err != nil {
		return booking.Office{}, db.MapError(err)
	}
	return r.domain(), nil
}

// MeetingType returns one meeting type, retired or not.
func (s *Store) MeetingType(ctx context.Context, id string) (booking.MeetingType, error) {
	stmt, err := s.prepared(ctx, s.db.Rebind(`SELECT `+meetingTypeColumns+` FROM booking_meeting_types WHERE id = ?`))
	if err != nil {
		return booking.MeetingType{}, err
	}
	var r meetingTypeRow
	if err := stmt.GetContext(ctx, &r, id); err != nil {
		return booking.MeetingType{}, db.MapError(err)
	}
	return r.domain(), nil
}

// MeetingTypeAgency returns a meeting type, retired or not, and its agency
// in one query: availability and booking need both on every call.
func (s *Store) MeetingTypeAgency(ctx context.Context, id string) (booking.MeetingType, booking.Agency, error) {
	stmt, err := s.prepared(ctx, s.db.Rebind(`SELECT `+prefixed("mt.", meetingTypeColumns)+`, `+prefixed("a.", agencyColumns)+`
		  FROM booking_meeting_types mt JOIN booking_agencies a ON a.id = mt.agency_id WHERE mt.id = ?`))
	if err != nil {
		return booking.MeetingType{}, booking.Agency{}, err
	}
	var m meetingTypeRow
	var a agencyRow
	err = stmt.QueryRowContext(ctx, id).Scan(&m.ID, &m.AgencyID, &m.NameSV, &m.NameEN, &m.DescriptionSV, &m.DescriptionEN,
		&m.WhatToBringSV, &m.WhatToBringEN,
		&m.DurationMinutes, &m.ModePhone, &m.ModeVideo, &m.ModeInPerson, &m.BufferBefore, &m.BufferAfter, &m.SlotStep,
		&m.MinNotice, &m.HorizonDays, &m.CancelCutoff, &m.CitizenBookable, &m.MaxActive, &m.ReminderMinutes,
		&m.CreatedAt, &m.UpdatedAt, &m.RetiredAt,
		&a.ID, &a.Name, &a.OrgNumber, &a.Kind, &a.TimeZone, &a.DefaultLanguage, &a.OpenHolidays, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return booking.MeetingType{}, booking.Agency{}, db.MapError(err)
	}
	return m.domain(), a.domain(), nil
}

// prefixed qualifies each of a comma-separated list of columns.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func (s *Store) retire(ctx context.Context, table, id string, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE `+table+` SET retired_at = ? WHERE id = ? AND retired_at IS NULL`), at.UTC(), id)
		return db.MapError(err)
	})
}

// RetireOffice closes an office for good; it stays for history.
func (s *Store) RetireOffice(ctx context.Context, id string, at time.Time) error {
	return s.retire(ctx, "booking_offices", id, at)
}

// RetireMeetingType stops offering a meeting type; it stays for history.
func (s *Store) RetireMeetingType(ctx context.Context, id string, at time.Time) error {
	return s.retire(ctx, "booking_meeting_types", id, at)
}

// RetireStaffMember removes a staff member from availability; they stay for history.
func (s *Store) RetireStaffMember(ctx context.Context, id string, at time.Time) error {
	return s.retire(ctx, "booking_staff", id, at)
}

// ---- staff members ----

// The schedule is stored as JSON in the staff row: it is always read and
// written whole, and validated by the domain before it gets here.
type hoursJSON struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Office string `json:"office"`
}

type weeklyJSON struct {
	Weekday int `json:"weekday"`
	hoursJSON
}

type exceptionJSON struct {
	Date   string      `json:"date"`
	Closed bool        `json:"closed"`
	Hours  []hoursJSON `json:"hours"`
}

func encodeSchedule(sc availability.Schedule) (weekly, exceptions string) {
	w := make([]weeklyJSON, len(sc.Weekly))
	for i, h := range sc.Weekly {
		w[i] = weeklyJSON{Weekday: int(h.Weekday), hoursJSON: hoursJSON{h.Start.String(), h.End.String(), h.OfficeID}}
	}
	e := make([]exceptionJSON, len(sc.Exceptions))
	for i, x := range sc.Exceptions {
		e[i] = exceptionJSON{Date: x.Date.String(), Closed: x.Closed, Hours: make([]hoursJSON, len(x.Hours))}
		for j, h := range x.Hours {
			e[i].Hours[j] = hoursJSON{h.Start.String(), h.End.String(), h.OfficeID}
		}
	}
	wb, _ := json.Marshal(w)
	eb, _ := json.Marshal(e)
	return string(wb), string(eb)
}

func decodeHours(h hoursJSON) (availability.Hours, error) {
	start, err := availability.ParseClock(h.Start)
	if err != nil {
		return availability.Hours{}, err
	}
	end, err := availability.ParseClock(h.End)
	if err != nil {
		return availability.Hours{}, err
	}
	return availability.Hours{Start: start, End: end, OfficeID: h.Office}, nil
}

func decodeSchedule(weekly, exceptions string) (availability.Schedule, error) {
	var sc availability.Schedule
	var w []weeklyJSON
	var e []exceptionJSON
	if err := json.Unmarshal([]byte(weekly), &w); err != nil {
		return sc, fmt.Errorf("stored weekly hours: %w", err)
	}
	if err := json.Unmarshal([]byte(exceptions), &e); err != nil {
		return sc, fmt.Errorf("stored exceptions: %w", err)
	}
	for _, x := range w {
		h, err := decodeHours(x.hoursJSON)
		if err != nil {
			return sc, err
		}
		sc.Weekly = append(sc.Weekly, availability.WeeklyInterval{Weekday: time.Weekday(x.Weekday), Start: h.Start, End: h.End, OfficeID: h.OfficeID})
	}
	for _, x := range e {
		d, err := availability.ParseDate(x.Date)
		if err != nil {
			return sc, err
		}
		ex := availability.DateException{Date: d, Closed: x.Closed}
		for _, hj := range x.Hours {
			h, err := decodeHours(hj)
			if err != nil {
				return sc, err
			}
			ex.Hours = append(ex.Hours, h)
		}
		sc.Exceptions = append(sc.Exceptions, ex)
	}
	return sc, nil
}

type staffRow struct {
	ID           string         `db:"id"`
	AgencyID     string         `db:"agency_id"`
	AccountID    sql.NullString `db:"account_id"`
	Name         string         `db:"name"`
	Title        string         `db:"title"`
	Email        string         `db:"email"`
	ModePhone    bool           `db:"mode_phone"`
	ModeVideo    bool           `db:"mode_video"`
	ModeInPerson bool           `db:"mode_in_person"`
	WeeklyHours  string         `db:"weekly_hours"`
	Exceptions   string         `db:"exceptions"`
	RetiredAt    *time.Time     `db:"retired_at"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

const staffColumns = `id, agency_id, account_id, name, title, email, mode_phone, mode_video, mode_in_person,
	weekly_hours, exceptions, retired_at, created_at, updated_at`

func (r staffRow) domain() (booking.StaffMember, error) {
	sc, err := decodeSchedule(r.WeeklyHours, r.Exceptions)
	if err != nil {
		return booking.StaffMember{}, fmt.Errorf("staff member %s: %w", r.ID, err)
	}
	m := booking.StaffMember{ID: r.ID, AgencyID: r.AgencyID, AccountID: r.AccountID.String, Name: r.Name, Title: r.Title,
		Email: r.Email, Schedule: sc, RetiredAt: utcPtr(r.RetiredAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	m.Modes = modesOf(r.ModePhone, r.ModeVideo, r.ModeInPerson)
	return m, nil
}

func modesOf(phone, video, inPerson bool) []booking.Mode {
	var out []booking.Mode
	if phone {
		out = append(out, booking.Phone)
	}
	if video {
		out = append(out, booking.Video)
	}
	if inPerson {
		out = append(out, booking.InPerson)
	}
	return out
}

// StaffMembers returns the agency's active staff members with what they
// offer and where.
func (s *Store) StaffMembers(ctx context.Context, agencyID string) ([]booking.StaffMember, error) {
	var rows []staffRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+staffColumns+` FROM booking_staff
		WHERE agency_id = ? AND retired_at IS NULL ORDER BY name, id`), agencyID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.StaffMember, 0, len(rows))
	index := map[string]int{}
	for _, r := range rows {
		m, err := r.domain()
		if err != nil {
			return nil, err
		}
		index[m.ID] = len(out)
		out = append(out, m)
	}
	var links []struct {
		StaffID string `db:"staff_id"`
		ID      string `db:"id"`
		Kind    string `db:"kind"`
	}
	if err := s.db.SelectContext(ctx, &links, s.db.Rebind(`
		SELECT l.staff_id, l.meeting_type_id AS id, 'type' AS kind FROM booking_staff_meeting_types l
		  JOIN booking_staff st ON st.id = l.staff_id WHERE st.agency_id = ?
		UNION ALL
		SELECT l.staff_id, l.office_id AS id, 'office' AS kind FROM booking_staff_offices l
		  JOIN booking_staff st ON st.id = l.staff_id WHERE st.agency_id = ?
		ORDER BY 1, 3, 2`), agencyID, agencyID); err != nil {
		return nil, db.MapError(err)
	}
	for _, l := range links {
		i, ok := index[l.StaffID]
		if !ok {
			continue
		}
		if l.Kind == "type" {
			out[i].MeetingTypeIDs = append(out[i].MeetingTypeIDs, l.ID)
		} else {
			out[i].OfficeIDs = append(out[i].OfficeIDs, l.ID)
		}
	}
	return out, nil
}

// StaffMember returns one staff member, retired or not.
func (s *Store) StaffMember(ctx context.Context, id string) (booking.StaffMember, error) {
	var r staffRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+staffColumns+` FROM booking_staff WHERE id = ?`), id); err != nil {
		return booking.StaffMember{}, db.MapError(err)
	}
	m, err := r.domain()
	if err != nil {
		return booking.StaffMember{}, err
	}
	if err := s.db.SelectContext(ctx, &m.MeetingTypeIDs, s.db.Rebind(
		`SELECT meeting_type_id FROM booking_staff_meeting_types WHERE staff_id = ? ORDER BY meeting_type_id`), id); err != nil {
		return booking.StaffMember{}, db.MapError(err)
	}
	if err := s.db.SelectContext(ctx, &m.OfficeIDs, s.db.Rebind(
		`SELECT office_id FROM booking_staff_offices WHERE staff_id = ? ORDER BY office_id`), id); err != nil {
		return booking.StaffMember{}, db.MapError(err)
	}
	return m, nil
}

// SaveStaffMember inserts or replaces a staff member with their links.
func (s *Store) SaveStaffMember(ctx context.Context, m booking.StaffMember) error {
	weekly, exceptions := encodeSchedule(m.Schedule)
	row := staffRow{ID: m.ID, AgencyID: m.AgencyID, AccountID: sql.NullString{String: m.AccountID, Valid: m.AccountID != ""},
		Name: m.Name, Title: m.Title, Email: m.Email, ModePhone: m.Offers(booking.Phone), ModeVideo: m.Offers(booking.Video),
		ModeInPerson: m.Offers(booking.InPerson), WeeklyHours: weekly, Exceptions: exceptions, RetiredAt: utcPtr(m.RetiredAt),
		CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC()}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO booking_staff (`+staffColumns+`)
			VALUES (:id, :agency_id, :account_id, :name, :title, :email, :mode_phone, :mode_video, :mode_in_person,
			        :weekly_hours, :exceptions, :retired_at, :created_at, :updated_at)
			ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, name = excluded.name, title = excluded.title,
			  email = excluded.email, mode_phone = excluded.mode_phone, mode_video = excluded.mode_video,
			  mode_in_person = excluded.mode_in_person, weekly_hours = excluded.weekly_hours,
			  exceptions = excluded.exceptions, updated_at = excluded.updated_at`, row)
		if err != nil {
			return db.MapError(err)
		}
		for _, table := range []string{"booking_staff_meeting_types", "booking_staff_offices"} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM `+table+` WHERE staff_id = ?`), m.ID); err != nil {
				return db.MapError(err)
			}
		}
		for _, id := range m.MeetingTypeIDs {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_staff_meeting_types (staff_id, meeting_type_id) VALUES (?, ?)`), m.ID, id); err != nil {
				return db.MapError(err)
			}
		}
		for _, id := range m.OfficeIDs {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_staff_offices (staff_id, office_id) VALUES (?, ?)`), m.ID, id); err != nil {
				return db.MapError(err)
			}
		}
		return nil
	})
}

// ---- absences and closures ----

func parseLocal(s string) (availability.DateTime, error) {
	d, c, ok := strings.Cut(s, "T")
	if !ok {
		return availability.DateTime{}, fmt.Errorf("stored local time %q", s)
	}
	date, err := availability.ParseDate(d)
	if err != nil {
		return availability.DateTime{}, err
	}
	clock, err := availability.ParseClock(c)
	if err != nil {
		return availability.DateTime{}, err
	}
	return availability.DateTime{Date: date, Clock: clock}, nil
}

type localRangeRow struct {
	ID     string `db:"id"`
	Owner  string `db:"owner"`
	Kind   string `db:"kind"`
	Start  string `db:"start_local"`
	End    string `db:"end_local"`
	Reason string `db:"reason"`
}

func (r localRangeRow) span() (availability.DateTime, availability.DateTime, error) {
	start, err := parseLocal(r.Start)
	if err != nil {
		return start, start, err
	}
	end, err := parseLocal(r.End)
	return start, end, err
}

func (r localRangeRow) absence() (booking.Absence, error) {
	start, end, err := r.span()
	return booking.Absence{ID: r.ID, StaffID: r.Owner, Absence: availability.Absence{Kind: availability.AbsenceKind(r.Kind), Start: start, End: end}}, err
}

func (r localRangeRow) closure() (booking.Closure, error) {
	start, end, err := r.span()
	return booking.Closure{ID: r.ID, AgencyID: r.Owner, Closure: availability.Closure{Start: start, End: end, Reason: r.Reason}}, err
}

// Absences returns a staff member's absences, oldest first.
func (s *Store) Absences(ctx context.Context, staffID string) ([]booking.Absence, error) {
	var rows []localRangeRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, staff_id AS owner, kind, start_local, end_local, '' AS reason
		FROM booking_absences WHERE staff_id = ? ORDER BY start_local, id`), staffID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.Absence, len(rows))
	for i, r := range rows {
		a, err := r.absence()
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// SaveAbsence stores a new absence.
func (s *Store) SaveAbsence(ctx context.Context, a booking.Absence, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_absences (id, staff_id, kind, start_local, end_local, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`), a.ID, a.StaffID, string(a.Kind), a.Start.String(), a.End.String(), at.UTC())
		return db.MapError(err)
	})
}

// DeleteAbsence removes an absence of the staff member.
func (s *Store) DeleteAbsence(ctx context.Context, staffID, id string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM booking_absences WHERE id = ? AND staff_id = ?`), id, staffID)
		return oneRow(res, err, "absence_id")
	})
}

// Closures returns the agency's closures, oldest first.
func (s *Store) Closures(ctx context.Context, agencyID string) ([]booking.Closure, error) {
	var rows []localRangeRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, agency_id AS owner, '' AS kind, start_local, end_local, reason
		FROM booking_closures WHERE agency_id = ? ORDER BY start_local, id`), agencyID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.Closure, len(rows))
	for i, r := range rows {
		c, err := r.closure()
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// SaveClosure stores a new closure.
func (s *Store) SaveClosure(ctx context.Context, c booking.Closure, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO booking_closures (id, agency_id, start_local, end_local, reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`), c.ID, c.AgencyID, c.Start.String(), c.End.String(), c.Reason, at.UTC())
		return db.MapError(err)
	})
}

// DeleteClosure removes a closure of the agency.
func (s *Store) DeleteClosure(ctx context.Context, agencyID, id string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM booking_closures WHERE id = ? AND agency_id = ?`), id, agencyID)
		return oneRow(res, err, "closure_id")
	})
}

func oneRow(res sql.Result, err error, field string) error {
	if err != nil {
		return db.MapError(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%s: no such record: %w", field, core.ErrNotFound)
	}
	return nil
}
