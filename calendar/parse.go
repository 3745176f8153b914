package calendar

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// ParsedEvent is what a calendar client would read from one VEVENT: enough to
// check a document in tests, here and in booking and notify.
type ParsedEvent struct {
	Method   string // the calendar's METHOD; empty for a snapshot
	UID      string
	Sequence int
	Status   string
	// Start and End are in UTC; TZID is the zone DTSTART named, if any.
	Start, End                         time.Time
	TZID                               string
	Summary, Description, LocationText string
	URL                                string
	Organizer                          Person
	Attendees                          []Attendee
	Categories                         []string
	Alarm                              *time.Duration // before Start
}

// Parse reads a document holding exactly one VEVENT, such as Request, Cancel
// or Document write. Anything unreadable, including input that makes go-ical's
// decoder panic, is an error wrapping ErrMalformed.
func Parse(b []byte) (*ParsedEvent, error) {
	events, err := ParseAll(b)
	if err != nil {
		return nil, err
	}
	if len(events) != 1 {
		return nil, fmt.Errorf("%w: want one VEVENT, got %d", ErrMalformed, len(events))
	}
	return &events[0], nil
}

// ParseAll reads every VEVENT of a document, such as a Publish feed.
func ParseAll(b []byte) ([]ParsedEvent, error) {
	cal, err := decode(b)
	if err != nil {
		return nil, err
	}
	method, err := cal.Props.Text(ical.PropMethod)
	if err != nil {
		return nil, fmt.Errorf("%w: METHOD: %v", ErrMalformed, err)
	}
	var out []ParsedEvent
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		e, err := parseEvent(c)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		e.Method = method
		out = append(out, e)
	}
	return out, nil
}

// decode runs go-ical's decoder, which panics on some malformed lines.
func decode(b []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("%w: decoder panicked: %v", ErrMalformed, r)
		}
	}()
	cal, err = ical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return cal, nil
}

func parseEvent(c *ical.Component) (ParsedEvent, error) {
	var e ParsedEvent
	var err error
	text := func(name string) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = c.Props.Text(name)
		if err != nil {
			err = fmt.Errorf("%s: %v", name, err)
		}
		return s
	}
	e.UID = text(ical.PropUID)
	e.Status = text(ical.PropStatus)
	e.Summary = text(ical.PropSummary)
	e.Description = text(ical.PropDescription)
	e.LocationText = text(ical.PropLocation)
	if err != nil {
		return e, err
	}
	if e.UID == "" {
		return e, fmt.Errorf("VEVENT without UID")
	}
	if p := c.Props.Get(ical.PropSequence); p != nil {
		if e.Sequence, err = p.Int(); err != nil {
			return e, fmt.Errorf("SEQUENCE: %v", err)
		}
	}
	if p := c.Props.Get(ical.PropDateTimeStart); p != nil {
		e.TZID = p.Params.Get(ical.ParamTimezoneID)
		if e.Start, err = p.DateTime(time.UTC); err != nil {
			return e, fmt.Errorf("DTSTART: %v", err)
		}
		e.Start = e.Start.UTC()
	}
	if p := c.Props.Get(ical.PropDateTimeEnd); p != nil {
		if e.End, err = p.DateTime(time.UTC); err != nil {
			return e, fmt.Errorf("DTEND: %v", err)
		}
		e.End = e.End.UTC()
	}
	if p := c.Props.Get(ical.PropURL); p != nil {
		e.URL = p.Value
	}
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		e.Organizer = parsePerson(p)
	}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		e.Attendees = append(e.Attendees, Attendee{
			Person:   parsePerson(&p),
			Role:     p.Params.Get(ical.ParamRole),
			PartStat: p.Params.Get(ical.ParamParticipationStatus),
			RSVP:     strings.EqualFold(p.Params.Get(ical.ParamRSVP), "TRUE"),
		})
	}
	for _, p := range c.Props.Values(ical.PropCategories) {
		l, err := p.TextList()
		if err != nil {
			return e, fmt.Errorf("CATEGORIES: %v", err)
		}
		e.Categories = append(e.Categories, l...)
	}
	for _, a := range c.Children {
		if a.Name != ical.CompAlarm {
			continue
		}
		if p := a.Props.Get(ical.PropTrigger); p != nil {
			d, err := p.Duration()
			if err != nil {
				return e, fmt.Errorf("TRIGGER: %v", err)
			}
			d = -d
			e.Alarm = &d
			break
		}
	}
	return e, nil
}

func parsePerson(p *ical.Prop) Person {
	email := p.Value
	if len(email) >= len("mailto:") && strings.EqualFold(email[:len("mailto:")], "mailto:") {
		email = email[len("mailto:"):]
	}
	return Person{Name: decodeParam(p.Params.Get(ical.ParamCommonName)), Email: email}
}
