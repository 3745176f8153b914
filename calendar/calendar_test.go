package calendar_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files

	"github.com/tidbok/tidbok/calendar"
)

var now = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func stockholm(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatalf("load Europe/Stockholm: %v", err)
	}
	return loc
}

// booked is an appointment as booking would describe it when first booked.
func booked(t testing.TB) calendar.Event {
	t.Helper()
	loc := stockholm(t)
	alarm := 30 * time.Minute
	return calendar.Event{
		UID:          calendar.UID("0b4e7c1e-5d0f-4f43-9a36-2f1b1c0f6a11"),
		Sequence:     0,
		Status:       calendar.StatusConfirmed,
		Start:        time.Date(2026, 3, 27, 10, 0, 0, 0, loc), // CET, before the change
		End:          time.Date(2026, 3, 27, 10, 45, 0, 0, loc),
		Location:     loc,
		Summary:      "Möte med handläggare, bygglov",
		Description:  "Ta med ritningar; legitimation.\nTolk (arabiska) är bokad.",
		LocationText: "Stadshuset, rum 3; Storgatan 1, Växjö",
		URL:          "https://tidbok.example.se/appointments/0b4e7c1e",
		Organizer:    calendar.Person{Name: "Växjö kommun, bokning", Email: "bokning@vaxjo.example.se"},
		Attendees: []calendar.Attendee{
			{Person: calendar.Person{Name: `Anna "Annie" Svensson`, Email: "anna@example.se"}, RSVP: true},
			{Person: calendar.Person{Name: "Lars Berg", Email: "lars.berg@vaxjo.example.se"}, Role: calendar.RoleChair, PartStat: calendar.PartStatAccepted},
		},
		Alarm:        &alarm,
		Created:      now,
		LastModified: now,
		Categories:   []string{"Bygglov", "Fysiskt möte"},
	}
}

// rescheduled is the same appointment moved across the spring change to CEST.
func rescheduled(t testing.TB) calendar.Event {
	t.Helper()
	e := booked(t)
	e.Sequence = 1
	e.Start = time.Date(2026, 3, 30, 14, 0, 0, 0, e.Location)
	e.End = time.Date(2026, 3, 30, 14, 45, 0, 0, e.Location)
	e.LastModified = now.Add(time.Hour)
	return e
}

func cancelled(t testing.TB) calendar.Event {
	t.Helper()
	e := rescheduled(t)
	e.Sequence = 2
	return e
}

func mustParse(t *testing.T, b []byte) *calendar.ParsedEvent {
	t.Helper()
	p, err := calendar.Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, b)
	}
	return p
}

var vtimezoneBlock = regexp.MustCompile(`(?s)BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n`)

func vtimezone(t *testing.T, b []byte) string {
	t.Helper()
	blocks := vtimezoneBlock.FindAll(b, -1)
	if len(blocks) != 1 {
		t.Fatalf("want one VTIMEZONE, got %d:\n%s", len(blocks), b)
	}
	return string(blocks[0])
}

