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
	// AgencyID and CitizenID are the appointment's: an appointment of
	// another agency or citizen that names the case leaves it alone.
	AgencyID  string
	CitizenID string
	Start     time.Time
	By        string // kind:id of who made the change
	At        time.Time
}

// ApplyAppointmentEvent links a booking change to its case: a booked meeting
// schedules the case, a fulfilled one puts it in progress, a no-show and a
// cancellation are noted. Each event is applied once, whatever the replays.
// Booking does not know cases, so anyone may name any case id in a booking:
// only a meeting of the case's own citizen at the case's own agency counts.
func (s *service) ApplyAppointmentEvent(ctx context.Context, ev AppointmentEvent) error {
	// An id that is no case of ours changes nothing; refusing it would stop
	// the consumer at this event for good.
	if !core.ValidID(ev.CaseID) {
		return nil
	}
	if ev.EventID == "" {
		return fmt.Errorf("appointment event without an id for case %s: %w", ev.CaseID, core.ErrInvalid)
	}
	return s.repo.ApplyOnce(ctx, ev.EventID, func(tx Repository) error {
		c, err := tx.Case(ctx, ev.CaseID)
		if errors.Is(err, core.ErrNotFound) {
			return nil // a case id that is not ours changes nothing
		}
		if err != nil {
			return err
		}
		if c.AgencyID != ev.AgencyID || c.CitizenID != ev.CitizenID {
			return nil
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
		if c.followsMeeting(to) {
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
