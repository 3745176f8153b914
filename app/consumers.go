package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/intake"
)

// CursorStore remembers how far a consumer has read a service's events.
type CursorStore interface {
	Cursor(ctx context.Context, consumer string) (int64, error)
	SetCursor(ctx context.Context, consumer string, position int64) error
}

// lookback is how many events before the cursor a poll reads again. On
// PostgreSQL sequence numbers are handed out at insert but become visible at
// commit, so a slow transaction can surface behind the cursor; reading a
// little back catches it, and consumers apply each event once anyway.
const lookback = 200

// BookingToIntake is the name of intake's consumer of booking's events.
const BookingToIntake = "intake<-booking"

// bookingToIntake applies booking's appointment events to intake, so a
// meeting booked for a case moves the case along. Intake records each event
// it applied in the same transaction as its effect (ApplyOnce), so the pump
// needs no consumed records of its own.
func bookingToIntake(svc intake.Service) func(ctx context.Context, ev PumpEvent) error {
	return func(ctx context.Context, ev PumpEvent) error {
		var payload booking.AppointmentEvent
		if err := json.Unmarshal(ev.Payload, &payload); err != nil || payload.Appointment.CaseID == "" {
			return nil // not an appointment event, or not for a case
		}
		start, _ := time.Parse(time.RFC3339, payload.Appointment.Start)
		at, _ := time.Parse(time.RFC3339Nano, payload.Change.At)
		return svc.ApplyAppointmentEvent(ctx, intake.AppointmentEvent{
			EventID: ev.ID, Type: ev.Type, AppointmentID: payload.Appointment.ID, CaseID: payload.Appointment.CaseID,
			AgencyID: payload.Appointment.AgencyID, CitizenID: payload.Appointment.CitizenID,
			Start: start, By: payload.Change.By, At: at,
		})
	}
}

// ConsumedRetention is how long by default the records of consumed events
// are kept. Only events a pump may read again need them, and lookback reads
// nothing older than lookbackAge.
const ConsumedRetention = 30 * 24 * time.Hour

// consumedPruner deletes what a service's consumers recorded of the events
// they consumed.
type consumedPruner interface {
	PruneConsumed(ctx context.Context, before time.Time) (int64, error)
}

// pruneConsumed deletes the consumed records older than retention in every
// store, every hour until ctx ends.
func pruneConsumed(ctx context.Context, stores []consumedPruner, retention time.Duration, logger log.Logger) {
	every(ctx, time.Hour, func() {
		for _, s := range stores {
			if _, err := s.PruneConsumed(ctx, time.Now().Add(-retention)); err != nil && ctx.Err() == nil {
				_ = logger.Log("level", "warn", "msg", "prune consumed events", "err", err)
			}
		}
	})
}
