package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/core"

	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/notify"
)

// notifyBookings gives notify what it needs to know of an appointment, read
// from booking as Tidbok itself (the caller's ctx carries core.System):
// with the citizen's manage-link token, minted by booking, and the staff
// member's language, from auth.
type notifyBookings struct {
	svc   booking.Service
	links *booking.ManageLinks // nil: messages carry no manage link
	staff auth.CitizenRegister // nil: staff read Swedish
}

func (b notifyBookings) Appointment(ctx context.Context, id string) (notify.AppointmentInfo, error) {
	a, err := b.svc.GetAppointment(ctx, id)
	if err != nil {
		return notify.AppointmentInfo{}, err
	}
	agency, err := b.svc.GetAgency(ctx, a.AgencyID)
	if err != nil {
		return notify.AppointmentInfo{}, err
	}
	info := notify.AppointmentInfo{ID: a.ID, AgencyID: a.AgencyID, AgencyName: agency.Name, TimeZone: agency.TimeZone,
		Mode: string(a.Mode), Status: string(a.Status), Start: a.Start, End: a.End, Sequence: a.Sequence, Room: a.Room,
		VideoURL: a.VideoURL, PhoneNumber: a.PhoneNumber, PhoneDirection: string(a.PhoneDirection), CitizenID: a.CitizenID,
		InterpreterLanguage: a.InterpreterLanguage, CancelReason: a.CancelReason, Created: a.CreatedAt}
	if types, err := b.svc.ListMeetingTypes(ctx, a.AgencyID); err == nil {
		if i := slices.IndexFunc(types, func(t booking.MeetingType) bool { return t.ID == a.MeetingTypeID }); i >= 0 {
			info.MeetingTypeSV, info.MeetingTypeEN = types[i].Name.SV, types[i].Name.EN
			info.DescriptionSV, info.DescriptionEN = types[i].Description.SV, types[i].Description.EN
			info.ReminderBefore, info.NoReminder = types[i].ReminderBefore, types[i].ReminderBefore == 0
		}
	}
	if a.OfficeID != "" {
		if offices, err := b.svc.ListOffices(ctx, a.AgencyID); err == nil {
			if i := slices.IndexFunc(offices, func(o booking.Office) bool { return o.ID == a.OfficeID }); i >= 0 {
				o := offices[i]
				info.OfficeName = o.Name
				info.OfficeAddress = o.Address.Street + ", " + o.Address.PostalCode + " " + o.Address.City
				info.AccessibilityNotes = o.AccessibilityNotes
			}
		}
	}
	if m, err := b.svc.GetStaffMember(ctx, a.AgencyID, a.StaffID); err == nil {
		info.StaffName, info.StaffEmail = m.Name, m.Email
		if m.AccountID != "" && b.staff != nil {
			info.StaffLanguage, _ = b.staff.StaffLanguage(ctx, m.AccountID)
		}
	}
	if b.links != nil {
		if info.ManageToken, err = b.links.Mint(a); err != nil {
			return notify.AppointmentInfo{}, err
		}
	}
	return info, nil
}

// notifyPeople gives notify the citizen's contact details and choices.
type notifyPeople struct{ reg auth.CitizenRegister }

func (p notifyPeople) Citizen(ctx context.Context, id string) (notify.Recipient, error) {
	c, err := p.reg.CitizenContact(ctx, id)
	if err != nil {
		return notify.Recipient{}, err
	}
	return notify.Recipient{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Language: c.Language,
		NotifyEmail: c.NotifyEmail, NotifySMS: c.NotifySMS}, nil
}

// feedSource lists a person's meetings for their calendar feed. A citizen's
// are read as the citizen; a staff member's as Tidbok itself, limited to
// the staff member linked to the account.
type feedSource struct {
	booking   booking.Service
	people    auth.CitizenRegister
	organizer string
}

func (f feedSource) FeedEvents(ctx context.Context, owner core.Principal, from time.Time) (string, []calendar.Event, error) {
	filter := booking.AppointmentFilter{From: from, Limit: booking.MaxPageSize}
	name := "Tidbok"
	switch owner.Kind {
	case core.KindCitizen:
		ctx = core.WithPrincipal(ctx, owner)
		name = "Mina möten / My meetings"
	case core.KindStaff:
		agencyID, err := f.people.StaffAgency(ctx, owner.Subject)
		if err != nil {
			return "", nil, fmt.Errorf("feed owner: %w", core.ErrNotFound)
		}
		ctx = core.WithPrincipal(ctx, core.System("feeds"))
		members, err := f.booking.ListStaffMembers(ctx, agencyID)
		if err != nil {
			return "", nil, err
		}
		i := slices.IndexFunc(members, func(m booking.StaffMember) bool { return m.AccountID == owner.Subject })
		if i < 0 {
			return "Tidbok", nil, nil // an account that meets nobody has an empty calendar
		}
		filter.AgencyID, filter.StaffID = agencyID, members[i].ID
		name = members[i].Name + " – Tidbok"
	default:
		return "", nil, fmt.Errorf("feed owner kind %q: %w", owner.Kind, core.ErrNotFound)
	}
	var events []calendar.Event
	names := map[string]string{}
	for page := 0; page < 5; page++ {
		res, err := f.booking.ListAppointments(ctx, filter)
		if err != nil {
			return "", nil, err
		}
		for _, a := range res.Appointments {
			if a.Status == booking.Cancelled {
				continue // a feed shows what will happen; cancellations left with the invitations
			}
			agency, err := f.booking.GetAgency(ctx, a.AgencyID)
			if err != nil {
				return "", nil, err
			}
			if _, ok := names[a.MeetingTypeID]; !ok {
				types, _ := f.booking.ListMeetingTypes(ctx, a.AgencyID)
				for _, t := range types {
					names[t.ID] = t.Name.In(agency.DefaultLanguage)
				}
			}
			loc := agency.Location()
			events = append(events, calendar.Event{UID: calendar.UID(a.ID), Sequence: a.Sequence, Start: a.Start, End: a.End,
				Location: loc, Summary: names[a.MeetingTypeID] + " – " + agency.Name, LocationText: feedPlace(a),
				Organizer: calendar.Person{Name: agency.Name, Email: f.organizer},
				Created:   a.CreatedAt, LastModified: a.UpdatedAt})
		}
		if res.NextCursor == "" {
			break
		}
		filter.Cursor = res.NextCursor
	}
	return name, events, nil
}

func feedPlace(a booking.Appointment) string {
	switch a.Mode {
	case booking.Video:
		return a.VideoURL
	case booking.Phone:
		return "Telefon / Phone"
	}
	return a.Room
}
