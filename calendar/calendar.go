// Package calendar builds the iCalendar (RFC 5545) documents of an appointment:
// the iTIP (RFC 5546) REQUEST and CANCEL that notify mails as invitations, the
// PUBLISH feeds staff and citizens subscribe to, and the snapshot that
// booking's GET /v1/appointments/{id}/ical serves.
//
// Calendars update an event they already hold when a document carries the same
// UID and a higher SEQUENCE, so callers keep one UID for an appointment's whole
// life (see UID) and raise Sequence on every change of time, place or status.
// Every document carries the VTIMEZONE of the agency's zone, derived from Go's
// zone database and identical in every version of the appointment.
//
// The package is pure: plain values in, bytes out, no I/O.
package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// ProdID names Tidbok as the producer of every document.
const ProdID = "-//Tidbok//Tidbok//SV"

// Methods (RFC 5546 §1.4) and statuses (RFC 5545 §3.8.1.11, VEVENT).
const (
	MethodRequest = "REQUEST"
	MethodCancel  = "CANCEL"
	MethodPublish = "PUBLISH"

	StatusConfirmed = "CONFIRMED"
	StatusTentative = "TENTATIVE"
	StatusCancelled = "CANCELLED"
)

// Participation roles and statuses of an attendee (RFC 5545 §3.2.12, §3.2.16).
const (
	RoleChair          = "CHAIR"
	RoleRequired       = "REQ-PARTICIPANT"
	RoleOptional       = "OPT-PARTICIPANT"
	RoleNonParticipant = "NON-PARTICIPANT"

	PartStatNeedsAction = "NEEDS-ACTION"
	PartStatAccepted    = "ACCEPTED"
	PartStatDeclined    = "DECLINED"
	PartStatTentative   = "TENTATIVE"
	PartStatDelegated   = "DELEGATED"
)

var (
	// ErrInvalid: the Event cannot be written as a valid document.
	ErrInvalid = errors.New("calendar: invalid event")
	// ErrMalformed: bytes given to Parse are not an iCalendar document it can read.
	ErrMalformed = errors.New("calendar: malformed iCalendar")
)

// Event is one appointment as it stands in one version.
type Event struct {
	// UID is the same for the appointment's whole life; see UID.
	UID string
	// Sequence is raised on every change of time, place or status (RFC 5546 §2.1.4).
	Sequence int
	// Status is CONFIRMED (the default when empty), TENTATIVE or CANCELLED.
	Status     string
	Start, End time.Time
	// Location is the agency's named IANA zone; Local and fixed zones are refused.
	Location                           *time.Location
	Summary, Description, LocationText string
	URL                                string
	Organizer                          Person
	Attendees                          []Attendee
	// Alarm, when set, is a DISPLAY reminder this long before Start.
	Alarm                 *time.Duration
	Created, LastModified time.Time
	Categories            []string
}

// Person is an organizer or attendee, addressed as mailto:Email.
type Person struct {
	Name, Email string
}

// Attendee is a participant. Empty Role and PartStat mean REQ-PARTICIPANT and
// NEEDS-ACTION.
type Attendee struct {
	Person
	Role     string
	PartStat string
	RSVP     bool
}

// UID is the iCalendar UID of an appointment, shared by booking's download,
// notify's mails and the feeds so that all of them update one event.
func UID(appointmentID string) string { return appointmentID + "@tidbok" }

// Request is the invitation for a booked or rescheduled appointment:
// METHOD:REQUEST, every attendee, and the alarm.
func Request(e Event, now time.Time) ([]byte, error) {
	if e.Status == StatusCancelled {
		return nil, fmt.Errorf("%w: a cancelled appointment is sent with Cancel, not Request", ErrInvalid)
	}
	return encode(MethodRequest, nil, []Event{e}, now)
}

// Cancel removes the appointment from the recipients' calendars: METHOD:CANCEL
// with STATUS:CANCELLED whatever e.Status says. Its Sequence must be higher
// than that of the last Request sent.
func Cancel(e Event, now time.Time) ([]byte, error) {
	e.Status = StatusCancelled
	return encode(MethodCancel, nil, []Event{e}, now)
}