func TestLifecycleUpdatesOneEvent(t *testing.T) {
	first, err := calendar.Request(booked(t), now)
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	update, err := calendar.Request(rescheduled(t), now.Add(time.Hour))
	if err != nil {
		t.Fatalf("Request update: %v", err)
	}
	cancel, err := calendar.Cancel(cancelled(t), now.Add(2*time.Hour))
	if err != nil {
		t.Fatalf("Cancel: %v", err)
	}

	tests := []struct {
		name       string
		doc        []byte
		method     string
		sequence   int
		status     string
		start, end time.Time
		dtstamp    time.Time
		alarm      bool
	}{
		{"the first request is sequence 0 in CET", first, "REQUEST", 0, "CONFIRMED",
			time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC), time.Date(2026, 3, 27, 9, 45, 0, 0, time.UTC), now, true},
		{"the update raises the sequence and moves into CEST", update, "REQUEST", 1, "CONFIRMED",
			time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 12, 45, 0, 0, time.UTC), now.Add(time.Hour), true},
		{"the cancel is CANCELLED with no reminder", cancel, "CANCEL", 2, "CANCELLED",
			time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 12, 45, 0, 0, time.UTC), now.Add(2 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc)
			if p.UID != booked(t).UID {
				t.Errorf("UID = %q, want %q", p.UID, booked(t).UID)
			}
			if p.Method != tt.method || p.Sequence != tt.sequence || p.Status != tt.status {
				t.Errorf("METHOD/SEQUENCE/STATUS = %s/%d/%s, want %s/%d/%s", p.Method, p.Sequence, p.Status, tt.method, tt.sequence, tt.status)
			}
			if !p.Start.Equal(tt.start) || !p.End.Equal(tt.end) {
				t.Errorf("start/end = %s/%s, want %s/%s", p.Start, p.End, tt.start, tt.end)
			}
			if p.TZID != "Europe/Stockholm" {
				t.Errorf("TZID = %q", p.TZID)
			}
			stamp := "DTSTAMP:" + tt.dtstamp.Format("20060102T150405Z") + "\r\n"
			if !bytes.Contains(tt.doc, []byte(stamp)) {
				t.Errorf("no %q in\n%s", stamp, tt.doc)
			}
			if (p.Alarm != nil) != tt.alarm {
				t.Errorf("alarm present = %v, want %v", p.Alarm != nil, tt.alarm)
			}
			if tt.alarm && *p.Alarm != 30*time.Minute {
				t.Errorf("alarm = %s, want 30m before", *p.Alarm)
			}
			if len(p.Attendees) != 2 || p.Organizer.Email != "bokning@vaxjo.example.se" {
				t.Errorf("organizer %+v, attendees %+v", p.Organizer, p.Attendees)
			}
			for _, line := range []string{"PRODID:-//Tidbok//Tidbok//SV\r\n", "VERSION:2.0\r\n", "CALSCALE:GREGORIAN\r\n"} {
				if !bytes.Contains(tt.doc, []byte(line)) {
					t.Errorf("missing %q", line)
				}
			}
		})
	}

	t.Run("every version carries the same VTIMEZONE bytes", func(t *testing.T) {
		want := vtimezone(t, first)
		for _, doc := range [][]byte{update, cancel} {
			if got := vtimezone(t, doc); got != want {
				t.Errorf("VTIMEZONE differs:\n%s\nwant\n%s", got, want)
			}
		}
	})
}

func TestStockholmVTimezoneIsTheEURule(t *testing.T) {
	b, err := calendar.Request(booked(t), now)
	if err != nil {
		t.Fatal(err)
	}
	want := "BEGIN:VTIMEZONE\r\nTZID:Europe/Stockholm\r\n" +
		"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZNAME:CEST\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n" +
		"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZNAME:CET\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\n"
	if got := vtimezone(t, b); got != want {
		t.Errorf("VTIMEZONE =\n%s\nwant\n%s", got, want)
	}
}

func TestVTimezoneDoesNotDependOnTheEventYear(t *testing.T) {
	e := booked(t)
	want := vtimezone(t, mustRequest(t, e))
	for _, year := range []int{2001, 2026, 2031, 2037} {
		e.Start = time.Date(year, 7, 1, 9, 0, 0, 0, e.Location)
		e.End = e.Start.Add(time.Hour)
		if got := vtimezone(t, mustRequest(t, e)); got != want {
			t.Errorf("VTIMEZONE for an event in %d differs:\n%s", year, got)
		}
	}
}

func mustRequest(t *testing.T, e calendar.Event) []byte {
	t.Helper()
	b, err := calendar.Request(e, now)
	if err != nil {
		t.Fatalf("Request: %v", err)
	}
	return b
}

func TestDaylightSavingDaysParseToTheRightInstant(t *testing.T) {
	loc := stockholm(t)
	tests := []struct {
		name  string
		local time.Time
		utc   time.Time
		line  string
	}{
		{"spring forward day, after the change", time.Date(2026, 3, 29, 10, 0, 0, 0, loc),
			time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC), "DTSTART;TZID=Europe/Stockholm:20260329T100000"},
		{"fall back day, after the change", time.Date(2026, 10, 25, 10, 0, 0, 0, loc),
			time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC), "DTSTART;TZID=Europe/Stockholm:20261025T100000"},
		{"just before the repeated hour is local time", time.Date(2026, 10, 25, 1, 59, 0, 0, loc),
			time.Date(2026, 10, 24, 23, 59, 0, 0, time.UTC), "DTSTART;TZID=Europe/Stockholm:20261025T015900"},
		{"just after the repeated hour is local time", time.Date(2026, 10, 25, 3, 0, 0, 0, loc),
			time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC), "DTSTART;TZID=Europe/Stockholm:20261025T030000"},
		{"first of the repeated 02:30 is written in UTC", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC).In(loc),
			time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "DTSTART:20261025T003000Z"},
		{"second of the repeated 02:30 is written in UTC", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC).In(loc),
			time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "DTSTART:20261025T013000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := booked(t)
			e.Start, e.End = tt.local, tt.local.Add(30*time.Minute)
			b := mustRequest(t, e)
			if p := mustParse(t, b); !p.Start.Equal(tt.utc) || !p.End.Equal(tt.utc.Add(30*time.Minute)) {
				t.Errorf("start = %s, end = %s, want %s + 30m", p.Start, p.End, tt.utc)
			}
			if !bytes.Contains(b, []byte(tt.line+"\r\n")) {
				t.Errorf("no line %q in\n%s", tt.line, b)
			}
		})
	}
}

