package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/intake"
	authtransport "github.com/tidbok/tidbok/transport/auth"
	bookingtransport "github.com/tidbok/tidbok/transport/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// The adapters below let one service use another while neither imports the
// other: each declares what it needs, and they meet here. What they wrap is
// the other service itself when it runs in this process, or its HTTP client
// from transport/<name> when it runs elsewhere; NewServer decides which.

// bookingCitizens gives booking the citizen register.
type bookingCitizens struct{ reg authtransport.People }

func contactOf(c authtransport.CitizenRecord) booking.CitizenContact {
	return booking.CitizenContact{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Language: c.Language}
}

func (b bookingCitizens) ResolveCitizen(ctx context.Context, ref booking.CitizenRef) (booking.CitizenContact, error) {
	c, err := b.reg.ResolveCitizen(ctx, auth.CitizenRef(ref))
	return contactOf(c), err
}

func (b bookingCitizens) Citizen(ctx context.Context, id string) (booking.CitizenContact, error) {
	c, err := b.reg.Citizen(ctx, id)
	return contactOf(c), err
}

// auditLog gives any service the audit log.
type auditLog struct{ log authtransport.Auditor }

func (a auditLog) Record(ctx context.Context, action, targetKind, targetID, agencyID string) {
	_ = a.log.RecordAudit(ctx, auth.AuditEntry{Action: action, TargetKind: targetKind, TargetID: targetID, AgencyID: agencyID})
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

// intakePeople gives intake the citizen and staff registers.
type intakePeople struct{ reg authtransport.People }

func citizenInfo(c authtransport.CitizenRecord) intake.CitizenInfo {
	return intake.CitizenInfo{ID: c.ID, HasPIN: c.HasPIN, MaskedPIN: c.MaskedPIN}
}

func (p intakePeople) ResolveCitizen(ctx context.Context, ref intake.CitizenRef) (intake.CitizenInfo, error) {
	c, err := p.reg.ResolveCitizen(ctx, auth.CitizenRef(ref))
	return citizenInfo(c), err
}

func (p intakePeople) Citizen(ctx context.Context, id string) (intake.CitizenInfo, error) {
	c, err := p.reg.Citizen(ctx, id)
	return citizenInfo(c), err
}

func (p intakePeople) StaffAgency(ctx context.Context, id string) (string, error) {
	return p.reg.StaffAgency(ctx, id)
}

// BookingOutbox is booking's outbox as its consumers read it: the booking
// service in process, remoteBookingOutbox over HTTP.
type BookingOutbox interface {
	Events(ctx context.Context, afterSeq int64, limit int) ([]booking.Event, error)
}

// IntakeOutbox is the same for intake.
type IntakeOutbox interface {
	Events(ctx context.Context, afterSeq int64, limit int) ([]intake.Event, error)
}

type remoteEvents func(ctx context.Context, after int64, limit int) ([]httpkit.EventJSON, error)

// remoteBookingOutbox reads booking's outbox over HTTP.
type remoteBookingOutbox struct{ fetch remoteEvents }

func (r remoteBookingOutbox) Events(ctx context.Context, after int64, limit int) ([]booking.Event, error) {
	evs, err := r.fetch(ctx, after, limit)
	out := make([]booking.Event, len(evs))
	for i, e := range evs {
		out[i] = booking.Event{Seq: e.Seq, ID: e.ID, Type: e.Type, AggregateID: e.AggregateID, AgencyID: e.AgencyID,
			Payload: payloadOf(e.Payload), OccurredAt: e.OccurredAt}
	}
	return out, err
}

// remoteIntakeOutbox reads intake's outbox over HTTP.
type remoteIntakeOutbox struct{ fetch remoteEvents }

func (r remoteIntakeOutbox) Events(ctx context.Context, after int64, limit int) ([]intake.Event, error) {
	evs, err := r.fetch(ctx, after, limit)
	out := make([]intake.Event, len(evs))
	for i, e := range evs {
		out[i] = intake.Event{Seq: e.Seq, ID: e.ID, Type: e.Type, AggregateID: e.AggregateID, AgencyID: e.AgencyID,
			Payload: payloadOf(e.Payload), OccurredAt: e.OccurredAt}
	}
	return out, err
}

// payloadOf gives an event's payload back as the outbox holds it: JSON,
// nothing for none.
func payloadOf(raw json.RawMessage) []byte {
	if string(raw) == "null" {
		return nil
	}
	return raw
}

// bookingReader is what notify reads of booking: an appointment's details
// for messages, and a person's meetings for their feed. localBooking in
// process, bookingtransport.InternalClient over HTTP.
type bookingReader interface {
	AppointmentDetails(ctx context.Context, id string) (bookingtransport.AppointmentDetails, error)
	Feed(ctx context.Context, owner bookingtransport.FeedOwner, from time.Time) (bookingtransport.Feed, error)
}

// localBooking is bookingReader in process.
// links mints the citizen's manage-link token; nil leaves it out.
type localBooking struct {
	svc   booking.Service
	links *booking.ManageLinks
}

func (l localBooking) AppointmentDetails(ctx context.Context, id string) (bookingtransport.AppointmentDetails, error) {
	return bookingtransport.Details(ctx, l.svc, l.links, id)
}

func (l localBooking) Feed(ctx context.Context, owner bookingtransport.FeedOwner, from time.Time) (bookingtransport.Feed, error) {
	return bookingtransport.FeedOf(ctx, l.svc, owner, from)
}