// Publish is a subscribable feed (METHOD:PUBLISH) named name, for
// GET /v1/feeds/{token}.ics, telling clients to fetch it again every refresh
// (REFRESH-INTERVAL and X-PUBLISHED-TTL; refresh 0 leaves both out). RFC 5546
// §3.2.1 allows no ATTENDEE in PUBLISH, so attendees are left out: say in
// Summary or Description who the meeting is with. A subscribed calendar drops
// events that leave the feed, so a cancelled appointment may either be left
// out or stay with Status CANCELLED.
func Publish(name string, events []Event, now time.Time, refresh time.Duration) ([]byte, error) {
	if refresh < 0 || refresh%time.Second != 0 {
		return nil, fmt.Errorf("%w: refresh %s must be zero or a positive whole number of seconds", ErrInvalid, refresh)
	}
	seen := map[string]bool{}
	for _, e := range events {
		if seen[e.UID] {
			return nil, fmt.Errorf("%w: UID %q appears twice in the feed", ErrInvalid, e.UID)
		}
		seen[e.UID] = true
	}
	return encode(MethodPublish, func(cal *ical.Calendar) {
		setText(cal.Props, "NAME", name) // RFC 7986
		setText(cal.Props, "X-WR-CALNAME", name)
		if refresh > 0 {
			d := formatDuration(refresh)
			p := ical.NewProp(ical.PropRefreshInterval)
			p.Params.Set(ical.ParamValue, string(ical.ValueDuration)) // RFC 7986 §5.7 requires it
			p.Value = d
			cal.Props.Set(p)
			setRaw(cal.Props, "X-PUBLISHED-TTL", d)
		}
	}, events, now)
}

// Document is the appointment as a plain RFC 5545 snapshot, without METHOD:
// what GET /v1/appointments/{id}/ical returns (Content-Type
// "text/calendar; charset=utf-8", no method parameter). RFC 5545 §3.7.2 says
// a calendar without METHOD is a snapshot with no scheduling meaning, which is
// what a download is: importing it adds or updates the event by UID and
// SEQUENCE, and no client offers to send a reply. Unlike PUBLISH it may keep
// the attendees, so the download still says who the meeting is with. For a
// PUBLISH download instead, use Publish with one event and refresh 0.
func Document(e Event, now time.Time) ([]byte, error) {
	return encode("", nil, []Event{e}, now)
}

