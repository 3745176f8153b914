package app

import (
	"context"

	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/intake"
)

// The adapters below let one service use another in process while neither
// imports the other: each declares what it needs, and they meet here.

// bookingCitizens gives booking the auth service's citizen register.
type bookingCitizens struct{ reg auth.CitizenRegister }

func contactOf(c auth.Citizen) booking.CitizenContact {
	return booking.CitizenContact{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Language: c.Language}
}

func (b bookingCitizens) ResolveCitizen(ctx context.Context, ref booking.CitizenRef) (booking.CitizenContact, error) {
	c, err := b.reg.ResolveCitizen(ctx, auth.CitizenRef(ref))
	return contactOf(c), err
}

func (b bookingCitizens) Citizen(ctx context.Context, id string) (booking.CitizenContact, error) {
	c, err := b.reg.CitizenContact(ctx, id)
	return contactOf(c), err
}

// auditLog gives any service the auth service's audit log.
type auditLog struct{ svc auth.Service }

func (a auditLog) Record(ctx context.Context, action, targetKind, targetID, agencyID string) {
	_ = a.svc.RecordAudit(ctx, auth.AuditEntry{Action: action, TargetKind: targetKind, TargetID: targetID, AgencyID: agencyID})
}

// intakeAgencies gives intake booking's directory.
type intakeAgencies struct{ dir booking.Directory }

func (a intakeAgencies) Agency(ctx context.Context, id string) (intake.AgencyInfo, error) {
	ag, err := a.dir.GetAgency(ctx, id)
	return intake.AgencyInfo{ID: ag.ID, Name: ag.Name, TimeZone: ag.TimeZone}, err
}

func (a intakeAgencies) MeetingTypeIDs(ctx context.Context, agencyID string) ([]string, error) {
	types, err := a.dir.ListMeetingTypes(ctx, agencyID)
	ids := make([]string, len(types))
	for i, t := range types {
		ids[i] = t.ID
	}
	return ids, err
}

// intakePeople gives intake the auth service's citizen and staff registers.
type intakePeople struct{ reg auth.CitizenRegister }

func citizenInfo(c auth.Citizen) intake.CitizenInfo {
	info := intake.CitizenInfo{ID: c.ID, HasPIN: !c.PIN.IsZero()}
	if info.HasPIN {
		info.MaskedPIN = c.PIN.Masked()
	}
	return info
}

func (p intakePeople) ResolveCitizen(ctx context.Context, ref intake.CitizenRef) (intake.CitizenInfo, error) {
	c, err := p.reg.ResolveCitizen(ctx, auth.CitizenRef(ref))
	return citizenInfo(c), err
}

func (p intakePeople) Citizen(ctx context.Context, id string) (intake.CitizenInfo, error) {
	c, err := p.reg.CitizenContact(ctx, id)
	return citizenInfo(c), err
}

func (p intakePeople) StaffAgency(ctx context.Context, id string) (string, error) {
	return p.reg.StaffAgency(ctx, id)
}
