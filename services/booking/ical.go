package booking

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tidbok/tidbok/calendar"
)

// WithOrganizer sets the mailbox calendars name as the organizer of
// meetings; it should be the one invitations are sent from.
func WithOrganizer(email string) Option { return func(s *service) { s.organizer = email } }

// AppointmentCalendar returns the appointment's current iCalendar document:
// the same UID for its whole life and its current SEQUENCE, so importing it
// updates the event a calendar already holds.
func (s *service) AppointmentCalendar(ctx context.Context, id string) ([]byte, error) {
	a, _, err := s.loadAppointment(ctx, id, "appointments:read")
	if err != nil {
		return nil, err
	}
	agency, err := s.repo.Agency(ctx, a.AgencyID)
	if err != nil {
		return nil, err
	}
	mt, err := s.repo.MeetingType(ctx, a.MeetingTypeID)
	if err != nil {
		return nil, err
	}
	e := calendar.Event{
		UID: calendar.UID(a.ID), Sequence: a.Sequence, Start: a.Start, End: a.End, Location: agency.Location(),
		Summary: mt.Name.In(agency.DefaultLanguage) + " – " + agency.Name, Description: mt.Description.In(agency.DefaultLanguage),
		Created: a.CreatedAt, LastModified: a.UpdatedAt,
	}
	if bring := mt.WhatToBring.InEither(agency.DefaultLanguage); bring != "" && a.Status != Cancelled {
		label := "Ta med: "
		if agency.DefaultLanguage == English {
			label = "Bring: "
		}
		e.Description = strings.TrimSpace(e.Description + "\n\n" + label + bring)
	}
	if s.organizer != "" {
		e.Organizer = calendar.Person{Name: agency.Name, Email: s.organizer}
	}
	if a.Status == Cancelled {
		e.Status = calendar.StatusCancelled
	}
	switch a.Mode {
	case Video:
		e.LocationText, e.URL = a.VideoURL, a.VideoURL
	case Phone:
		e.LocationText = "Telefon / Phone: " + a.PhoneNumber
	case InPerson:
		if o, err := s.repo.Office(ctx, a.OfficeID); err == nil {
			parts := []string{o.Name, o.Address.Street, o.Address.PostalCode + " " + o.Address.City}
			if a.Room != "" {
				parts = append(parts, a.Room)
			}
			e.LocationText = strings.Join(slices.DeleteFunc(parts, func(p string) bool { return strings.TrimSpace(p) == "" }), ", ")
		}
	}
	if m, err := s.repo.StaffMember(ctx, a.StaffID); err == nil && m.Email != "" {
		e.Attendees = append(e.Attendees, calendar.Attendee{Person: calendar.Person{Name: m.Name, Email: m.Email},
			Role: calendar.RoleChair, PartStat: calendar.PartStatAccepted})
	}
	if s.citizens != nil {
		if c, err := s.citizens.Citizen(ctx, a.CitizenID); err == nil && c.Email != "" {
			e.Attendees = append(e.Attendees, calendar.Attendee{Person: calendar.Person{Name: c.Name, Email: c.Email},
				Role: calendar.RoleRequired, PartStat: calendar.PartStatAccepted})
		}
	}
	doc, err := calendar.Document(e, s.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("calendar of appointment %s: %w", a.ID, err)
	}
	s.record(ctx, "appointment.calendar_read", "appointment", a.ID, a.AgencyID)
	return doc, nil
}