// encode builds and writes a calendar of events. The VTIMEZONEs come first,
// which some clients need before a TZID refers to them.
func encode(method string, calProps func(*ical.Calendar), events []Event, now time.Time) ([]byte, error) {
	if now.IsZero() {
		return nil, fmt.Errorf("%w: now (DTSTAMP) is zero", ErrInvalid)
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, ProdID)
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	if method != "" {
		cal.Props.SetText(ical.PropMethod, method)
	}
	if calProps != nil {
		calProps(cal)
	}

	zones := map[string]*zoneModel{}
	var vevents []*ical.Component
	var errs []error
	for i, e := range events {
		c, zone, err := eventComponent(method, e, now)
		if err != nil {
			if len(events) > 1 {
				err = fmt.Errorf("event %d (%s): %w", i, e.UID, err)
			}
			errs = append(errs, err)
			continue
		}
		zones[zone.loc.String()] = zone
		vevents = append(vevents, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(zones))
	for name := range zones {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cal.Children = append(cal.Children, zones[name].component)
	}
	cal.Children = append(cal.Children, vevents...)

	// go-ical refuses a calendar without components, but an empty feed is
	// legitimate (every feed publisher writes it so): encode with a
	// placeholder and cut its two lines out.
	const placeholder = "X-TIDBOK-EMPTY"
	empty := len(cal.Children) == 0
	if empty {
		cal.Children = append(cal.Children, ical.NewComponent(placeholder))
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	out := buf.Bytes()
	if empty {
		out = bytes.Replace(out, []byte("BEGIN:"+placeholder+"\r\nEND:"+placeholder+"\r\n"), nil, 1)
	}
	return fold(out), nil
}

func eventComponent(method string, e Event, now time.Time) (*ical.Component, *zoneModel, error) {
	zone, err := validate(method, e)
	if err != nil {
		return nil, nil, err
	}
	status := e.Status
	if status == "" {
		status = StatusConfirmed
	}

	ev := ical.NewEvent()
	p := ev.Props
	setText(p, ical.PropUID, e.UID)
	setRaw(p, ical.PropSequence, strconv.Itoa(e.Sequence))
	setRaw(p, ical.PropStatus, status)
	setRaw(p, ical.PropDateTimeStamp, now.UTC().Format(utcFormat))
	p.Set(dateTimeProp(ical.PropDateTimeStart, e.Start, zone.loc))
	p.Set(dateTimeProp(ical.PropDateTimeEnd, e.End, zone.loc))
	setText(p, ical.PropSummary, e.Summary)
	if e.Description != "" {
		setText(p, ical.PropDescription, e.Description)
	}
	if e.LocationText != "" {
		setText(p, ical.PropLocation, e.LocationText)
	}
	if e.URL != "" {
		setRaw(p, ical.PropURL, e.URL)
	}
	setRaw(p, ical.PropTransparency, "OPAQUE") // a meeting makes the person busy
	if !e.Created.IsZero() {
		setRaw(p, ical.PropCreated, e.Created.UTC().Format(utcFormat))
	}
	if !e.LastModified.IsZero() {
		setRaw(p, ical.PropLastModified, e.LastModified.UTC().Format(utcFormat))
	}
	if len(e.Categories) > 0 {
		cats := make([]string, len(e.Categories))
		for i, c := range e.Categories {
			cats[i] = normalizeText(c)
		}
		prop := ical.NewProp(ical.PropCategories)
		prop.SetTextList(cats)
		p.Set(prop)
	}
	if e.Organizer.Email != "" {
		p.Set(personProp(ical.PropOrganizer, e.Organizer))
	}
	if method != MethodPublish {
		for _, a := range e.Attendees {
			prop := personProp(ical.PropAttendee, a.Person)
			prop.Params.Set(ical.ParamCalendarUserType, "INDIVIDUAL")
			prop.Params.Set(ical.ParamRole, orDefault(a.Role, RoleRequired))
			prop.Params.Set(ical.ParamParticipationStatus, orDefault(a.PartStat, PartStatNeedsAction))
			if a.RSVP {
				prop.Params.Set(ical.ParamRSVP, "TRUE")
			}
			p.Add(prop)
		}
	}
	// A reminder for a cancelled meeting would only mislead.
	if e.Alarm != nil && status != StatusCancelled {
		alarm := ical.NewComponent(ical.CompAlarm)
		setRaw(alarm.Props, ical.PropAction, "DISPLAY")
		setRaw(alarm.Props, ical.PropTrigger, "-"+formatDuration(*e.Alarm))
		// DISPLAY requires a DESCRIPTION (RFC 5545 §3.6.6).
		setText(alarm.Props, ical.PropDescription, orDefault(e.Summary, "Reminder"))
		ev.Children = append(ev.Children, alarm)
	}
	return ev.Component, zone, nil
}

// dateTimeProp writes t as local time with the zone's TZID. A wall time that
// occurs twice (the hour the clocks go back) is written in UTC instead: RFC
// 5545 §3.3.5 means the first occurrence, but Go (and so go-ical) reads the
// second, and one meaning for every reader matters more than local time.
func dateTimeProp(name string, t time.Time, loc *time.Location) *ical.Prop {
	p := ical.NewProp(name)
	t = t.Truncate(time.Second)
	if ambiguous(t, loc) {
		p.Value = t.UTC().Format(utcFormat)
		return p
	}
	p.Params.Set(ical.ParamTimezoneID, loc.String())
	p.Value = t.In(loc).Format(localFormat)
	return p
}

// ambiguous reports whether t's wall clock in loc also names another instant.
func ambiguous(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	w := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), 0, time.UTC)
	for _, probe := range []time.Duration{-24 * time.Hour, 24 * time.Hour} {
		_, off := t.Add(probe).In(loc).Zone()
		other := w.Add(-time.Duration(off) * time.Second)
		if _, o := other.In(loc).Zone(); o == off && !other.Equal(t) {
			return true
		}
	}
	return false
}

