package booking

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// AgencyKind is what sort of public body an agency is.
type AgencyKind string

const (
	Municipality AgencyKind = "municipality"
	Region       AgencyKind = "region"
	Healthcare   AgencyKind = "healthcare"
	StateAgency  AgencyKind = "state_agency"
)

// Valid reports whether k is one of the known kinds.
func (k AgencyKind) Valid() bool {
	switch k {
	case Municipality, Region, Healthcare, StateAgency:
		return true
	}
	return false
}

// Language is a language Tidbok speaks to people in.
type Language string

const (
	Swedish Language = "sv"
	English Language = "en"
)

// Valid reports whether l is a supported language.
func (l Language) Valid() bool { return l == Swedish || l == English }

// Mode is how a meeting takes place.
type Mode string

const (
	Phone    Mode = "phone"
	Video    Mode = "video"
	InPerson Mode = "in_person"
)

// Modes lists every mode in the order they are shown: phone first, as most
// citizens prefer it.
var Modes = []Mode{Phone, Video, InPerson}

// ParseMode accepts the API spelling of a mode.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Phone, Video, InPerson:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: %w", s, core.ErrInvalid)
}

// Agency is a municipality, region, healthcare provider or state agency that
// citizens book meetings with.
type Agency struct {
	ID              string
	Name            string
	OrgNumber       string // Swedish organisationsnummer, NNNNNN-NNNN
	Kind            AgencyKind
	TimeZone        string // IANA name; all local times of the agency are in it
	DefaultLanguage Language
	// OpenHolidays are the Swedish holidays the agency stays open on; every
	// other holiday is closed.
	OpenHolidays []availability.Holiday
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

var orgNumberPattern = regexp.MustCompile(`^[0-9]{6}-[0-9]{4}$`)

// Validate checks every field and reports all that are wrong.
func (a Agency) Validate() error {
	var v core.Validator
	v.Check(core.ValidID(a.ID), "id", "must be a UUID")
	checkText(&v, "name", a.Name, 200)
	v.Check(orgNumberPattern.MatchString(a.OrgNumber), "org_number", "must be an organisation number like 212000-0000")
	v.Check(a.Kind.Valid(), "kind", "must be one of municipality, region, healthcare, state_agency")
	v.Check(validTimeZone(a.TimeZone), "time_zone", "must be an IANA time zone such as Europe/Stockholm")
	v.Check(a.DefaultLanguage.Valid(), "default_language", "must be sv or en")
	for i, h := range a.OpenHolidays {
		v.Check(h.Valid(), fmt.Sprintf("open_holidays[%d]", i), fmt.Sprintf("%q is not a Swedish holiday Tidbok knows", h))
	}
	return v.Err()
}

// Location returns the agency's time zone. Validate guarantees it loads.
func (a Agency) Location() *time.Location {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Address is a postal address in Sweden.
type Address struct {
	Street     string
	PostalCode string
	City       string
}

// Office is a place where an agency meets citizens in person.
type Office struct {
	ID                 string
	AgencyID           string
	Name               string
	Address            Address
	Directions         string // how to get there
	OpeningNotes       string // e.g. "Entrance from the square; reception opens 08:00"
	AccessibilityNotes string // e.g. "Lift to floor 3; wheelchair to borrow at the entrance"
	StepFreeAccess     bool
	HearingLoop        bool
	AccessibleParking  bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	RetiredAt          *time.Time
}

var postalCodePattern = regexp.MustCompile(`^[0-9]{3} ?[0-9]{2}$`)

// Validate checks every field and reports all that are wrong.
func (o Office) Validate() error {
	var v core.Validator
	v.Check(core.ValidID(o.ID), "id", "must be a UUID")
	v.Check(core.ValidID(o.AgencyID), "agency_id", "must be a UUID")
	checkText(&v, "name", o.Name, 200)
	checkText(&v, "address.street", o.Address.Street, 200)
	v.Check(postalCodePattern.MatchString(o.Address.PostalCode), "address.postal_code", "must be a Swedish postal code like 123 45")
	checkText(&v, "address.city", o.Address.City, 100)
	v.Check(utf8.RuneCountInString(o.OpeningNotes) <= 2000, "opening_notes", "must be at most 2000 characters")
	v.Check(utf8.RuneCountInString(o.Directions) <= 2000, "directions", "must be at most 2000 characters")
	v.Check(utf8.RuneCountInString(o.AccessibilityNotes) <= 2000, "accessibility_notes", "must be at most 2000 characters")
	return v.Err()
}

// Text is a text in both of Tidbok's languages.
type Text struct {
	SV string
	EN string
}

// In returns the text in lang, falling back to Swedish.
func (t Text) In(lang Language) string {
	if lang == English && t.EN != "" {
		return t.EN
	}
	return t.SV
}

// InEither returns the text in lang or, when that is empty, in the other
// language: for texts where the other language helps more than nothing.
func (t Text) InEither(lang Language) string {
	first, second := t.SV, t.EN
	if lang == English {
		first, second = second, first
	}
	if s := strings.TrimSpace(first); s != "" {
		return s
	}
	return strings.TrimSpace(second)
}

// MeetingType is a kind of meeting an agency offers, such as a first meeting
// with social services or a building permit consultation.
type MeetingType struct {
	ID          string
	AgencyID    string
	Name        Text
	Description Text
	WhatToBring Text // what the citizen brings to the meeting; optional
	Duration    time.Duration
	Modes       []Mode // allowed modes, in Modes order
	// Scheduling rules.
	BufferBefore        time.Duration // kept free before each meeting, for preparation
	BufferAfter         time.Duration // kept free after, for notes
	SlotStep            time.Duration // distance between possible start times
	MinNotice           time.Duration // how soon a slot may start, from now
	Horizon             time.Duration // how far ahead a slot may start
	CancellationCutoff  time.Duration // citizens may cancel until this long before
	CitizenBookable     bool          // false: only staff and integrations book it
	MaxActivePerCitizen int           // booked, not yet held meetings per citizen
	ReminderBefore      time.Duration // when the reminder goes out; 0 sends none
	CreatedAt           time.Time
	UpdatedAt           time.Time
	RetiredAt           *time.Time
}

// Meeting type defaults for fields an administrator leaves out.
const (
	DefaultSlotStep            = 15 * time.Minute
	DefaultMinNotice           = 2 * time.Hour
	DefaultHorizon             = 60 * 24 * time.Hour
	DefaultCancellationCutoff  = 24 * time.Hour
	DefaultMaxActivePerCitizen = 2
	DefaultReminderBefore      = 24 * time.Hour
)

// Rules returns what the availability engine needs of the meeting type.
func (mt MeetingType) Rules() availability.MeetingRules {
	modes := make([]availability.Mode, len(mt.Modes))
	for i, m := range mt.Modes {
		modes[i] = availability.Mode(m)
	}
	return availability.MeetingRules{
		MeetingTypeID: mt.ID, Duration: mt.Duration, BufferBefore: mt.BufferBefore, BufferAfter: mt.BufferAfter,
		Step: mt.SlotStep, MinNotice: mt.MinNotice, Horizon: mt.Horizon, Modes: modes,
	}
}

// Offers reports whether the meeting type can take place in mode m.
func (mt MeetingType) Offers(m Mode) bool {
	for _, have := range mt.Modes {
		if have == m {
			return true
		}
	}
	return false
}

// Validate checks every field and reports all that are wrong.
func (mt MeetingType) Validate() error {
	var v core.Validator
	v.Check(core.ValidID(mt.ID), "id", "must be a UUID")
	v.Check(core.ValidID(mt.AgencyID), "agency_id", "must be a UUID")
	checkText(&v, "name.sv", mt.Name.SV, 200)
	checkText(&v, "name.en", mt.Name.EN, 200)
	v.Check(utf8.RuneCountInString(mt.Description.SV) <= 4000, "description.sv", "must be at most 4000 characters")
	v.Check(utf8.RuneCountInString(mt.Description.EN) <= 4000, "description.en", "must be at most 4000 characters")
	checkNote(&v, "what_to_bring.sv", mt.WhatToBring.SV, 1000)
	checkNote(&v, "what_to_bring.en", mt.WhatToBring.EN, 1000)
	v.Check(mt.Duration >= 5*time.Minute && mt.Duration <= 8*time.Hour && mt.Duration%time.Minute == 0,
		"duration_minutes", "must be whole minutes between 5 and 480")
	v.Check(len(mt.Modes) > 0, "modes", "must allow at least one of phone, video, in_person")
	seen := map[Mode]bool{}
	for _, m := range mt.Modes {
		if _, err := ParseMode(string(m)); err != nil {
			v.Add("modes", fmt.Sprintf("%q is not a mode; use phone, video or in_person", m))
		} else if seen[m] {
			v.Add("modes", fmt.Sprintf("%q is listed twice", m))
		}
		seen[m] = true
	}
	minutes := func(d, lo, hi time.Duration) bool { return d >= lo && d <= hi && d%time.Minute == 0 }
	v.Check(minutes(mt.BufferBefore, 0, 4*time.Hour), "buffer_before_minutes", "must be whole minutes between 0 and 240")
	v.Check(minutes(mt.BufferAfter, 0, 4*time.Hour), "buffer_after_minutes", "must be whole minutes between 0 and 240")
	v.Check(minutes(mt.SlotStep, 5*time.Minute, 8*time.Hour), "slot_step_minutes", "must be whole minutes between 5 and 480")
	v.Check(minutes(mt.MinNotice, 0, 90*24*time.Hour), "minimum_notice_minutes", "must be whole minutes between 0 and 129600 (90 days)")
	v.Check(mt.Horizon >= 24*time.Hour && mt.Horizon <= 730*24*time.Hour && mt.Horizon%(24*time.Hour) == 0,
		"booking_horizon_days", "must be whole days between 1 and 730")
	v.Check(mt.Horizon > mt.MinNotice, "booking_horizon_days", "must reach beyond the minimum notice")
	v.Check(minutes(mt.CancellationCutoff, 0, 30*24*time.Hour), "cancellation_cutoff_minutes", "must be whole minutes between 0 and 43200 (30 days)")
	v.Check(mt.MaxActivePerCitizen >= 1 && mt.MaxActivePerCitizen <= 100, "max_active_per_citizen", "must be between 1 and 100")
	v.Check(minutes(mt.ReminderBefore, 0, 14*24*time.Hour), "reminder_minutes", "must be whole minutes between 0 (no reminder) and 20160 (14 days)")
	return v.Err()
}

func checkText(v *core.Validator, field, s string, max int) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(s)); {
	case n == 0:
		v.Add(field, "is required")
	case n > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

// checkNote checks an optional plain text of at most max characters. Line
// breaks are kept; other control characters are refused: the text goes into
// mails and calendar files, and PostgreSQL refuses NUL.
func checkNote(v *core.Validator, field, s string, max int) {
	switch {
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }):
		v.Add(field, "must be plain text: no control characters except line breaks")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	}
}

func validTimeZone(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}
