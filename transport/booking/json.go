package booking

import (
	"time"

	"github.com/tidbok/tidbok/services/booking"
)

// The JSON shapes of the booking API. They convert to and from the domain
// explicitly, so the wire format changes only when we decide it should.

type agencyJSON struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	OrgNumber       string `json:"org_number"`
	Kind            string `json:"kind"`
	TimeZone        string `json:"time_zone"`
	DefaultLanguage string `json:"default_language"`
}

func agencyToJSON(a booking.Agency) agencyJSON {
	return agencyJSON{
		ID: a.ID, Name: a.Name, OrgNumber: a.OrgNumber, Kind: string(a.Kind),
		TimeZone: a.TimeZone, DefaultLanguage: string(a.DefaultLanguage),
	}
}

func (j agencyJSON) domain() booking.Agency {
	return booking.Agency{
		ID: j.ID, Name: j.Name, OrgNumber: j.OrgNumber, Kind: booking.AgencyKind(j.Kind),
		TimeZone: j.TimeZone, DefaultLanguage: booking.Language(j.DefaultLanguage),
	}
}

type addressJSON struct {
	Street     string `json:"street"`
	PostalCode string `json:"postal_code"`
	City       string `json:"city"`
}

type officeJSON struct {
	ID                 string      `json:"id"`
	AgencyID           string      `json:"agency_id"`
	Name               string      `json:"name"`
	Address            addressJSON `json:"address"`
	Directions         string      `json:"directions"`
	OpeningNotes       string      `json:"opening_notes"`
	AccessibilityNotes string      `json:"accessibility_notes"`
	StepFreeAccess     bool        `json:"step_free_access"`
	HearingLoop        bool        `json:"hearing_loop"`
	AccessibleParking  bool        `json:"accessible_parking"`
}

func officeToJSON(o booking.Office) officeJSON {
	return officeJSON{
		ID: o.ID, AgencyID: o.AgencyID, Name: o.Name,
		Address:    addressJSON{Street: o.Address.Street, PostalCode: o.Address.PostalCode, City: o.Address.City},
		Directions: o.Directions, OpeningNotes: o.OpeningNotes, AccessibilityNotes: o.AccessibilityNotes,
		StepFreeAccess: o.StepFreeAccess, HearingLoop: o.HearingLoop, AccessibleParking: o.AccessibleParking,
	}
}

func (j officeJSON) domain() booking.Office {
	return booking.Office{
		ID: j.ID, AgencyID: j.AgencyID, Name: j.Name,
		Address:    booking.Address{Street: j.Address.Street, PostalCode: j.Address.PostalCode, City: j.Address.City},
		Directions: j.Directions, OpeningNotes: j.OpeningNotes, AccessibilityNotes: j.AccessibilityNotes,
		StepFreeAccess: j.StepFreeAccess, HearingLoop: j.HearingLoop, AccessibleParking: j.AccessibleParking,
	}
}

type textJSON struct {
	SV string `json:"sv"`
	EN string `json:"en"`
}

type meetingTypeJSON struct {
	ID              string   `json:"id"`
	AgencyID        string   `json:"agency_id"`
	Name            textJSON `json:"name"`
	Description     textJSON `json:"description"`
	WhatToBring     textJSON `json:"what_to_bring"`
	DurationMinutes int      `json:"duration_minutes"`
	Modes           []string `json:"modes"`
	// Scheduling rules.
	BufferBeforeMinutes       int  `json:"buffer_before_minutes"`
	BufferAfterMinutes        int  `json:"buffer_after_minutes"`
	SlotStepMinutes           int  `json:"slot_step_minutes"`
	MinimumNoticeMinutes      int  `json:"minimum_notice_minutes"`
	BookingHorizonDays        int  `json:"booking_horizon_days"`
	CancellationCutoffMinutes int  `json:"cancellation_cutoff_minutes"`
	CitizenBookable           bool `json:"citizen_bookable"`
	MaxActivePerCitizen       int  `json:"max_active_per_citizen"`
	ReminderMinutes           int  `json:"reminder_minutes"`
}

func meetingTypeToJSON(mt booking.MeetingType) meetingTypeJSON {
	modes := make([]string, len(mt.Modes))
	for i, m := range mt.Modes {
		modes[i] = string(m)
	}
	return meetingTypeJSON{
		ID: mt.ID, AgencyID: mt.AgencyID,
		Name:                textJSON{SV: mt.Name.SV, EN: mt.Name.EN},
		Description:         textJSON{SV: mt.Description.SV, EN: mt.Description.EN},
		WhatToBring:         textJSON{SV: mt.WhatToBring.SV, EN: mt.WhatToBring.EN},
		DurationMinutes:     int(mt.Duration / time.Minute),
		Modes:               modes,
		BufferBeforeMinutes: int(mt.BufferBefore / time.Minute), BufferAfterMinutes: int(mt.BufferAfter / time.Minute),
		SlotStepMinutes: int(mt.SlotStep / time.Minute), MinimumNoticeMinutes: int(mt.MinNotice / time.Minute),
		BookingHorizonDays: int(mt.Horizon / (24 * time.Hour)), CancellationCutoffMinutes: int(mt.CancellationCutoff / time.Minute),
		CitizenBookable: mt.CitizenBookable, MaxActivePerCitizen: mt.MaxActivePerCitizen,
		ReminderMinutes: int(mt.ReminderBefore / time.Minute),
	}
}

func (j meetingTypeJSON) domain() booking.MeetingType {
	modes := make([]booking.Mode, len(j.Modes))
	for i, m := range j.Modes {
		modes[i] = booking.Mode(m)
	}
	return booking.MeetingType{
		ID: j.ID, AgencyID: j.AgencyID,
		Name:         booking.Text{SV: j.Name.SV, EN: j.Name.EN},
		Description:  booking.Text{SV: j.Description.SV, EN: j.Description.EN},
		WhatToBring:  booking.Text{SV: j.WhatToBring.SV, EN: j.WhatToBring.EN},
		Duration:     time.Duration(j.DurationMinutes) * time.Minute,
		Modes:        modes,
		BufferBefore: time.Duration(j.BufferBeforeMinutes) * time.Minute, BufferAfter: time.Duration(j.BufferAfterMinutes) * time.Minute,
		SlotStep: time.Duration(j.SlotStepMinutes) * time.Minute, MinNotice: time.Duration(j.MinimumNoticeMinutes) * time.Minute,
		Horizon: time.Duration(j.BookingHorizonDays) * 24 * time.Hour, CancellationCutoff: time.Duration(j.CancellationCutoffMinutes) * time.Minute,
		CitizenBookable: j.CitizenBookable, MaxActivePerCitizen: j.MaxActivePerCitizen,
		ReminderBefore: time.Duration(j.ReminderMinutes) * time.Minute,
	}
}