func personProp(name string, person Person) *ical.Prop {
	p := ical.NewProp(name)
	if person.Name != "" {
		p.Params.Set(ical.ParamCommonName, encodeParam(person.Name))
	}
	p.Value = "mailto:" + person.Email
	return p
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// validate reports every problem of e at once, each wrapping ErrInvalid.
func validate(method string, e Event) (*zoneModel, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if strings.TrimSpace(e.UID) == "" {
		bad("UID is empty")
	} else if normalizeText(e.UID) != e.UID || strings.ContainsAny(e.UID, "\n\t") {
		bad("UID %q contains control characters or invalid UTF-8", e.UID)
	}
	if e.Sequence < 0 {
		bad("Sequence %d is negative", e.Sequence)
	}
	switch e.Status {
	case "", StatusConfirmed, StatusTentative, StatusCancelled:
	default:
		bad("Status %q is not CONFIRMED, TENTATIVE or CANCELLED", e.Status)
	}
	if e.Start.IsZero() || e.End.IsZero() {
		bad("Start and End are required")
	} else if !e.End.Truncate(time.Second).After(e.Start.Truncate(time.Second)) {
		bad("End %s is not after Start %s", e.End, e.Start)
	}
	zone, err := zoneFor(e.Location)
	if err != nil {
		errs = append(errs, err)
	} else if !e.Start.IsZero() && !e.End.IsZero() {
		for _, t := range []time.Time{e.Start, e.End} {
			if err := zone.check(t); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if e.URL != "" {
		if u, err := url.Parse(e.URL); err != nil || !u.IsAbs() || u.Host == "" ||
			strings.ContainsFunc(e.URL, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '"' }) {
			bad("URL %q is not an absolute URL", e.URL)
		}
	}
	if method != "" && e.Organizer.Email == "" {
		// RFC 5546 requires ORGANIZER in REQUEST, CANCEL and PUBLISH.
		bad("Organizer is required for METHOD:%s", method)
	}
	if e.Organizer.Email != "" {
		if err := checkEmail(e.Organizer.Email); err != nil {
			bad("Organizer: %v", err)
		}
	}
	if (method == MethodRequest || method == MethodCancel) && len(e.Attendees) == 0 {
		bad("METHOD:%s needs at least one attendee", method)
	}
	for i, a := range e.Attendees {
		if err := checkEmail(a.Email); err != nil {
			bad("attendee %d: %v", i, err)
		}
		switch a.Role {
		case "", RoleChair, RoleRequired, RoleOptional, RoleNonParticipant:
		default:
			bad("attendee %d: Role %q is unknown", i, a.Role)
		}
		switch a.PartStat {
		case "", PartStatNeedsAction, PartStatAccepted, PartStatDeclined, PartStatTentative, PartStatDelegated:
		default:
			bad("attendee %d: PartStat %q is unknown", i, a.PartStat)
		}
	}
	if e.Alarm != nil && (*e.Alarm < 0 || *e.Alarm%time.Second != 0) {
		bad("Alarm %s must be a non-negative whole number of seconds before Start", *e.Alarm)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return zone, nil
}

// checkEmail accepts a plain addr-spec that can stand in a mailto: URI as it
// is; clients match attendees by that string, so it is never percent-encoded.
func checkEmail(s string) error {
	if s == "" {
		return errors.New("e-mail address is empty")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("%q is not a plain e-mail address", s)
	}
	if strings.ContainsAny(s, `?#%"`) || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%q has characters a mailto: URI would need to encode", s)
	}
	return nil
}