func TestRefusesZonesWithoutAnIANAName(t *testing.T) {
	tests := []struct {
		name string
		loc  *time.Location
	}{
		{"no zone", nil},
		{"time.Local", time.Local},
		{"a fixed offset", time.FixedZone("CET+1", 3600)},
		{"an unnamed fixed offset", time.FixedZone("", 7200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := booked(t)
			e.Location = tt.loc
			_, err := calendar.Request(e, now)
			if !errors.Is(err, calendar.ErrInvalid) || !strings.Contains(err.Error(), "Location") {
				t.Errorf("err = %v, want ErrInvalid naming Location", err)
			}
		})
	}
	t.Run("a fixed zone named like an IANA zone gets the real rules", func(t *testing.T) {
		e := booked(t)
		e.Location = time.FixedZone("Europe/Stockholm", 3600)
		e.Start = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
		e.End = e.Start.Add(time.Hour)
		b := mustRequest(t, e)
		if !bytes.Contains(b, []byte("DTSTART;TZID=Europe/Stockholm:20260701T100000\r\n")) {
			t.Errorf("want summer time from the zone database:\n%s", b)
		}
	})
}

func TestRefusesInvalidEvents(t *testing.T) {
	tests := []struct {
		name   string
		change func(*calendar.Event)
		write  func(calendar.Event, time.Time) ([]byte, error)
		want   string
	}{
		{"empty UID", func(e *calendar.Event) { e.UID = "" }, calendar.Request, "UID"},
		{"UID with a line break", func(e *calendar.Event) { e.UID = "a\nb@tidbok" }, calendar.Request, "UID"},
		{"negative sequence", func(e *calendar.Event) { e.Sequence = -1 }, calendar.Request, "Sequence"},
		{"unknown status", func(e *calendar.Event) { e.Status = "COMPLETED" }, calendar.Request, "Status"},
		{"cancelled status in a request", func(e *calendar.Event) { e.Status = calendar.StatusCancelled }, calendar.Request, "Cancel"},
		{"end before start", func(e *calendar.Event) { e.End = e.Start.Add(-time.Minute) }, calendar.Request, "End"},
		{"end equal to start", func(e *calendar.Event) { e.End = e.Start }, calendar.Request, "End"},
		{"no start", func(e *calendar.Event) { e.Start = time.Time{} }, calendar.Request, "Start"},
		{"request without organizer", func(e *calendar.Event) { e.Organizer = calendar.Person{} }, calendar.Request, "Organizer"},
		{"request without attendees", func(e *calendar.Event) { e.Attendees = nil }, calendar.Request, "attendee"},
		{"cancel without attendees", func(e *calendar.Event) { e.Attendees = nil }, calendar.Cancel, "attendee"},
		{"organizer e-mail with a display name", func(e *calendar.Event) { e.Organizer.Email = "Bokning <b@x.se>" }, calendar.Request, "Organizer"},
		{"attendee e-mail that is not one", func(e *calendar.Event) { e.Attendees[0].Email = "anna" }, calendar.Request, "attendee 0"},
		{"attendee e-mail needing URI encoding", func(e *calendar.Event) { e.Attendees[0].Email = "a?b@x.se" }, calendar.Request, "attendee 0"},
		{"unknown role", func(e *calendar.Event) { e.Attendees[1].Role = "BOSS" }, calendar.Request, "Role"},
		{"unknown participation status", func(e *calendar.Event) { e.Attendees[1].PartStat = "MAYBE" }, calendar.Request, "PartStat"},
		{"alarm after the start", func(e *calendar.Event) { d := -time.Minute; e.Alarm = &d }, calendar.Request, "Alarm"},
		{"relative URL", func(e *calendar.Event) { e.URL = "/appointments/1" }, calendar.Request, "URL"},
		{"URL with a space", func(e *calendar.Event) { e.URL = "https://x.se/a b" }, calendar.Request, "URL"},
		{"document without zone", func(e *calendar.Event) { e.Location = nil }, calendar.Document, "Location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := booked(t)
			tt.change(&e)
			b, err := tt.write(e, now)
			if !errors.Is(err, calendar.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
			if b != nil {
				t.Errorf("wrote %d bytes despite the error", len(b))
			}
		})
	}
	t.Run("every problem is reported at once", func(t *testing.T) {
		e := booked(t)
		e.UID, e.Sequence, e.Organizer = "", -1, calendar.Person{}
		_, err := calendar.Request(e, now)
		for _, want := range []string{"UID", "Sequence", "Organizer"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want it to mention %s", err, want)
			}
		}
	})
	t.Run("zero now", func(t *testing.T) {
		if _, err := calendar.Request(booked(t), time.Time{}); !errors.Is(err, calendar.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}

func TestNamesInParametersRoundTrip(t *testing.T) {
	names := []string{
		`Anna "Annie" Svensson`,
		"Svensson, Anna",
		"Dr. Berg: kurator; Växjö",
		"Åsa Öberg 😀",
		"Caret ^ and ^' and ^n stay literal",
		"",
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			e := booked(t)
			e.Attendees[0].Name = name
			e.Organizer.Name = name
			b := mustRequest(t, e)
			p := mustParse(t, b)
			if p.Attendees[0].Name != name || p.Organizer.Name != name {
				t.Errorf("CN read back as %q / %q, want %q", p.Attendees[0].Name, p.Organizer.Name, name)
			}
			if p.Attendees[0].Email != e.Attendees[0].Email {
				t.Errorf("e-mail = %q", p.Attendees[0].Email)
			}
		})
	}
	t.Run("role, status and RSVP are written", func(t *testing.T) {
		p := mustParse(t, mustRequest(t, booked(t)))
		want := []calendar.Attendee{
			{Person: calendar.Person{Name: `Anna "Annie" Svensson`, Email: "anna@example.se"}, Role: "REQ-PARTICIPANT", PartStat: "NEEDS-ACTION", RSVP: true},
			{Person: calendar.Person{Name: "Lars Berg", Email: "lars.berg@vaxjo.example.se"}, Role: "CHAIR", PartStat: "ACCEPTED"},
		}
		for i := range want {
			if p.Attendees[i] != want[i] {
				t.Errorf("attendee %d = %+v, want %+v", i, p.Attendees[i], want[i])
			}
		}
	})
}

