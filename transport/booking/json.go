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
	OpeningNotes       string      `json:"opening_notes"`
	AccessibilityNotes string      `json:"accessibility_notes"`
}

func officeToJSON(o booking.Office) officeJSON {
	return officeJSON{
		ID: o.ID, AgencyID: o.AgencyID, Name: o.Name,
		Address:      addressJSON{Street: o.Address.Street, PostalCode: o.Address.PostalCode, City: o.Address.City},
		OpeningNotes: o.OpeningNotes, AccessibilityNotes: o.AccessibilityNotes,
	}
}

func (j officeJSON) domain() booking.Office {
	return booking.Office{
		ID: j.ID, AgencyID: j.AgencyID, Name: j.Name,
		Address:      booking.Address{Street: j.Address.Street, PostalCode: j.Address.PostalCode, City: j.Address.City},
		OpeningNotes: j.OpeningNotes, AccessibilityNotes: j.AccessibilityNotes,
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
	DurationMinutes int      `json:"duration_minutes"`
	Modes           []string `json:"modes"`
}

func meetingTypeToJSON(mt booking.MeetingType) meetingTypeJSON {
	modes := make([]string, len(mt.Modes))
	for i, m := range mt.Modes {
		modes[i] = string(m)
	}
	return meetingTypeJSON{
		ID: mt.ID, AgencyID: mt.AgencyID,
		Name:            textJSON{SV: mt.Name.SV, EN: mt.Name.EN},
		Description:     textJSON{SV: mt.Description.SV, EN: mt.Description.EN},
		DurationMinutes: int(mt.Duration / time.Minute),
		Modes:           modes,
	}
}

func (j meetingTypeJSON) domain() booking.MeetingType {
	modes := make([]booking.Mode, len(j.Modes))
	for i, m := range j.Modes {
		modes[i] = booking.Mode(m)
	}
	return booking.MeetingType{
		ID: j.ID, AgencyID: j.AgencyID,
		Name:        booking.Text{SV: j.Name.SV, EN: j.Name.EN},
		Description: booking.Text{SV: j.Description.SV, EN: j.Description.EN},
		Duration:    time.Duration(j.DurationMinutes) * time.Minute,
		Modes:       modes,
	}
}

// listJSON is the envelope of every list: the items and, when more follow,
// the cursor that fetches them.
type listJSON[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func mapSlice[A, B any](in []A, f func(A) B) []B {
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}
