package bookingstore

import (
	"context"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// margin widens the window of loaded absences, closures and busy time, so
// buffers and local dates at the edges see everything that touches them.
const margin = 36 * time.Hour

// AvailabilityData loads, in five queries whatever the number of staff, the
// staff members who serve the meeting type, their offices, absences and busy
// time, and the agency's closures.
func (s *Store) AvailabilityData(ctx context.Context, agencyID, meetingTypeID string, from, to, now time.Time) (booking.AvailabilityData, error) {
	var out booking.AvailabilityData
	var rows []staffRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+prefixed("st", staffColumns)+`
		  FROM booking_staff st JOIN booking_staff_meeting_types l ON l.staff_id = st.id
		 WHERE l.meeting_type_id = ? AND st.agency_id = ? AND st.retired_at IS NULL
		 ORDER BY st.id`), meetingTypeID, agencyID); err != nil {
		return out, db.MapError(err)
	}
	if len(rows) == 0 {
		return out, nil
	}
	index := make(map[string]int, len(rows))
	out.Staff = make([]availability.Staff, len(rows))
	for i, r := range rows {
		m, err := r.domain()
		if err != nil {
			return out, err
		}
		modes := make([]availability.Mode, len(m.Modes))
		for j, md := range m.Modes {
			modes[j] = availability.Mode(md)
		}
		out.Staff[i] = availability.Staff{ID: m.ID, MeetingTypeIDs: []string{meetingTypeID}, Modes: modes, Schedule: m.Schedule}
		index[m.ID] = i
	}

	var offices []struct {
		StaffID  string `db:"staff_id"`
		OfficeID string `db:"office_id"`
	}
	if err := s.db.SelectContext(ctx, &offices, s.db.Rebind(`SELECT o.staff_id, o.office_id
		  FROM booking_staff_offices o
		  JOIN booking_staff_meeting_types l ON l.staff_id = o.staff_id
		  JOIN booking_offices bo ON bo.id = o.office_id
		 WHERE l.meeting_type_id = ? AND bo.retired_at IS NULL`), meetingTypeID); err != nil {
		return out, db.MapError(err)
	}
	for _, o := range offices {
		if i, ok := index[o.StaffID]; ok {
			out.Staff[i].OfficeIDs = append(out.Staff[i].OfficeIDs, o.OfficeID)
		}
	}

	loc := time.UTC
	var tz string
	if err := s.db.GetContext(ctx, &tz, s.db.Rebind(`SELECT time_zone FROM booking_agencies WHERE id = ?`), agencyID); err != nil {
		return out, db.MapError(err)
	}
	if l, err := time.LoadLocation(tz); err == nil {
		loc = l
	}
	// Local wall-clock bounds for absences and closures, stored as text.
	lo := from.Add(-margin).In(loc).Format("2006-01-02T15:04")
	hi := to.Add(margin).In(loc).Format("2006-01-02T15:04")

	var absences []localRangeRow
	if err := s.db.SelectContext(ctx, &absences, s.db.Rebind(`SELECT a.id, a.staff_id AS owner, a.kind, a.start_local, a.end_local, '' AS reason
		  FROM booking_absences a JOIN booking_staff_meeting_types l ON l.staff_id = a.staff_id
		 WHERE l.meeting_type_id = ? AND a.end_local > ? AND a.start_local < ?`), meetingTypeID, lo, hi); err != nil {
		return out, db.MapError(err)
	}
	for _, r := range absences {
		a, err := r.absence()
		if err != nil {
			return out, err
		}
		if i, ok := index[a.StaffID]; ok {
			out.Staff[i].Schedule.Absences = append(out.Staff[i].Schedule.Absences, a.Absence)
		}
	}

	var closures []localRangeRow
	if err := s.db.SelectContext(ctx, &closures, s.db.Rebind(`SELECT id, agency_id AS owner, '' AS kind, start_local, end_local, reason
		  FROM booking_closures WHERE agency_id = ? AND end_local > ? AND start_local < ?`), agencyID, lo, hi); err != nil {
		return out, db.MapError(err)
	}
	for _, r := range closures {
		c, err := r.closure()
		if err != nil {
			return out, err
		}
		out.Closures = append(out.Closures, c.Closure)
	}

	if err := s.loadBusy(ctx, meetingTypeID, from.Add(-margin), to.Add(margin), now.UTC(), index, out.Staff); err != nil {
		return out, err
	}
	return out, nil
}

// loadBusy adds every appointment and live hold overlapping [from, to) to
// the staff's busy time. This is the query that grows with bookings, so it
// reads bare integers with a plain Scan rather than timestamps through sqlx.
func (s *Store) loadBusy(ctx context.Context, meetingTypeID string, from, to, now time.Time, index map[string]int, staff []availability.Staff) error {
	var query string
	var args []any
	switch s.db.Dialect {
	case db.Postgres:
		query = `SELECT b.staff_id::text,
		                (extract(epoch FROM b.blocked_from) * 1000)::bigint,
		                (extract(epoch FROM b.blocked_to) * 1000)::bigint
		           FROM booking_blocks b JOIN booking_staff_meeting_types l ON l.staff_id = b.staff_id
		          WHERE l.meeting_type_id = $1 AND b.blocked_to > $2 AND b.blocked_from < $3
		            AND (b.kind = 'appointment' OR b.expires_at > $4)`
		args = []any{meetingTypeID, from.UTC(), to.UTC(), now}
	default:
		query = `SELECT b.staff_id, b.blocked_from, b.blocked_to
		           FROM booking_blocks b JOIN booking_staff_meeting_types l ON l.staff_id = b.staff_id
		          WHERE l.meeting_type_id = ? AND b.blocked_to > ? AND b.blocked_from < ?
		            AND (b.kind = 'appointment' OR b.expires_at > ?)`
		args = []any{meetingTypeID, from.UnixMilli(), to.UnixMilli(), now.UnixMilli()}
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return db.MapError(err)
	}
	defer rows.Close()
	var staffID string
	var fromMS, toMS int64
	for rows.Next() {
		if err := rows.Scan(&staffID, &fromMS, &toMS); err != nil {
			return db.MapError(err)
		}
		if i, ok := index[staffID]; ok {
			staff[i].Busy = append(staff[i].Busy, availability.Busy{Start: time.UnixMilli(fromMS).UTC(), End: time.UnixMilli(toMS).UTC()})
		}
	}
	return db.MapError(rows.Err())
}

func prefixed(alias, columns string) string {
	out := ""
	for i, c := range splitColumns(columns) {
		if i > 0 {
			out += ", "
		}
		out += alias + "." + c
	}
	return out
}

func splitColumns(columns string) []string {
	var out []string
	cur := ""
	for _, r := range columns {
		switch r {
		case ',':
			out = append(out, cur)
			cur = ""
		case ' ', '\n', '\t':
		default:
			cur += string(r)
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}
