package availability

import (
	"errors"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

func TestDateArithmeticAgreesWithPackageTime(t *testing.T) {
	for tm := time.Date(1899, 12, 25, 0, 0, 0, 0, time.UTC); tm.Year() < 2201; tm = tm.AddDate(0, 0, 1) {
		d := DateOf(tm)
		if got := d.days() * day; got != tm.UnixNano() {
			t.Fatalf("%s: days() = %d, want %d", d, got/day, tm.Unix()/86400)
		}
		if back := dateFromDays(d.days()); back != d {
			t.Fatalf("%s: round trip gives %s", d, back)
		}
		if d.Weekday() != tm.Weekday() {
			t.Fatalf("%s: weekday %s, want %s", d, d.Weekday(), tm.Weekday())
		}
		if !d.Valid() {
			t.Fatalf("%s is not valid", d)
		}
	}
	if (Date{2026, 2, 29}).Valid() || (Date{2026, 13, 1}).Valid() || (Date{2026, 4, 31}).Valid() {
		t.Error("an impossible date is valid")
	}
	if got := (Date{2026, 12, 31}).AddDays(1); got != (Date{2027, 1, 1}) {
		t.Errorf("AddDays over a new year = %s", got)
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want Clock
		ok   bool
	}{
		{"08:30", At(8, 30), true},
		{"00:00", 0, true},
		{"24:00", EndOfDay, true},
		{"24:01", 0, false},
		{"8:30", 0, false},
		{"08:60", 0, false},
		{"-1:00", 0, false},
		{"08.30", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseClock(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseClock(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, core.ErrInvalid) {
			t.Errorf("ParseClock(%q) error %v is not ErrInvalid", tc.in, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestDateStartIsTheFirstInstantOfTheDate(t *testing.T) {
	tests := []struct {
		name string
		zone string
		date Date
		want string
	}{
		{"an ordinary Stockholm date starts at midnight", "Europe/Stockholm", Date{2026, 6, 1}, "2026-06-01T00:00:00+02:00"},
		{"the spring-forward date starts at midnight in winter time", "Europe/Stockholm", Date{2026, 3, 29}, "2026-03-29T00:00:00+01:00"},
		{"a date whose midnight is skipped starts at 01:00", "America/Havana", Date{2024, 3, 10}, "2024-03-10T01:00:00-04:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.date.Start(mustLoad(tc.zone)).Format(time.RFC3339); got != tc.want {
				t.Errorf("Start = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestResolveWallTimesAroundChanges(t *testing.T) {
	// Stockholm 2026: 29 March 02:00 → 03:00, 25 October 03:00 → 02:00.
	segs := zoneSegments(stockholm, Date{2026, 3, 27}.wall(), Date{2026, 10, 28}.wall())
	w := func(d Date, h, m int) int64 { return d.wall() + int64(At(h, m))*minute }
	show := func(ns int64) string { return time.Unix(0, ns).In(stockholm).Format("01-02 15:04 -0700") }
	spring, autumn := Date{2026, 3, 29}, Date{2026, 10, 25}
	tests := []struct {
		name       string
		wall       int64
		start, end string
	}{
		{"an ordinary time resolves to itself", w(spring, 1, 30), "03-29 01:30 +0100", "03-29 01:30 +0100"},
		{"a missing time resolves to the change", w(spring, 2, 30), "03-29 03:00 +0200", "03-29 03:00 +0200"},
		{"a repeated time starts at its first pass and ends at its second", w(autumn, 2, 30), "10-25 02:30 +0200", "10-25 02:30 +0100"},
		{"the hour after the repeat is unique", w(autumn, 3, 0), "10-25 03:00 +0100", "10-25 03:00 +0100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := show(resolveStart(segs, tc.wall)); got != tc.start {
				t.Errorf("resolveStart = %s, want %s", got, tc.start)
			}
			if got := show(resolveEnd(segs, tc.wall)); got != tc.end {
				t.Errorf("resolveEnd = %s, want %s", got, tc.end)
			}
		})
	}
}
