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

// BookingToIntake feeds booking's appointment events to intake, so a meeting
// booked for a case moves the case along.
type BookingToIntake struct {
	Booking BookingOutbox
	Intake  intake.Service
	Cursors CursorStore
	Logger  log.Logger
}

const bookingToIntake = "intake<-booking"

// Poll applies every new event once and advances the cursor; it returns how
// many events it read.
func (c BookingToIntake) Poll(ctx context.Context) (int, error) {
	pos, err := c.Cursors.Cursor(ctx, bookingToIntake)
	if err != nil {
		return 0, err
	}
	events, err := c.Booking.Events(ctx, max(0, pos-lookback), 500)
	if err != nil {
		return 0, err
	}
	for _, ev := range events {
		if err := c.apply(ctx, ev); err != nil {
			return 0, err
		}
		pos = max(pos, ev.Seq)
	}
	return len(events), c.Cursors.SetCursor(ctx, bookingToIntake, pos)
}

func (c BookingToIntake) apply(ctx context.Context, ev booking.Event) error {
	var payload booking.AppointmentEvent
	if err := json.Unmarshal(ev.Payload, &payload); err != nil || payload.Appointment.CaseID == "" {
		return nil // not an appointment event, or not for a case
	}
	start, _ := time.Parse(time.RFC3339, payload.Appointment.Start)
	at, _ := time.Parse(time.RFC3339Nano, payload.Change.At)
	return c.Intake.ApplyAppointmentEvent(ctx, intake.AppointmentEvent{
		EventID: ev.ID, Type: ev.Type, AppointmentID: payload.Appointment.ID, CaseID: payload.Appointment.CaseID,
		AgencyID: payload.Appointment.AgencyID, CitizenID: payload.Appointment.CitizenID,
		Start: start, By: payload.Change.By, At: at,
	})
}

// Run polls every interval until ctx ends. Errors are logged and retried at
// the next tick: events wait in the outbox, so nothing is lost meanwhile.
func (c BookingToIntake) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := c.Poll(ctx); err != nil && ctx.Err() == nil {
			_ = c.Logger.Log("level", "warn", "msg", "consume booking events", "consumer", bookingToIntake, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