func TestEveryLineIsFoldedAndEndsInCRLF(t *testing.T) {
	e := booked(t)
	e.Summary = strings.Repeat("Möte 😀 om bygglov, ", 20)
	e.Description = strings.Repeat("åäö", 3000)
	e.Attendees[0].Name = strings.Repeat("Anna-Lena Svensson-Öberg ", 6)
	b := mustRequest(t, e)
	assertFolded(t, b)
	p := mustParse(t, b)
	if p.Summary != e.Summary || p.Description != e.Description || p.Attendees[0].Name != e.Attendees[0].Name {
		t.Errorf("long text did not survive folding")
	}
}

// assertFolded checks RFC 5545 §3.1 on a whole document: CRLF line ends only,
// no line over 75 octets, and no fold inside a UTF-8 sequence.
func assertFolded(t *testing.T, b []byte) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("document does not end in CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	for i, line := range lines {
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Fatalf("line %d is %d octets: %q", i+1, len(line), line)
		}
		if !utf8ValidLine(line) {
			t.Fatalf("line %d splits a UTF-8 sequence: %q", i+1, line)
		}
	}
}

func utf8ValidLine(s string) bool { return strings.ToValidUTF8(s, "\x00") == s }

func TestPublishFeed(t *testing.T) {
	a, b := booked(t), rescheduled(t)
	b.UID = calendar.UID("second")
	c := cancelled(t)
	c.UID = calendar.UID("third")
	c.Status = calendar.StatusCancelled
	feed, err := calendar.Publish("Lars Bergs möten, Växjö", []calendar.Event{a, b, c}, now, time.Hour)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	assertFolded(t, feed)
	for _, line := range []string{
		"METHOD:PUBLISH", "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
		"X-WR-CALNAME:Lars Bergs möten\\, Växjö", "NAME:Lars Bergs möten\\, Växjö",
	} {
		if !bytes.Contains(feed, []byte("\r\n"+line+"\r\n")) {
			t.Errorf("feed lacks %q:\n%s", line, feed)
		}
	}
	if n := bytes.Count(feed, []byte("BEGIN:VTIMEZONE")); n != 1 {
		t.Errorf("%d VTIMEZONEs for one zone", n)
	}
	events, err := calendar.ParseAll(feed)
	if err != nil {
		t.Fatalf("ParseAll: %v", err)
	}
	if len(events) != 3 {
		t.Fatalf("got %d events", len(events))
	}
	for i, want := range []calendar.Event{a, b, c} {
		got := events[i]
		if got.UID != want.UID || got.Method != "PUBLISH" || !got.Start.Equal(want.Start) || got.Sequence != want.Sequence {
			t.Errorf("event %d = %+v", i, got)
		}
		if len(got.Attendees) != 0 {
			t.Errorf("event %d has attendees in PUBLISH (RFC 5546 §3.2.1 forbids them)", i)
		}
		if got.Organizer.Email == "" {
			t.Errorf("event %d lacks the ORGANIZER PUBLISH requires", i)
		}
	}
	if events[2].Status != "CANCELLED" || events[2].Alarm != nil {
		t.Errorf("cancelled event = status %q, alarm %v", events[2].Status, events[2].Alarm)
	}

	t.Run("an empty feed is still a calendar", func(t *testing.T) {
		empty, err := calendar.Publish("Inga möten", nil, now, 30*time.Minute)
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if !bytes.HasPrefix(empty, []byte("BEGIN:VCALENDAR\r\n")) || !bytes.HasSuffix(empty, []byte("END:VCALENDAR\r\n")) ||
			!bytes.Contains(empty, []byte("REFRESH-INTERVAL;VALUE=DURATION:PT30M\r\n")) || bytes.Contains(empty, []byte("X-TIDBOK")) {
			t.Errorf("empty feed:\n%s", empty)
		}
		if events, err := calendar.ParseAll(empty); err != nil || len(events) != 0 {
			t.Errorf("ParseAll = %v, %v", events, err)
		}
	})
	t.Run("zones are listed once each, sorted", func(t *testing.T) {
		ny, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		b2 := b
		b2.Location = ny
		feed, err := calendar.Publish("x", []calendar.Event{a, b2}, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		i, j := bytes.Index(feed, []byte("TZID:America/New_York")), bytes.Index(feed, []byte("TZID:Europe/Stockholm"))
		if i < 0 || j < 0 || i > j || bytes.Count(feed, []byte("BEGIN:VTIMEZONE")) != 2 {
			t.Errorf("want New York then Stockholm:\n%s", feed)
		}
	})
	t.Run("a UID twice is refused", func(t *testing.T) {
		if _, err := calendar.Publish("x", []calendar.Event{a, a}, now, time.Hour); !errors.Is(err, calendar.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("no refresh hints with refresh 0", func(t *testing.T) {
		one, err := calendar.Publish("x", []calendar.Event{a}, now, 0)
		if err != nil || bytes.Contains(one, []byte("REFRESH-INTERVAL")) || bytes.Contains(one, []byte("X-PUBLISHED-TTL")) {
			t.Errorf("err %v, document:\n%s", err, one)
		}
	})
}

func TestDocumentIsASnapshotWithoutMethod(t *testing.T) {
	e := booked(t)
	e.Organizer = calendar.Person{} // a snapshot needs no organizer
	b, err := calendar.Document(e, now)
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	if bytes.Contains(b, []byte("METHOD")) {
		t.Errorf("Document has a METHOD:\n%s", b)
	}
	p := mustParse(t, b)
	if p.Method != "" || p.UID != e.UID || len(p.Attendees) != 2 || p.Alarm == nil {
		t.Errorf("parsed = %+v", p)
	}
	vtz := vtimezone(t, mustRequest(t, booked(t)))
	if vtimezone(t, b) != vtz {
		t.Errorf("Document's VTIMEZONE differs from the invitation's")
	}
}

func TestSameInputSameBytes(t *testing.T) {
	a, b := mustRequest(t, booked(t)), mustRequest(t, booked(t))
	if !bytes.Equal(a, b) {
		t.Errorf("two encodings of one event differ")
	}
}

func TestParseRefusesMalformedInputWithoutPanicking(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"not iCalendar", "hello"},
		{"parameter with no colon (go-ical panics)", "BEGIN:VCALENDAR\r\nX;A=b"},
		{"unterminated component", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"},
		{"wrong top level", "BEGIN:VEVENT\r\nEND:VEVENT\r\n"},
		{"bad sequence", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSEQUENCE:one\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"bad escape", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:a\\q\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"unknown zone", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Mars/Olympus:20260101T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
		{"two events for Parse", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:y\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := calendar.Parse([]byte(tt.in)); !errors.Is(err, calendar.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("BEGIN:VCALENDAR\r\nX;A=b"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Whatever a user sends, Parse returns; a panic fails the fuzz run.
		if _, err := calendar.Parse(b); err != nil && !errors.Is(err, calendar.ErrMalformed) {
			t.Errorf("error not wrapping ErrMalformed: %v", err)
		}
	})
}
