package pin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

// now is the fixed "today" of these tests: 15 March 2026.
var now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// luhnOK is the textbook check, written independently of the package's:
// from the right, double every second digit, sum the digits, divisible by 10.
func luhnOK(ten string) bool {
	sum := 0
	for i := 0; i < len(ten); i++ {
		d := int(ten[len(ten)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d = d/10 + d%10
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// withCheckDigit replaces the "C" at the end of s with the check digit that
// makes it valid, so refusal cases fail for their own reason, not the Luhn one.
func withCheckDigit(t *testing.T, s string) string {
	t.Helper()
	if !strings.HasSuffix(s, "C") {
		return s
	}
	body := strings.NewReplacer("-", "", "+", "", " ", "").Replace(s[:len(s)-1])
	if len(body) < 9 {
		t.Fatalf("withCheckDigit(%q): need at least 9 digits before C", s)
	}
	for c := byte('0'); c <= '9'; c++ {
		if luhnOK(body[len(body)-9:] + string(c)) {
			return s[:len(s)-1] + string(c)
		}
	}
	t.Fatalf("withCheckDigit(%q): no check digit fits", s)
	return ""
}

func mustParse(t *testing.T, s string) Number {
	t.Helper()
	n, err := Parse(s, now)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return n
}

func TestWellKnownTestNumbersHaveValidCheckDigits(t *testing.T) {
	// Guards the test data itself: these are used verbatim below.
	for _, ten := range []string{"8112189876", "1212121212", "7010632391"} {
		if !luhnOK(ten) {
			t.Errorf("%s fails the Luhn check", ten)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reveal string
		birth  string
		coord  bool
	}{
		{"12 digits", "198112189876", "19811218-9876", "1981-12-18", false},
		{"12 digits with dash", "19811218-9876", "19811218-9876", "1981-12-18", false},
		{"10 digits in the last century", "8112189876", "19811218-9876", "1981-12-18", false},
		{"10 digits with dash", "811218-9876", "19811218-9876", "1981-12-18", false},
		{"surrounding spaces", "  811218-9876 ", "19811218-9876", "1981-12-18", false},
		{"10 digits in this century", "121212-1212", "20121212-1212", "2012-12-12", false},
		{"plus means 100 or older", "121212+1212", "19121212-1212", "1912-12-12", false},
		{"12 digits of a centenarian need no plus", "19121212-1212", "19121212-1212", "1912-12-12", false},
		{"born today", withCheckDigit(t, "20260315-123C"), "", "2026-03-15", false},
		{"10 digits born today is this century", withCheckDigit(t, "260315-123C"), "", "2026-03-15", false},
		{"10 digits of tomorrow's date is last century", withCheckDigit(t, "260316-123C"), "", "1926-03-16", false},
		{"plus on the 100th birthday", withCheckDigit(t, "260315+123C"), "", "1926-03-15", false},
		{"29 February in a leap year", withCheckDigit(t, "20000229-123C"), "", "2000-02-29", false},
		{"29 February, 10 digits", withCheckDigit(t, "000229-123C"), "", "2000-02-29", false},
		{"29 February 1904 with plus", withCheckDigit(t, "040229+123C"), "", "1904-02-29", false},
		{"samordningsnummer, 10 digits", "701063-2391", "19701063-2391", "1970-10-03", true},
		{"samordningsnummer, 12 digits", "197010632391", "19701063-2391", "1970-10-03", true},
		{"samordningsnummer on day 61", withCheckDigit(t, "19900161-123C"), "", "1990-01-01", true},
		{"samordningsnummer on day 91", withCheckDigit(t, "19900191-123C"), "", "1990-01-31", true},
		{"samordningsnummer on 29 February", withCheckDigit(t, "20040289-123C"), "", "2004-02-29", true},
		{"earliest accepted year", withCheckDigit(t, "18400101-123C"), "", "1840-01-01", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := mustParse(t, tt.in)
			if tt.reveal != "" && n.Reveal() != tt.reveal {
				t.Errorf("Reveal() = %q, want %q", n.Reveal(), tt.reveal)
			}
			if got := n.BirthDate().Format(time.DateOnly); got != tt.birth {
				t.Errorf("BirthDate() = %s, want %s", got, tt.birth)
			}
			if n.IsCoordination() != tt.coord {
				t.Errorf("IsCoordination() = %v, want %v", n.IsCoordination(), tt.coord)
			}
			if n.IsZero() {
				t.Error("IsZero() = true for a parsed number")
			}
			d := n.Digits()
			if len(d) != 12 || n.Reveal() != d[:8]+"-"+d[8:] || n.Masked() != d[:8]+"-****" {
				t.Errorf("Digits %q, Reveal %q, Masked %q disagree", d, n.Reveal(), n.Masked())
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		reason string // a part of the error message
	}{
		{"empty", "", "10 or 12 digits"},
		{"only spaces", "   ", "10 or 12 digits"},
		{"9 digits", "811218987", "10 or 12 digits"},
		{"11 digits", "98112189876", "10 or 12 digits"},
		{"13 digits", "1981121898760", "10 or 12 digits"},
		{"dash but too few digits", "11218-9876", "10 or 12 digits"},
		{"a letter", "19811218-98A6", "only digits"},
		{"a space inside", "19811218 9876", "only digits"},
		{"dash in the wrong place", "1981-1218-9876", "only digits"},
		{"two separators", "811218--9876", "only digits"},
		{"full-width digits", "８１１２１８９８７６", "only digits"},
		{"plus with 12 digits", "19121212+1212", "only used with 10 digits"},
		{"check digit mismatch", "19811218-9877", "check digit"},
		{"check digit mismatch, 10 digits", "811218-9875", "check digit"},
		{"30 February", withCheckDigit(t, "19810230-123C"), "does not exist"},
		{"29 February in a common year", withCheckDigit(t, "19810229-123C"), "does not exist"},
		{"29 February 1900, not a leap year", withCheckDigit(t, "19000229-123C"), "does not exist"},
		{"plus puts 29 February in 1900", withCheckDigit(t, "000229+123C"), "does not exist"},
		{"31 April", withCheckDigit(t, "19810431-123C"), "does not exist"},
		{"month 00", withCheckDigit(t, "19810015-123C"), "does not exist"},
		{"month 13", withCheckDigit(t, "19811315-123C"), "does not exist"},
		{"day 00", withCheckDigit(t, "19811200-123C"), "day of birth"},
		{"day 32", withCheckDigit(t, "19811232-123C"), "day of birth"},
		{"coordination day 60", withCheckDigit(t, "19811260-123C"), "day of birth"},
		{"coordination day 92", withCheckDigit(t, "19811292-123C"), "day of birth"},
		{"coordination 31 February", withCheckDigit(t, "19810291-123C"), "does not exist"},
		{"tomorrow", withCheckDigit(t, "20260316-123C"), "in the future"},
		{"next year", withCheckDigit(t, "20270101-123C"), "in the future"},
		{"coordination number born tomorrow", withCheckDigit(t, "20260376-123C"), "in the future"},
		{"year before 1840", withCheckDigit(t, "18391231-123C"), "1840 or later"},
		{"plus a day short of 200 years", withCheckDigit(t, "260316+123C"), "1840 or later"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in, now)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, n.Reveal())
			}
			if !errors.Is(err, core.ErrInvalid) {
				t.Errorf("error %v is not core.ErrInvalid", err)
			}
			var ve *core.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "personal_identity_number" {
				t.Fatalf("error %#v does not name the field personal_identity_number", err)
			}
			if !strings.Contains(ve.Fields[0].Message, tt.reason) {
				t.Errorf("message %q, want it to mention %q", ve.Fields[0].Message, tt.reason)
			}
			if !n.IsZero() {
				t.Error("a refused number must come back as the zero Number")
			}
		})
	}
}

func TestParseDecidesTheCenturyFromTheDate(t *testing.T) {
	// Same input, different days: the century follows the clock.
	in := withCheckDigit(t, "000101-123C")
	tests := []struct {
		name string
		now  time.Time
		want int
	}{
		{"before 2000 it is the 1900s", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), 1900},
		{"from 1 January 2000 it is 2000", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), 2000},
		{"later on it stays 2000", time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC), 2000},
		{"in 2100 it becomes 2100", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 2100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(in, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if got := n.BirthDate().Year(); got != tt.want {
				t.Errorf("year %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseUsesTheDateInNowsLocation(t *testing.T) {
	// 23:30 UTC on 14 March is already 15 March in Stockholm.
	stockholm := time.FixedZone("CET", 3600)
	utc := time.Date(2026, 3, 14, 23, 30, 0, 0, time.UTC)
	in := withCheckDigit(t, "20260315-123C")
	if _, err := Parse(in, utc); err == nil {
		t.Error("born 15 March is in the future on 14 March UTC")
	}
	if _, err := Parse(in, utc.In(stockholm)); err != nil {
		t.Errorf("same instant in Stockholm is 15 March: %v", err)
	}
}

func TestEqualNumbersCompareEqual(t *testing.T) {
	a := mustParse(t, "811218-9876")
	b := mustParse(t, " 19811218-9876")
	c := mustParse(t, "121212-1212")
	if a != b {
		t.Error("the same number parsed from two forms must be ==")
	}
	if a == c {
		t.Error("different numbers must not be ==")
	}
	seen := map[Number]bool{a: true}
	if !seen[b] || seen[c] {
		t.Error("Number must work as a map key")
	}
}

func TestZeroNumber(t *testing.T) {
	var n Number
	if !n.IsZero() {
		t.Fatal("zero value must report IsZero")
	}
	if n.Digits() != "" || n.Reveal() != "" || n.Masked() != "" || n.String() != "" {
		t.Errorf("zero Number formats as %q %q %q %q", n.Digits(), n.Reveal(), n.Masked(), n.String())
	}
	if !n.BirthDate().IsZero() || n.IsCoordination() {
		t.Error("zero Number must have no birth date and not be a coordination number")
	}
	if b, err := json.Marshal(n); err != nil || string(b) != `""` {
		t.Errorf("json.Marshal(zero) = %s, %v", b, err)
	}
	if got := fmt.Sprintf("%#v", n); got != "pin.Number{}" {
		t.Errorf("%%#v of zero = %q", got)
	}
}

func TestJSONCannotBeDecodedIntoANumber(t *testing.T) {
	// A masked value must never be mistaken for a number on the way back in.
	var n Number
	if err := json.Unmarshal([]byte(`"19811218-9876"`), &n); err == nil {
		t.Errorf("json.Unmarshal into Number succeeded: %s", n.Reveal())
	}
}

// TestFormattingNeverRevealsTheNumber tries the ways a number leaks by
// accident: fmt verbs, nesting, JSON, slog.
func TestFormattingNeverRevealsTheNumber(t *testing.T) {
	n := mustParse(t, "19811218-9876")
	const last4 = "9876" // does not occur in the date 19811218
	type exported struct{ PIN Number }
	type unexported struct{ pin Number }

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%T %v", "%10s", "%-20v|", "%o", "%b", "%c", "%U", "%e", "%t", "%p"} {
		for _, arg := range []any{n, &n, exported{n}, &exported{n}, unexported{n}, &unexported{n}, []Number{n}, map[string]Number{"k": n}, map[Number]int{n: 1}} {
			outputs = append(outputs, verb+" "+fmt.Sprintf(verb, arg))
		}
	}
	outputs = append(outputs, fmt.Sprint(n), fmt.Sprintln(n), fmt.Errorf("citizen %v: %w", n, core.ErrConflict).Error())

	for _, v := range []any{n, exported{n}, map[Number]int{n: 1}, []Number{n}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", v, err)
		}
		outputs = append(outputs, "json "+string(b))
	}
	text, _ := n.MarshalText()
	outputs = append(outputs, "text "+string(text))

	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "pin", n, "s", exported{n}, "u", unexported{n})
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "pin", n, "s", exported{n})
	outputs = append(outputs, "slog "+logs.String())

	for _, out := range outputs {
		if strings.Contains(out, last4) || strings.Contains(out, "39383736") || strings.Contains(out, "39 38 37 36") {
			t.Errorf("output reveals the last four digits: %s", out)
		}
	}
	// And the masked form is what the obvious ones do show.
	for verb, want := range map[string]string{"%v": "19811218-****", "%s": "19811218-****", "%q": `"19811218-****"`, "%#v": "pin.Number(19811218-****)", "%d": "%!d(pin.Number=19811218-****)"} {
		if got := fmt.Sprintf(verb, n); got != want {
			t.Errorf("%s gives %q, want %q", verb, got, want)
		}
	}
	if b, _ := json.Marshal(exported{n}); string(b) != `{"PIN":"19811218-****"}` {
		t.Errorf("json = %s", b)
	}
}
