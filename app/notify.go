package app

import (
	"context"
	"slices"

	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/notify"
)

// notifyBookings gives notify what it needs to know of an appointment, read
// from booking as Tidbok itself (the caller's ctx carries core.System).
type notifyBookings struct{ svc booking.Service }

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
