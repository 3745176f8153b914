package calendar_test

import (
	"testing"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/calendar/icaljstest"
)

// probes are the instants around every transition of loc in 2024–2031, where
// a wrong RRULE would show first, without those whose wall clock occurs twice
// (the writer never uses those as local times).
func probes(loc *time.Location) []time.Time {
	var out []time.Time
	add := func(at time.Time) {
		if !wallRepeats(at, loc) {
			out = append(out, at)
		}
	}
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).In(loc)
	end := time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC)
	add(t)
	for {
		_, next := t.ZoneBounds()
		if next.IsZero() || !next.Before(end) {
			return out
		}
		for _, d := range []time.Duration{-2 * time.Hour, -time.Second, 0, time.Second, 2 * time.Hour} {
			add(next.Add(d))
		}
		t = next.Add(time.Second).In(loc)
	}
}

func wallRepeats(at time.Time, loc *time.Location) bool {
	l := at.In(loc)
	wall := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
	for _, d := range []time.Duration{-24 * time.Hour, 24 * time.Hour} {
		_, off := at.Add(d).In(loc).Zone()
		other := wall.Add(-time.Duration(off) * time.Second)
		if _, o := other.In(loc).Zone(); o == off && !other.Equal(at) {
			return true
		}
	}
	return false
}

func TestIndependentParserAgrees(t *testing.T) {
	type doc struct {
		name   string
		event  calendar.Event
		write  func(calendar.Event, time.Time) ([]byte, error)
		method string
		status string
	}
	docs := []doc{
		{"request", booked(t), calendar.Request, "REQUEST", "CONFIRMED"},
		{"update across the spring change", rescheduled(t), calendar.Request, "REQUEST", "CONFIRMED"},
		{"cancel", cancelled(t), calendar.Cancel, "CANCEL", "CANCELLED"},
	}
	// Other rule shapes the VTIMEZONE generator writes: nth weekday rules with
	// UNTIL (New York), a half-hour DST (Lord Howe), no DST (Kolkata),
	// "weekday on or after" as BYMONTHDAY lists (Santiago, Jerusalem), and
	// irregular transitions as one observance each (Casablanca).
	for i, zone := range []string{"America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
		"America/Santiago", "Asia/Jerusalem", "Africa/Casablanca"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		e := booked(t)
		e.UID = calendar.UID(zone)
		e.Sequence = i
		e.Location = loc
		e.Start = time.Date(2026, 11, 2, 9, 30, 0, 0, loc)
		e.End = e.Start.Add(time.Hour)
		docs = append(docs, doc{zone, e, calendar.Request, "REQUEST", "CONFIRMED"})
	}

	var in []icaljstest.Input
	for _, d := range docs {
		b, err := d.write(d.event, now)
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		in = append(in, icaljstest.Input{Name: d.name, ICS: string(b)})
		for _, p := range probes(d.event.Location) {
			in[len(in)-1].Probes = append(in[len(in)-1].Probes, p.In(d.event.Location).Format("20060102T150405"))
		}
	}
	out := icaljstest.Read(t, in)

	for i, d := range docs {
		got, e := out[i], d.event
		t.Run(d.name, func(t *testing.T) {
			if got.UID != e.UID || got.Sequence != e.Sequence || got.Status != d.status || got.Method != d.method {
				t.Errorf("ical.js read UID/SEQUENCE/STATUS/METHOD %q/%d/%s/%s, want %q/%d/%s/%s",
					got.UID, got.Sequence, got.Status, got.Method, e.UID, e.Sequence, d.status, d.method)
			}
			if got.Start != e.Start.Unix() || got.End != e.End.Unix() {
				t.Errorf("ical.js start/end = %s/%s, want %s/%s (TZID %q)",
					time.Unix(got.Start, 0).UTC(), time.Unix(got.End, 0).UTC(), e.Start.UTC(), e.End.UTC(), got.TZID)
			}
			if got.TZID != e.Location.String() {
				t.Errorf("TZID = %q, want %q", got.TZID, e.Location)
			}
			for j, want := range probes(e.Location) {
				if j >= len(got.Probes) || got.Probes[j] != want.Unix() {
					t.Errorf("ical.js reads %s %s as %v, Go as %s",
						in[i].Probes[j], e.Location, unixAt(got.Probes, j), want.UTC())
				}
			}
			if got.Summary != e.Summary || got.Description != e.Description || got.Location != e.LocationText {
				t.Errorf("ical.js text = %q / %q / %q", got.Summary, got.Description, got.Location)
			}
			if got.Organizer.CN != e.Organizer.Name || got.Organizer.Value != "mailto:"+e.Organizer.Email {
				t.Errorf("ical.js organizer = %+v", got.Organizer)
			}
			if len(got.Attendees) != len(e.Attendees) {
				t.Fatalf("ical.js attendees = %+v", got.Attendees)
			}
			for j, a := range e.Attendees {
				// Anna's CN holds double quotes, written with RFC 6868's ^'.
				if got.Attendees[j].CN != a.Name || got.Attendees[j].Value != "mailto:"+a.Email {
					t.Errorf("ical.js attendee %d = %+v, want %q <%s>", j, got.Attendees[j], a.Name, a.Email)
				}
			}
		})
	}
}

func unixAt(xs []int64, i int) any {
	if i < len(xs) {
		return time.Unix(xs[i], 0).UTC()
	}
	return "nothing"
}
