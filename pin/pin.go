// Package pin handles Swedish personal identity numbers — personnummer and
// samordningsnummer (coordination numbers) — and how Tidbok stores them.
//
// A Number comes only from Parse or Sealer.Open, so a non-zero Number is
// always well-formed: its date exists and its check digit matches (Parse also
// refuses a date in the future).
//
// A full number identifies a person, and it must not end up in logs, error
// messages, audit records or API answers by accident. So every way a value is
// formatted without being asked for explicitly — String, GoString, every fmt
// verb, MarshalText (used by encoding/json keys, log/slog and many loggers)
// and MarshalJSON — gives the masked form "YYYYMMDD-****". The full number
// comes only from Reveal ("YYYYMMDD-NNNN") or Digits ("YYYYMMDDNNNN"), calls
// that are easy to find in review. There is deliberately no UnmarshalText or
// UnmarshalJSON (a masked value cannot come back, and parsing needs the
// current date) and no database/sql Valuer: numbers are stored with a Sealer.
package pin

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unique"

	"github.com/tidbok/tidbok/core"
)

// Field is the input field named in the validation errors Parse returns.
const Field = "personal_identity_number"

// minYear bounds birth years. Personnummer were introduced in 1947, and
// nobody alive then was born much before 1840; an earlier year is a typo.
const minYear = 1840

// coordinationOffset is added to the day of birth in a samordningsnummer.
const coordinationOffset = 60

// Number is a valid Swedish personal identity number, or the zero value,
// which stands for "none". Numbers compare with == and can be map keys.
type Number struct {
	// digits holds the 12 digits as written (day+60 for samordningsnummer).
	// A unique.Handle is a pointer underneath, so fmt prints a Number kept in
	// an unexported struct field — where it cannot call Format — as an
	// address, not the digits, while == still compares the numbers.
	digits unique.Handle[string]
}

// Parse reads a personal identity number as people write it: 10 digits
// (YYMMDDNNNC) or 12 digits (YYYYMMDDNNNC), optionally with "-" before the last
// four, or "+" for a 10-digit number of someone who is 100 or older.
// Surrounding white space is ignored.
//
// now decides the century of a 10-digit number, the way Skatteverket does: the
// most recent one that puts the birth date on or before now's date, or, with
// "+", at least 100 years before it. Dates are compared in now's location, so
// pass the time in Europe/Stockholm where the day boundary matters.
//
// Every error wraps core.ErrInvalid and names the field
// "personal_identity_number"; none contains any part of s.
func Parse(s string, now time.Time) (Number, error) {
	s = strings.TrimSpace(s)
	sep := byte(0)
	body := s
	if n := len(s); n >= 5 && (s[n-5] == '-' || s[n-5] == '+') {
		sep = s[n-5]
		body = s[:n-5] + s[n-4:]
	}
	for i := 0; i < len(body); i++ {
		if body[i] < '0' || body[i] > '9' {
			return Number{}, invalid("must contain only digits, with an optional - or + before the last four")
		}
	}

	ny, nm, nd := now.Date()
	var digits string
	switch len(body) {
	case 12:
		if sep == '+' {
			return Number{}, invalid("+ is only used with 10 digits; a 12-digit number already gives the century")
		}
		digits = body
	case 10:
		yy := atoi(body[0:2])
		month := atoi(body[2:4])
		day := atoi(body[4:6])
		if day > coordinationOffset {
			day -= coordinationOffset
		}
		// "+" means born at least 100 years before now: look for the
		// century as if it were 100 years earlier.
		refYear := ny
		if sep == '+' {
			refYear -= 100
		}
		year := refYear - mod(refYear-yy, 100)
		if after(year, month, day, refYear, int(nm), nd) {
			year -= 100
		}
		if year < minYear {
			return Number{}, invalid(fmt.Sprintf("birth year must be %d or later", minYear))
		}
		if year > 9999 {
			// Only a clock far in the future gets here.
			return Number{}, invalid("birth year is out of range")
		}
		digits = strconv.Itoa(year) + body[2:]
	default:
		return Number{}, invalid("must have 10 or 12 digits")
	}

	n, err := fromDigits(digits)
	if err != nil {
		return Number{}, err
	}
	b := n.BirthDate()
	if after(b.Year(), int(b.Month()), b.Day(), ny, int(nm), nd) {
		return Number{}, invalid("birth date is in the future")
	}
	return n, nil
}

