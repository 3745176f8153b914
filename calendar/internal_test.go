package calendar

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadZone(t *testing.T, name string) *zoneModel {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	m, err := zoneFor(loc)
	if err != nil {
		t.Fatalf("zoneFor(%s): %v", name, err)
	}
	return m
}

// The VTIMEZONE model is what clients compute with; it must give Go's offset
// at every transition of the window and at hourly samples between them.
func TestVTimezoneAgreesWithGoThroughTheWindow(t *testing.T) {
	zones := []string{
		"Europe/Stockholm", "Europe/Helsinki", "Europe/London", "Europe/Dublin", "Europe/Moscow",
		"America/New_York", "America/Sao_Paulo", "America/Santiago", "Australia/Sydney",
		"Australia/Lord_Howe", "Pacific/Chatham", "Asia/Tokyo", "Asia/Kolkata", "Asia/Tehran",
		"Asia/Jerusalem", "Africa/Cairo", "Africa/Casablanca", "UTC", "Etc/GMT-14",
	}
	start := time.Date(windowFirstYear, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(windowLastYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range zones {
		t.Run(name, func(t *testing.T) {
			m := loadZone(t, name)
			for at := start; at.Before(end); at = at.Add(61*time.Hour + 17*time.Minute) {
				if err := m.check(at); err != nil {
					t.Fatal(err)
				}
			}
			for _, tr := range zoneTransitions(m.loc, start, end) {
				for _, at := range []time.Time{tr.at.Add(-time.Second), tr.at, tr.at.Add(time.Hour)} {
					if err := m.check(at); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// Every zone of the system's database derives a VTIMEZONE that reproduces it,
// or none at all (an error), never a wrong one.
func TestEveryZoneInTheDatabaseDerives(t *testing.T) {
	root := "/usr/share/zoneinfo"
	if _, err := os.Stat(filepath.Join(root, "Europe/Stockholm")); err != nil {
		t.Skipf("no zoneinfo tree at %s", root)
	}
	var names []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (rel == "posix" || rel == "right") {
			return filepath.SkipDir
		}
		if !d.IsDir() && !strings.Contains(rel, ".") && rel[0] >= 'A' && rel[0] <= 'Z' {
			names = append(names, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue // not a zone file (e.g. a table)
		}
		if _, err := buildZoneModel(loc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(names) < 300 {
		t.Errorf("found only %d zones under %s", len(names), root)
	}
}

func TestDerivedRules(t *testing.T) {
	tests := []struct {
		zone string
		want []string // STANDARD/DAYLIGHT lines that must appear, in order
	}{
		{"Europe/Stockholm", []string{
			"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "TZNAME:CEST",
			"BEGIN:STANDARD", "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "TZNAME:CET",
		}},
		{"America/New_York", []string{
			"RRULE:FREQ=YEARLY;UNTIL=20060402T070000Z;BYMONTH=4;BYDAY=1SU",
			"RRULE:FREQ=YEARLY;UNTIL=20061029T060000Z;BYMONTH=10;BYDAY=-1SU",
			"DTSTART:20070311T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
			"DTSTART:20071104T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
		}},
		{"Asia/Tokyo", []string{
			"BEGIN:STANDARD", "DTSTART:19700101T000000", "TZNAME:JST", "TZOFFSETFROM:+0900", "TZOFFSETTO:+0900",
		}},
		// tzdata calls Dublin's winter "DST"; clients expect summer to be DAYLIGHT.
		{"Europe/Dublin", []string{
			"BEGIN:DAYLIGHT", "DTSTART:19700329T010000", "TZNAME:IST", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100",
			"BEGIN:STANDARD", "DTSTART:19701025T020000", "TZNAME:GMT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000",
		}},
		{"Asia/Kolkata", []string{"TZOFFSETFROM:+0530", "TZOFFSETTO:+0530"}},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			m := loadZone(t, tt.zone)
			var buf bytes.Buffer
			for _, c := range m.component.Children {
				buf.WriteString("BEGIN:" + c.Name + "\n")
				for _, name := range []string{"DTSTART", "RRULE", "TZNAME", "TZOFFSETFROM", "TZOFFSETTO"} {
					if p := c.Props.Get(name); p != nil {
						buf.WriteString(name + ":" + p.Value + "\n")
					}
				}
			}
			got := buf.String()
			rest := got
			for _, line := range tt.want {
				i := strings.Index(rest, line+"\n")
				if i < 0 {
					t.Fatalf("missing (or out of order) %q in\n%s", line, got)
				}
				rest = rest[i+len(line):]
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"75 octets stay on one line", strings.Repeat("a", 75), strings.Repeat("a", 75) + "\r\n"},
		{"76 octets fold once", strings.Repeat("a", 76), strings.Repeat("a", 75) + "\r\n a\r\n"},
		{"continuations carry 74 octets after the space", strings.Repeat("a", 75+74+1),
			strings.Repeat("a", 75) + "\r\n " + strings.Repeat("a", 74) + "\r\n a\r\n"},
		{"a two-octet letter at the boundary moves whole", strings.Repeat("a", 74) + "ö",
			strings.Repeat("a", 74) + "\r\n ö\r\n"},
		{"a four-octet emoji at the boundary moves whole", strings.Repeat("a", 73) + "😀b",
			strings.Repeat("a", 73) + "\r\n 😀b\r\n"},
		{"several lines fold independently", "A:1\r\n" + strings.Repeat("b", 80),
			"A:1\r\n" + strings.Repeat("b", 75) + "\r\n bbbbb\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(fold([]byte(tt.in + "\r\n"))); got != tt.want {
				t.Errorf("fold = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "PT0S"},
		{15 * time.Minute, "PT15M"},
		{time.Hour + 30*time.Minute, "PT1H30M"},
		{24 * time.Hour, "P1D"},
		{26*time.Hour + 5*time.Second, "P1DT2H5S"},
		{-time.Hour, "-PT1H"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d); got != tt.want {
			t.Errorf("formatDuration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatOffset(t *testing.T) {
	tests := []struct {
		sec  int
		want string
	}{{3600, "+0100"}, {-18000, "-0500"}, {20700, "+0545"}, {0, "+0000"}, {-(3600 + 75), "-010115"}}
	for _, tt := range tests {
		if got := formatOffset(tt.sec); got != tt.want {
			t.Errorf("formatOffset(%d) = %q, want %q", tt.sec, got, tt.want)
		}
	}
}

func TestParamEncodingRoundTrips(t *testing.T) {
	for _, s := range []string{`a "b" c`, "^", "^^'", "x\ny", "plain", "^n literal"} {
		enc := encodeParam(s)
		if strings.ContainsAny(enc, "\"\n") {
			t.Errorf("encodeParam(%q) = %q still has a quote or newline", s, enc)
		}
		if got := decodeParam(enc); got != s {
			t.Errorf("decodeParam(encodeParam(%q)) = %q", s, got)
		}
	}
}
