package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidbok/tidbok/core"
)

// AppointmentEvent is what intake reads of booking's appointment events.
type AppointmentEvent struct {
	EventID       string
	Type          string // appointment.booked, .rescheduled, .cancelled, .fulfilled, .noshow, ...
	AppointmentID string
	CaseID        string
	Start         time.Time
	By            string // kind:id of who made the change
	At            time.Time
}

// ApplyAppointmentEvent links a booking change to its case: a booked meeting
// schedules the case, a fulfilled one puts it in progress, a no-show and a
// cancellation are noted. Each event is applied once, whatever the replays.
func (s *service) ApplyAppointmentEvent(ctx context.Context, ev AppointmentEvent) error {
	if ev.CaseID == "" {
		return nil
	}
	if !core.ValidID(ev.CaseID) || ev.EventID == "" {
		return fmt.Errorf("appointment event %q: %w", ev.EventID, core.ErrInvalid)
	}
	return s.repo.ApplyOnce(ctx, ev.EventID, func(tx Repository) error {
		c, err := tx.Case(ctx, ev.CaseID)
		if errors.Is(err, core.ErrNotFound) {
			return nil // a case id that is not ours changes nothing
		}
		if err != nil {
			return err
		}
		at := ev.At
		if at.IsZero() {
			at = s.clock.Now()
		}
		when := ev.Start.UTC().Format(time.RFC3339)
		entry := Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryAppointment, VisibleToCitizen: true, Actor: ev.By, Ref: ev.AppointmentID, CreatedAt: at}
		var to Status
		switch ev.Type {
		case "appointment.booked":
			entry.Body, to = "meeting booked "+when, Scheduled
			if ev.By != "" && !isCitizen(ev.By) {
				markFirstContact(&c, at)
			}
		case "appointment.rescheduled":
			entry.Body = "meeting moved to " + when
		case "appointment.cancelled":
			entry.Body = "meeting cancelled"
			if c.Status == Scheduled {
				to = Assigned
			}
		case "appointment.fulfilled":
			entry.Body, to = "meeting held", InProgress
			markFirstContact(&c, at)
		case "appointment.noshow":
			entry.Body = "the citizen did not come to the meeting"
		default:
			return nil
		}
		expect := c.Version
		entries := []Entry{entry}
		if to != "" && c.Status != to && CanMove(c.Status, to) {
			from := c.Status
			s.applyStatus(&c, to, at)
			entries = append(entries, Entry{ID: core.NewID(), CaseID: c.ID, Kind: EntryStatus, StatusFrom: from, StatusTo: to,
				VisibleToCitizen: true, Actor: "system", CreatedAt: at.Add(time.Microsecond)})
		} else {
			c.Version++
			c.UpdatedAt = at
		}
		caseEv := s.caseEvent("case.appointment", c, &entries[len(entries)-1])
		return tx.UpdateCase(ctx, c, expect, entries, &caseEv)
	})
}

func isCitizen(actor string) bool { return len(actor) > 8 && actor[:8] == "citizen:" }
