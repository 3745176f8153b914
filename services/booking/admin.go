package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// Administration of the directory, staff members and schedules. Agency
// admins administer their own agency, system admins every agency, and
// integration clients with directory:write their own.

func (s *service) authorizeAdmin(ctx context.Context, agencyID string) error {
	_, err := core.AuthorizeAgency(ctx, agencyID, core.ScopeDirectoryWrite, core.RoleAgencyAdmin)
	return err
}

// agencyForAdmin checks the id, the caller and that the agency exists.
func (s *service) agencyForAdmin(ctx context.Context, agencyID string) (Agency, error) {
	if !core.ValidID(agencyID) {
		return Agency{}, core.Invalid("agency_id", "must be a UUID")
	}
	if err := s.authorizeAdmin(ctx, agencyID); err != nil {
		return Agency{}, err
	}
	return s.GetAgency(ctx, agencyID)
}

func (s *service) CreateOffice(ctx context.Context, o Office) (Office, error) {
	if _, err := s.agencyForAdmin(ctx, o.AgencyID); err != nil {
		return Office{}, err
	}
	now := s.clock.Now()
	o.ID, o.CreatedAt, o.UpdatedAt, o.RetiredAt = core.NewID(), now, now, nil
	if err := o.Validate(); err != nil {
		return Office{}, err
	}
	if err := s.repo.SaveOffice(ctx, o); err != nil {
		return Office{}, err
	}
	return o, nil
}

func (s *service) UpdateOffice(ctx context.Context, o Office) (Office, error) {
	if _, err := s.agencyForAdmin(ctx, o.AgencyID); err != nil {
		return Office{}, err
	}
	old, err := s.ownOffice(ctx, o.AgencyID, o.ID)
	if err != nil {
		return Office{}, err
	}
	o.CreatedAt, o.UpdatedAt, o.RetiredAt = old.CreatedAt, s.clock.Now(), old.RetiredAt
	if err := o.Validate(); err != nil {
		return Office{}, err
	}
	if err := s.repo.SaveOffice(ctx, o); err != nil {
		return Office{}, err
	}
	return o, nil
}

func (s *service) RetireOffice(ctx context.Context, agencyID, id string) error {
	if _, err := s.agencyForAdmin(ctx, agencyID); err != nil {
		return err
	}
	if _, err := s.ownOffice(ctx, agencyID, id); err != nil {
		return err
	}
	return s.repo.RetireOffice(ctx, id, s.clock.Now())
}

// ownOffice returns the office when it belongs to the agency; an office of
// another agency is reported as not found, naming the parameter.
func (s *service) ownOffice(ctx context.Context, agencyID, id string) (Office, error) {
	if !core.ValidID(id) {
		return Office{}, core.Invalid("office_id", "must be a UUID")
	}
	o, err := s.repo.Office(ctx, id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && o.AgencyID != agencyID) {
		return Office{}, fmt.Errorf("office_id %s: no such office at this agency: %w", id, core.ErrNotFound)
	}
	return o, err
}

func (s *service) CreateMeetingType(ctx context.Context, mt MeetingType) (MeetingType, error) {
	if _, err := s.agencyForAdmin(ctx, mt.AgencyID); err != nil {
		return MeetingType{}, err
	}
	now := s.clock.Now()
	mt.ID, mt.CreatedAt, mt.UpdatedAt, mt.RetiredAt = core.NewID(), now, now, nil
	if err := mt.Validate(); err != nil {
		return MeetingType{}, err
	}
	if err := s.repo.SaveMeetingType(ctx, mt); err != nil {
		return MeetingType{}, err
	}
	return mt, nil
}

func (s *service) UpdateMeetingType(ctx context.Context, mt MeetingType) (MeetingType, error) {
	if _, err := s.agencyForAdmin(ctx, mt.AgencyID); err != nil {
		return MeetingType{}, err
	}
	old, err := s.ownMeetingType(ctx, mt.AgencyID, mt.ID)
	if err != nil {
		return MeetingType{}, err
	}
	mt.CreatedAt, mt.UpdatedAt, mt.RetiredAt = old.CreatedAt, s.clock.Now(), old.RetiredAt
	if err := mt.Validate(); err != nil {
		return MeetingType{}, err
	}
	if err := s.repo.SaveMeetingType(ctx, mt); err != nil {
		return MeetingType{}, err
	}
	return mt, nil
}

func (s *service) RetireMeetingType(ctx context.Context, agencyID, id string) error {
	if _, err := s.agencyForAdmin(ctx, agencyID); err != nil {
		return err
	}
	if _, err := s.ownMeetingType(ctx, agencyID, id); err != nil {
		return err
	}
	return s.repo.RetireMeetingType(ctx, id, s.clock.Now())
}

