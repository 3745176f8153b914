package availability

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone files
)

// Readable ids: valid UUIDs whose order is the order of their names.
const (
	typeID  = "7e000000-0000-4000-8000-000000000001"
	otherID = "7e000000-0000-4000-8000-000000000002"
	officeA = "0a000000-0000-4000-8000-00000000000a"
	officeB = "0b000000-0000-4000-8000-00000000000b"
	anna    = "5a000000-0000-4000-8000-000000000001"
	bo      = "5b000000-0000-4000-8000-000000000002"
	cecilia = "5c000000-0000-4000-8000-000000000003"
	dora    = "5d000000-0000-4000-8000-000000000004"
)

var stockholm = mustLoad("Europe/Stockholm")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at parses "2006-01-02 15:04" in Stockholm; seconds and 24:00 also work.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	if d, ok := strings.CutSuffix(s, " 24:00"); ok {
		return date(t, d).AddDays(1).Start(stockholm)
	}
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout += ":05"
	}
	v, err := time.ParseInLocation(layout, s, stockholm)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func date(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func clock(t testing.TB, s string) Clock {
	t.Helper()
	c, err := ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func dt(t testing.TB, s string) DateTime {
	t.Helper()
	d, c, ok := strings.Cut(s, " ")
	if !ok {
		t.Fatalf("date-time %q: want \"2006-01-02 15:04\"", s)
	}
	return DateTime{date(t, d), clock(t, c)}
}

// weekly returns hours on the given weekdays.
func weekly(t testing.TB, days []time.Weekday, start, end, office string) WeeklyHours {
	t.Helper()
	var out WeeklyHours
	for _, d := range days {
		out = append(out, WeeklyInterval{d, clock(t, start), clock(t, end), office})
	}
	return out
}

var (
	workdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	everyDay = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	allModes = []Mode{Phone, Video, InPerson}
)

// person is a staff member who serves typeID in every mode at both offices.
func person(id string, hours ...WeeklyHours) Staff {
	return Staff{
		ID:             id,
		MeetingTypeIDs: []string{typeID},
		Modes:          allModes,
		OfficeIDs:      []string{officeA, officeB},
		Schedule:       Schedule{Weekly: slices.Concat(hours...)},
	}
}

// baseQuery asks for 30-minute phone meetings on a 30-minute grid, with no
// notice and a year's horizon, from..to in Stockholm, now well before.
func baseQuery(t testing.TB, from, to string, staff ...Staff) Query {
	t.Helper()
	f := at(t, from)
	return Query{
		Location: stockholm,
		Now:      f.AddDate(0, 0, -7),
		From:     f,
		To:       at(t, to),
		Rules: MeetingRules{
			MeetingTypeID: typeID,
			Duration:      30 * time.Minute,
			Step:          30 * time.Minute,
			Horizon:       365 * 24 * time.Hour,
			Modes:         allModes,
		},
		Mode:  Phone,
		Staff: staff,
	}
}

// starts renders slot starts with their offset, the way a citizen's
// calendar would show them: "2006-01-02 15:04 +0200".
func starts(slots []Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.Format("2006-01-02 15:04 -0700")
	}
	return out
}

// clocks renders slot starts as local times of day, for one-day cases.
func clocks(slots []Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start.In(stockholm).Format("15:04")
	}
	return out
}

// describe renders slots fully, for cases about offices and staff.
func describe(slots []Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		office := "-"
		if s.OfficeID != "" {
			office = s.OfficeID[:2]
		}
		ids := make([]string, len(s.StaffIDs))
		for j, id := range s.StaffIDs {
			ids[j] = id[:2]
		}
		out[i] = fmt.Sprintf("%s %s %s", s.Start.In(stockholm).Format("15:04"), office, strings.Join(ids, ","))
	}
	return out
}

func assertStrings(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
