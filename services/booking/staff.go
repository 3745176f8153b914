package booking

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// StaffMember is a person citizens meet: what they offer, where, and when.
type StaffMember struct {
	ID             string
	AgencyID       string
	AccountID      string // their staff sign-in account, when they have one
	Name           string
	Title          string
	Email          string
	MeetingTypeIDs []string
	Modes          []Mode
	OfficeIDs      []string
	Schedule       availability.Schedule // weekly hours and date exceptions; absences are kept apart
	CreatedAt      time.Time
	UpdatedAt      time.Time
	RetiredAt      *time.Time
}

// Offers reports whether the staff member offers mode m.
func (s StaffMember) Offers(m Mode) bool { return slices.Contains(s.Modes, m) }

// Validate checks every field and the schedule, and that the schedule's
// offices are ones the staff member works at.
func (s StaffMember) Validate() error {
	var v core.Validator
	v.Check(core.ValidID(s.ID), "id", "must be a UUID")
	v.Check(core.ValidID(s.AgencyID), "agency_id", "must be a UUID")
	v.Check(s.AccountID == "" || core.ValidID(s.AccountID), "account_id", "must be a UUID")
	checkText(&v, "name", s.Name, 200)
	v.Check(utf8.RuneCountInString(s.Title) <= 200, "title", "must be at most 200 characters")
	if s.Email != "" {
		a, err := mail.ParseAddress(s.Email)
		v.Check(err == nil && a.Address == s.Email, "email", "is not an e-mail address")
	}
	v.Check(len(s.Modes) > 0, "modes", "must offer at least one of phone, video, in_person")
	for i, m := range s.Modes {
		_, err := ParseMode(string(m))
		v.Check(err == nil, fmt.Sprintf("modes[%d]", i), "must be one of phone, video, in_person")
	}
	v.Check(!s.Offers(InPerson) || len(s.OfficeIDs) > 0, "office_ids", "must name an office to meet citizens in person")
	for i, id := range s.MeetingTypeIDs {
		v.Check(core.ValidID(id), fmt.Sprintf("meeting_type_ids[%d]", i), "must be a UUID")
		v.Check(!slices.Contains(s.MeetingTypeIDs[:i], id), fmt.Sprintf("meeting_type_ids[%d]", i), "is listed twice")
	}
	for i, id := range s.OfficeIDs {
		v.Check(!slices.Contains(s.OfficeIDs[:i], id), fmt.Sprintf("office_ids[%d]", i), "is listed twice")
	}
	err := s.engineStaff().Validate()
	if ve, ok := err.(*core.ValidationError); ok {
		for _, f := range ve.Fields {
			if f.Field == "id" || strings.HasPrefix(f.Field, "modes") || strings.HasPrefix(f.Field, "meeting_type_ids") {
				continue // reported above
			}
			v.Add(f.Field, f.Message)
		}
	}
	return v.Err()
}

// engineStaff converts to the engine's view, without absences or busy time.
func (s StaffMember) engineStaff() availability.Staff {
	modes := make([]availability.Mode, len(s.Modes))
	for i, m := range s.Modes {
		modes[i] = availability.Mode(m)
	}
	return availability.Staff{ID: s.ID, MeetingTypeIDs: s.MeetingTypeIDs, Modes: modes, OfficeIDs: s.OfficeIDs, Schedule: s.Schedule}
}

// Absence is a time a staff member is away, with its id.
type Absence struct {
	ID      string
	StaffID string
	availability.Absence
}

// Closure closes the whole agency for a time, with its id.
type Closure struct {
	ID       string
	AgencyID string
	availability.Closure
}

// HolidayStatus is one Swedish holiday of a year and whether the agency is open.
type HolidayStatus struct {
	availability.HolidayDate
	Open bool
}