func (s *service) ownMeetingType(ctx context.Context, agencyID, id string) (MeetingType, error) {
	if !core.ValidID(id) {
		return MeetingType{}, core.Invalid("meeting_type_id", "must be a UUID")
	}
	mt, err := s.repo.MeetingType(ctx, id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && mt.AgencyID != agencyID) {
		return MeetingType{}, fmt.Errorf("meeting_type_id %s: no such meeting type at this agency: %w", id, core.ErrNotFound)
	}
	return mt, err
}

// ---- staff members ----

func (s *service) ListStaffMembers(ctx context.Context, agencyID string) ([]StaffMember, error) {
	if !core.ValidID(agencyID) {
		return nil, core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := core.AuthorizeAgency(ctx, agencyID, core.ScopeAvailabilityRead); err != nil {
		return nil, err
	}
	if _, err := s.GetAgency(ctx, agencyID); err != nil {
		return nil, err
	}
	return s.repo.StaffMembers(ctx, agencyID)
}

func (s *service) GetStaffMember(ctx context.Context, agencyID, id string) (StaffMember, error) {
	if !core.ValidID(agencyID) {
		return StaffMember{}, core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := core.AuthorizeAgency(ctx, agencyID, core.ScopeAvailabilityRead); err != nil {
		return StaffMember{}, err
	}
	return s.ownStaffMember(ctx, agencyID, id)
}

func (s *service) ownStaffMember(ctx context.Context, agencyID, id string) (StaffMember, error) {
	if !core.ValidID(id) {
		return StaffMember{}, core.Invalid("staff_id", "must be a UUID")
	}
	m, err := s.repo.StaffMember(ctx, id)
	if errors.Is(err, core.ErrNotFound) || (err == nil && m.AgencyID != agencyID) {
		return StaffMember{}, fmt.Errorf("staff_id %s: no such staff member at this agency: %w", id, core.ErrNotFound)
	}
	return m, err
}

// checkStaffReferences makes sure a staff member only names the agency's
// own offices and meeting types.
func (s *service) checkStaffReferences(ctx context.Context, m StaffMember) error {
	var v core.Validator
	offices, err := s.repo.Offices(ctx, m.AgencyID)
	if err != nil {
		return err
	}
	for i, id := range m.OfficeIDs {
		v.Check(slices.ContainsFunc(offices, func(o Office) bool { return o.ID == id }),
			fmt.Sprintf("office_ids[%d]", i), "is not an office of this agency")
	}
	types, err := s.repo.MeetingTypes(ctx, m.AgencyID)
	if err != nil {
		return err
	}
	for i, id := range m.MeetingTypeIDs {
		v.Check(slices.ContainsFunc(types, func(t MeetingType) bool { return t.ID == id }),
			fmt.Sprintf("meeting_type_ids[%d]", i), "is not a meeting type of this agency")
	}
	return v.Err()
}

func (s *service) CreateStaffMember(ctx context.Context, m StaffMember) (StaffMember, error) {
	if _, err := s.agencyForAdmin(ctx, m.AgencyID); err != nil {
		return StaffMember{}, err
	}
	now := s.clock.Now()
	m.ID, m.CreatedAt, m.UpdatedAt, m.RetiredAt = core.NewID(), now, now, nil
	if err := invalidTogether(m.Validate(), s.checkStaffReferences(ctx, m)); err != nil {
		return StaffMember{}, err
	}
	if err := s.repo.SaveStaffMember(ctx, m); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return StaffMember{}, fmt.Errorf("that sign-in account already belongs to another staff member: %w", core.ErrConflict)
		}
		return StaffMember{}, err
	}
	return m, nil
}

func (s *service) UpdateStaffMember(ctx context.Context, m StaffMember) (StaffMember, error) {
	if _, err := s.agencyForAdmin(ctx, m.AgencyID); err != nil {
		return StaffMember{}, err
	}
	old, err := s.ownStaffMember(ctx, m.AgencyID, m.ID)
	if err != nil {
		return StaffMember{}, err
	}
	m.CreatedAt, m.UpdatedAt, m.RetiredAt = old.CreatedAt, s.clock.Now(), old.RetiredAt
	if err := invalidTogether(m.Validate(), s.checkStaffReferences(ctx, m)); err != nil {
		return StaffMember{}, err
	}
	if err := s.repo.SaveStaffMember(ctx, m); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return StaffMember{}, fmt.Errorf("that sign-in account already belongs to another staff member: %w", core.ErrConflict)
		}
		return StaffMember{}, err
	}
	return m, nil
}

func (s *service) RetireStaffMember(ctx context.Context, agencyID, id string) error {
	if _, err := s.agencyForAdmin(ctx, agencyID); err != nil {
		return err
	}
	if _, err := s.ownStaffMember(ctx, agencyID, id); err != nil {
		return err
	}
	return s.repo.RetireStaffMember(ctx, id, s.clock.Now())
}

// ---- absences, closures, holidays ----

