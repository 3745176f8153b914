package calendar_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidbok/tidbok/calendar"
)

// FuzzText writes arbitrary text into every text field and a CN, and reads it
// back: escaping, RFC 6868 parameters and folding must lose nothing but what
// NormalizeText documents (CR line ends, control characters, invalid UTF-8).
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"", "plain", "a,b;c\\d", "comma, semicolon; colon: backslash\\",
		"line1\nline2", "crlf\r\nline", "lone\rcr", "trailing\r", "\r\n\r\n",
		`quote " inside "quoted"`, "^ caret ^' ^n ^^", "tab\there",
		"emoji 😀👩‍👩‍👧 flags 🇸🇪", "åäö ÅÄÖ ü é", "\\n is not a newline", "\\,\\;",
		"control \x00\x01\x1b\x7f chars", "invalid \xff\xfe utf8 \xc3", "\u2028\u2029 separators",
		strings.Repeat("ö", 40) + "😀",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, long bool) {
		e := booked(t)
		description := s
		if long && s != "" {
			// A 10 kB description, as "what to bring" lists with links can be.
			description = strings.Repeat(s, 10_000/len(s)+1)
		}
		e.Summary, e.Description, e.LocationText = s, description, s
		e.Categories = []string{s, "fixed"}
		e.Attendees[0].Name = s
		e.Organizer.Name = s

		b, err := calendar.Request(e, now)
		if err != nil {
			t.Fatalf("Request: %v", err)
		}
		assertFolded(t, b)
		p := mustParse(t, b)

		want := calendar.NormalizeText(s)
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return (r < 0x20 && r != '\t' && r != '\r' && r != '\n') || r == 0x7f
		}) {
			// For clean input, normalisation is only CR line ends to LF.
			if clean := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s); want != clean {
				t.Fatalf("NormalizeText(%q) = %q, want %q", s, want, clean)
			}
		}
		for field, got := range map[string]string{
			"SUMMARY": p.Summary, "LOCATION": p.LocationText, "ATTENDEE CN": p.Attendees[0].Name, "ORGANIZER CN": p.Organizer.Name,
		} {
			if got != want {
				t.Errorf("%s = %q, want %q", field, got, want)
			}
		}
		if wantDesc := calendar.NormalizeText(description); p.Description != wantDesc {
			t.Errorf("DESCRIPTION (%d bytes) differs from the input (%d bytes)", len(p.Description), len(wantDesc))
		}
		if len(p.Categories) != 2 || p.Categories[0] != want || p.Categories[1] != "fixed" {
			t.Errorf("CATEGORIES = %q, want [%q fixed]", p.Categories, want)
		}
	})
}
