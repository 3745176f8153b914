package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/pin"
)

// CitizenRef names a citizen for staff or an integration acting on their
// behalf: by id, or by personal identity number and/or contact details.
type CitizenRef struct {
	ID                     string
	PersonalIdentityNumber string
	Email                  string
	Phone                  string
	Name                   string
}

// CitizenRegister is what other services ask of the citizen register.
type CitizenRegister interface {
	// ResolveCitizen finds the citizen ref names, or creates the record.
	// Only staff and clients with appointments:write or cases:write may.
	ResolveCitizen(ctx context.Context, ref CitizenRef) (Citizen, error)
	// CitizenContact returns a citizen's contact details, for a service that
	// already decided the caller may act on the citizen's behalf.
	CitizenContact(ctx context.Context, id string) (Citizen, error)
	// StaffAgency returns the agency of a staff account ("" for a system
	// admin), for services that must keep work within one agency.
	StaffAgency(ctx context.Context, id string) (string, error)
	// StaffLanguage returns the language a staff account reads its
	// messages in: sv or en.
	StaffLanguage(ctx context.Context, id string) (string, error)
}

func (s *service) StaffLanguage(ctx context.Context, id string) (string, error) {
	if !core.ValidID(id) {
		return "", core.Invalid("staff_id", "must be a UUID")
	}
	st, _, err := s.repo.Staff(ctx, id)
	if err != nil {
		return "", err
	}
	if st.Language == "en" {
		return "en", nil
	}
	return "sv", nil
}

func (s *service) StaffAgency(ctx context.Context, id string) (string, error) {
	if !core.ValidID(id) {
		return "", core.Invalid("staff_id", "must be a UUID")
	}
	st, _, err := s.repo.Staff(ctx, id)
	if err != nil {
		return "", err
	}
	if st.Disabled {
		return "", fmt.Errorf("staff account %s is disabled: %w", id, core.ErrNotFound)
	}
	return st.AgencyID, nil
}

func (s *service) CitizenContact(ctx context.Context, id string) (Citizen, error) {
	if !core.ValidID(id) {
		return Citizen{}, core.Invalid("citizen.id", "must be a UUID")
	}
	c, err := s.loadCitizen(ctx, id)
	if err != nil {
		return Citizen{}, fmt.Errorf("citizen %s: %w", id, err)
	}
	return c, nil
}

func (s *service) ResolveCitizen(ctx context.Context, ref CitizenRef) (Citizen, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return Citizen{}, err
	}
	switch {
	case p.Kind == core.KindStaff:
	case p.Kind == core.KindClient && (p.HasScope(core.ScopeAppointmentsWrite) || p.HasScope(core.ScopeCasesWrite)):
	default:
		return Citizen{}, fmt.Errorf("only staff and integrations act for a citizen: %w", core.ErrForbidden)
	}
	if ref.ID != "" {
		return s.CitizenContact(ctx, ref.ID)
	}
	var v core.Validator
	var number pin.Number
	if ref.PersonalIdentityNumber != "" {
		n, err := pin.Parse(ref.PersonalIdentityNumber, s.clock.Now())
		v.Check(err == nil, "citizen.personal_identity_number", "is not a valid Swedish personal identity number or coordination number")
		number = n
	}
	email := normalizeEmail(ref.Email)
	v.Check(email == "" || validEmail(email), "citizen.email", "is not an e-mail address")
	phone := ""
	if ref.Phone != "" {
		var ok bool
		phone, ok = core.NormalizePhone(ref.Phone)
		v.Check(ok, "citizen.phone", "is not a phone number")
	}
	v.Check(!number.IsZero() || email != "" || phone != "", "citizen", "name the citizen by id, personal identity number, e-mail or phone")
	if err := v.Err(); err != nil {
		return Citizen{}, err
	}
	// The personal identity number identifies best; then e-mail, then phone.
	var found Citizen
	var sealed []byte
	err = core.ErrNotFound
	if !number.IsZero() {
		found, sealed, err = s.repo.CitizenByPINLookup(ctx, s.keys.Sealer.LookupHash(number))
	}
	if errors.Is(err, core.ErrNotFound) && email != "" {
		found, sealed, err = s.repo.CitizenByEmail(ctx, email)
	}
	if errors.Is(err, core.ErrNotFound) && phone != "" {
		found, sealed, err = s.repo.CitizenByPhone(ctx, phone)
	}
	if err == nil {
		if len(sealed) > 0 {
			if found.PIN, err = s.keys.Sealer.Open(sealed); err != nil {
				return Citizen{}, err
			}
		}
		s.audit(ctx, AuditEntry{Action: "citizen.resolved", TargetKind: "citizen", TargetID: found.ID})
		return found, nil
	}
	if !errors.Is(err, core.ErrNotFound) {
		return Citizen{}, err
	}
	now := s.clock.Now()
	c := Citizen{ID: core.NewID(), Name: truncate(ref.Name, 200), Language: "sv", PIN: number, NotifyEmail: email != "",
		CreatedAt: now, UpdatedAt: now}
	// Contact details already on another account stay there.
	if email != "" {
		if _, _, err := s.repo.CitizenByEmail(ctx, email); errors.Is(err, core.ErrNotFound) {
			c.Email = email
		}
	}
	if phone != "" {
		if _, _, err := s.repo.CitizenByPhone(ctx, phone); errors.Is(err, core.ErrNotFound) {
			c.Phone = phone
		}
	}
	c.NotifyEmail = c.Email != ""
	sealedPIN, lookup, err := s.sealPIN(number)
	if err != nil {
		return Citizen{}, err
	}
	if err := s.repo.CreateCitizen(ctx, c, sealedPIN, lookup); err != nil {
		return Citizen{}, err
	}
	s.audit(ctx, AuditEntry{Action: "citizen.created", TargetKind: "citizen", TargetID: c.ID, Detail: "on behalf of the citizen by " + strings.ToLower(string(p.Kind))})
	return c, nil
}
