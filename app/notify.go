package app

import (
	"context"
	"fmt"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
	authtransport "github.com/tidbok/tidbok/transport/auth"
	bookingtransport "github.com/tidbok/tidbok/transport/booking"
)

// notifyBookings gives notify what it needs to know of an appointment, read
// from booking as Tidbok itself (the caller's ctx carries core.System in
// process; over HTTP booking's internal route reads as Tidbok once it has
// let notify's service principal in).
// The staff member's language comes from auth's staff register.
type notifyBookings struct {
	booking bookingReader
	people  authtransport.People
}

func (b notifyBookings) Appointment(ctx context.Context, id string) (notify.AppointmentInfo, error) {
	d, err := b.booking.AppointmentDetails(ctx, id)
	if err != nil {
		return notify.AppointmentInfo{}, err
	}
	info := notify.AppointmentInfo{ID: d.ID, AgencyID: d.AgencyID, AgencyName: d.AgencyName, TimeZone: d.TimeZone,
		MeetingTypeSV: d.MeetingTypeSV, MeetingTypeEN: d.MeetingTypeEN, DescriptionSV: d.DescriptionSV, DescriptionEN: d.DescriptionEN,
		WhatToBringSV: d.WhatToBringSV, WhatToBringEN: d.WhatToBringEN,
		Mode: d.Mode, Status: d.Status, Start: d.Start, End: d.End, Sequence: d.Sequence,
		OfficeName: d.OfficeName, OfficeAddress: d.OfficeAddress, Room: d.Room, AccessibilityNotes: d.AccessibilityNotes,
		VideoURL: d.VideoURL, PhoneNumber: d.PhoneNumber, PhoneDirection: d.PhoneDirection, StaffName: d.StaffName,
		StaffEmail: d.StaffEmail, CitizenID: d.CitizenID, InterpreterLanguage: d.InterpreterLanguage, CancelReason: d.CancelReason,
		Created: d.Created, ReminderBefore: time.Duration(d.ReminderMinutes) * time.Minute, NoReminder: d.NoReminder,
		ManageToken: d.ManageToken}
	if d.StaffAccountID != "" {
		// Staff without a readable account read Swedish, as notify's default.
		info.StaffLanguage, _ = b.people.StaffLanguage(ctx, d.StaffAccountID)
	}
	return info, nil
}

// notifyPeople gives notify the citizen's contact details and choices.
type notifyPeople struct{ reg authtransport.People }

func (p notifyPeople) Citizen(ctx context.Context, id string) (notify.Recipient, error) {
	c, err := p.reg.Citizen(ctx, id)
	if err != nil {
		return notify.Recipient{}, err
	}
	return notify.Recipient{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Language: c.Language,
		NotifyEmail: c.NotifyEmail, NotifySMS: c.NotifySMS}, nil
}

// feedSource lists a person's meetings for their calendar feed: a staff
// member's agency comes from the staff register, the meetings from booking.
type feedSource struct {
	booking   bookingReader
	people    authtransport.People
	organizer string
}

func (f feedSource) FeedEvents(ctx context.Context, owner core.Principal, from time.Time) (string, []calendar.Event, error) {
	fo := bookingtransport.FeedOwner{Kind: owner.Kind, ID: owner.Subject}
	switch owner.Kind {
	case core.KindCitizen:
	case core.KindStaff:
		agencyID, err := f.people.StaffAgency(ctx, owner.Subject)
		if err != nil {
			return "", nil, fmt.Errorf("feed owner: %w", core.ErrNotFound)
		}
		fo.AgencyID = agencyID
	default:
		return "", nil, fmt.Errorf("feed owner kind %q: %w", owner.Kind, core.ErrNotFound)
	}
	feed, err := f.booking.Feed(ctx, fo, from)
	if err != nil {
		return "", nil, err
	}
	events := make([]calendar.Event, 0, len(feed.Items))
	for _, it := range feed.Items {
		loc, err := time.LoadLocation(it.TimeZone)
		if err != nil {
			return "", nil, fmt.Errorf("time zone of appointment %s: %w", it.AppointmentID, err)
		}
		events = append(events, calendar.Event{UID: calendar.UID(it.AppointmentID), Sequence: it.Sequence, Start: it.Start, End: it.End,
			Location: loc, Summary: it.Summary, LocationText: it.Place,
			Organizer: calendar.Person{Name: it.AgencyName, Email: f.organizer},
			Created:   it.Created, LastModified: it.Updated})
	}
	return feed.Name, events, nil
}
