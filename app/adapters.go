package app

import (
	"context"

	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
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