// fromDigits checks everything about 12 digits that does not depend on the
// current date. Open uses it too, so a sealed value is checked on the way out.
func fromDigits(d string) (Number, error) {
	if len(d) != 12 {
		return Number{}, invalid("must have 10 or 12 digits")
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return Number{}, invalid("must contain only digits, with an optional - or + before the last four")
		}
	}
	if !luhnValid(d[2:]) {
		return Number{}, invalid("check digit does not match; look for a mistyped digit")
	}
	year, month, day := atoi(d[0:4]), atoi(d[4:6]), atoi(d[6:8])
	if year < minYear {
		return Number{}, invalid(fmt.Sprintf("birth year must be %d or later", minYear))
	}
	switch {
	case day >= 1 && day <= 31:
	case day > coordinationOffset && day <= coordinationOffset+31:
		day -= coordinationOffset
	default:
		return Number{}, invalid("day of birth must be 01–31, or 61–91 in a samordningsnummer")
	}
	if month < 1 || month > 12 || day > daysIn(year, month) {
		return Number{}, invalid("birth date does not exist")
	}
	return Number{digits: unique.Make(d)}, nil
}

func invalid(reason string) error { return core.Invalid(Field, reason) }

// IsZero reports whether n is the zero value, which holds no number.
func (n Number) IsZero() bool { return n.digits == unique.Handle[string]{} }

// Digits returns the full number as 12 digits without separator, the form
// that is sealed and hashed. It returns "" for the zero Number.
func (n Number) Digits() string {
	if n.IsZero() {
		return ""
	}
	return n.digits.Value()
}

// Reveal returns the full number as "YYYYMMDD-NNNN", for its owner's eyes
// only. It returns "" for the zero Number.
func (n Number) Reveal() string {
	d := n.Digits()
	if d == "" {
		return ""
	}
	return d[:8] + "-" + d[8:]
}

// Masked returns "YYYYMMDD-****": the date as written (day+60 for a
// samordningsnummer), the last four digits hidden. It returns "" for the zero
// Number.
func (n Number) Masked() string {
	d := n.Digits()
	if d == "" {
		return ""
	}
	return d[:8] + "-****"
}

// BirthDate returns the date of birth at midnight UTC, with the day+60 of a
// samordningsnummer taken off. It returns the zero time for the zero Number.
func (n Number) BirthDate() time.Time {
	d := n.Digits()
	if d == "" {
		return time.Time{}
	}
	day := atoi(d[6:8])
	if day > coordinationOffset {
		day -= coordinationOffset
	}
	return time.Date(atoi(d[0:4]), time.Month(atoi(d[4:6])), day, 0, 0, 0, 0, time.UTC)
}

// IsCoordination reports whether n is a samordningsnummer (day of birth + 60),
// given to people who are not, or not yet, registered in Sweden.
func (n Number) IsCoordination() bool {
	d := n.Digits()
	return d != "" && atoi(d[6:8]) > coordinationOffset
}

// String returns the masked form; see the package comment.
func (n Number) String() string { return n.Masked() }

// GoString returns the masked form, so %#v does not reveal the number either.
func (n Number) GoString() string {
	if n.IsZero() {
		return "pin.Number{}"
	}
	return "pin.Number(" + n.Masked() + ")"
}

// Format makes every fmt verb print the masked form; fmt would otherwise
// print verbs like %d from the fields, which say nothing useful.
func (n Number) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, n.GoString())
			return
		}
		fmt.Fprintf(f, fmt.FormatString(f, verb), n.Masked())
	case 's', 'q', 'x', 'X':
		fmt.Fprintf(f, fmt.FormatString(f, verb), n.Masked())
	default:
		fmt.Fprintf(f, "%%!%c(pin.Number=%s)", verb, n.Masked())
	}
}

// MarshalText returns the masked form; see the package comment.
func (n Number) MarshalText() ([]byte, error) { return []byte(n.Masked()), nil }

// MarshalJSON returns the masked form as a JSON string; see the package
// comment. An API that shows the owner their full number sends Reveal in a
// field of its own.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(`"` + n.Masked() + `"`), nil }

// luhnValid checks the check digit over the 10-digit form: weights 2,1,2,…
// from the left, digit sums of the products, total divisible by 10.
func luhnValid(ten string) bool {
	sum := 0
	for i := 0; i < len(ten); i++ {
		v := int(ten[i] - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// after reports whether date a comes after date b.
func after(ay, am, ad, by, bm, bd int) bool {
	if ay != by {
		return ay > by
	}
	if am != bm {
		return am > bm
	}
	return ad > bd
}

func daysIn(year, month int) int {
	// Day 0 of the next month is the last day of this one.
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// atoi reads a string already known to hold only ASCII digits.
func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

func mod(a, m int) int { return ((a % m) + m) % m }