// Absences may reveal sick leave: only the agency's own staff see them.
func (s *service) ListAbsences(ctx context.Context, agencyID, staffID string) ([]Absence, error) {
	if !core.ValidID(agencyID) {
		return nil, core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := core.AuthorizeAgency(ctx, agencyID, ""); err != nil {
		return nil, err
	}
	if _, err := s.ownStaffMember(ctx, agencyID, staffID); err != nil {
		return nil, err
	}
	return s.repo.Absences(ctx, staffID)
}

func (s *service) AddAbsence(ctx context.Context, agencyID string, a Absence) (Absence, error) {
	if _, err := s.agencyForAdmin(ctx, agencyID); err != nil {
		return Absence{}, err
	}
	if _, err := s.ownStaffMember(ctx, agencyID, a.StaffID); err != nil {
		return Absence{}, err
	}
	if err := renameFields(a.Absence.Validate(), "absence."); err != nil {
		return Absence{}, err
	}
	a.ID = core.NewID()
	if err := s.repo.SaveAbsence(ctx, a, s.clock.Now()); err != nil {
		return Absence{}, err
	}
	return a, nil
}

func (s *service) DeleteAbsence(ctx context.Context, agencyID, staffID, id string) error {
	if _, err := s.agencyForAdmin(ctx, agencyID); err != nil {
		return err
	}
	if _, err := s.ownStaffMember(ctx, agencyID, staffID); err != nil {
		return err
	}
	if !core.ValidID(id) {
		return core.Invalid("absence_id", "must be a UUID")
	}
	return s.repo.DeleteAbsence(ctx, staffID, id)
}

func (s *service) ListClosures(ctx context.Context, agencyID string) ([]Closure, error) {
	if _, err := s.GetAgency(ctx, agencyID); err != nil {
		return nil, err
	}
	return s.repo.Closures(ctx, agencyID)
}

func (s *service) AddClosure(ctx context.Context, c Closure) (Closure, error) {
	if _, err := s.agencyForAdmin(ctx, c.AgencyID); err != nil {
		return Closure{}, err
	}
	if err := renameFields(c.Closure.Validate(), "closure."); err != nil {
		return Closure{}, err
	}
	c.ID = core.NewID()
	if err := s.repo.SaveClosure(ctx, c, s.clock.Now()); err != nil {
		return Closure{}, err
	}
	return c, nil
}

func (s *service) DeleteClosure(ctx context.Context, agencyID, id string) error {
	if _, err := s.agencyForAdmin(ctx, agencyID); err != nil {
		return err
	}
	if !core.ValidID(id) {
		return core.Invalid("closure_id", "must be a UUID")
	}
	return s.repo.DeleteClosure(ctx, agencyID, id)
}

// Holidays lists the Swedish holidays of year (0: the current year in the
// agency's zone) and whether the agency is open on each.
func (s *service) Holidays(ctx context.Context, agencyID string, year int) ([]HolidayStatus, error) {
	a, err := s.GetAgency(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	if year == 0 {
		year = s.clock.Now().In(a.Location()).Year()
	}
	if year < 1900 || year > 2200 {
		return nil, core.Invalid("year", "must be between 1900 and 2200")
	}
	var out []HolidayStatus
	for _, h := range availability.SwedishHolidays(year) {
		out = append(out, HolidayStatus{HolidayDate: h, Open: slices.Contains(a.OpenHolidays, h.Holiday)})
	}
	return out, nil
}

func (s *service) SetOpenHolidays(ctx context.Context, agencyID string, open []availability.Holiday) (Agency, error) {
	a, err := s.agencyForAdmin(ctx, agencyID)
	if err != nil {
		return Agency{}, err
	}
	// Check before sorting, so that a field error names the caller's index.
	if err := (availability.HolidayPolicy{Open: open}).Validate(); err != nil {
		return Agency{}, err
	}
	open = slices.Clone(open)
	slices.Sort(open)
	a.OpenHolidays = slices.Compact(open)
	a.UpdatedAt = s.clock.Now()
	if err := a.Validate(); err != nil {
		return Agency{}, err
	}
	if err := s.repo.SaveAgency(ctx, a); err != nil {
		return Agency{}, err
	}
	return a, nil
}

// renameFields drops prefix from the field names of a validation error, so
// they name the fields of the request body (the engine's types prefix their
// own, as in "absence.end").
func renameFields(err error, prefix string) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	fields := make([]core.FieldError, len(ve.Fields))
	for i, f := range ve.Fields {
		fields[i] = core.FieldError{Field: strings.TrimPrefix(f.Field, prefix), Message: f.Message}
	}
	return &core.ValidationError{Fields: fields}
}

// invalidTogether joins the field errors of several checks, so a caller
// learns of every wrong field at once; an error of another kind wins.
func invalidTogether(errs ...error) error {
	var fields []core.FieldError
	for _, err := range errs {
		var ve *core.ValidationError
		switch {
		case err == nil:
		case errors.As(err, &ve):
			fields = append(fields, ve.Fields...)
		default:
			return err
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &core.ValidationError{Fields: fields}
}
