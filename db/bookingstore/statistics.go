package bookingstore

import (
	"context"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
)

// cancelledBy is the principal ("kind:id") that cancelled appointment a,
// read from its appointment.cancelled event: the appointment row keeps no
// canceller, the outbox does. A JSON path is the one part the engines spell
// differently.
func (s *Store) cancelledBy() string {
	if s.db.Dialect == db.Postgres {
		return `(e.payload::json -> 'change' ->> 'by')`
	}
	return `json_extract(e.payload, '$.change.by')`
}

// AppointmentOutcomes counts in the database, in one statement (one
// snapshot): appointments by their start through booking_appointments_agency_idx,
// call-backs of the agency that ended, and for each cancelled appointment its
// one cancellation event through booking_events_aggregate_idx (migration
// 00015; without it every cancellation scanned the whole outbox).
func (s *Store) AppointmentOutcomes(ctx context.Context, agencyID string, from, to, now time.Time) ([]booking.OutcomeCount, error) {
	from, to = from.UTC(), to.UTC()
	var rows []struct {
		MeetingTypeID string `db:"meeting_type_id"`
		Mode          string `db:"mode"`
		OfficeID      string `db:"office_id"`
		Outcome       string `db:"outcome"`
		N             int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.outcomesQuery(), now.UTC(), agencyID, from, to, agencyID, from, to, from, to); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]booking.OutcomeCount, len(rows))
	for i, r := range rows {
		out[i] = booking.OutcomeCount{MeetingTypeID: r.MeetingTypeID, Mode: booking.Mode(r.Mode), OfficeID: r.OfficeID,
			Outcome: booking.Outcome(r.Outcome), Count: r.N}
	}
	return out, nil
}

// outcomesQuery takes now, agency, from, to, agency, from, to, from, to.
func (s *Store) outcomesQuery() string {
	by := s.cancelledBy()
	return s.db.Rebind(`SELECT meeting_type_id, mode, office_id, outcome, count(*) AS n FROM (
		SELECT CAST(a.meeting_type_id AS text) AS meeting_type_id, a.mode AS mode,
			COALESCE(CAST(a.office_id AS text), '') AS office_id,
			CASE
				WHEN a.status IN ('booked', 'arrived') AND a.starts_at >= ? THEN 'upcoming'
				WHEN a.status IN ('booked', 'arrived') THEN 'unrecorded'
				WHEN a.status = 'cancelled' THEN COALESCE((
					SELECT CASE WHEN ` + by + ` LIKE 'citizen:%' THEN 'cancelled_by_citizen'
						WHEN ` + by + ` LIKE 'staff:%' THEN 'cancelled_by_staff' END
					FROM booking_events e
					WHERE e.aggregate_id = a.id AND e.type = 'appointment.cancelled'
					ORDER BY e.seq DESC LIMIT 1), 'cancelled_by_other')
				ELSE a.status
			END AS outcome
		FROM booking_appointments a
		WHERE a.agency_id = ? AND a.starts_at >= ? AND a.starts_at < ?
		UNION ALL
		SELECT COALESCE(CAST(c.meeting_type_id AS text), ''), 'phone', '',
			CASE c.status WHEN 'completed' THEN 'callback_completed' ELSE 'callback_unreachable' END
		FROM booking_callbacks c
		WHERE c.agency_id = ? AND (
			(c.status = 'completed' AND c.completed_at >= ? AND c.completed_at < ?) OR
			(c.status = 'unreachable' AND c.updated_at >= ? AND c.updated_at < ?))
	) t
	GROUP BY meeting_type_id, mode, office_id, outcome`)
}
