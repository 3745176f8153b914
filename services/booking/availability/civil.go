package availability

import (
	"fmt"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Date is a calendar date in the agency's time zone, with no time of day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads a date written as 2006-01-02.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: %w", s, core.ErrInvalid)
	}
	return DateOf(t), nil
}

// Valid reports whether d is a real date between the years 1 and 9999.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return dateFromDays(d.days()) == d
}

// String returns d as 2006-01-02.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// AddDays returns the date n days after d (before, when n is negative).
func (d Date) AddDays(n int) Date { return dateFromDays(d.days() + int64(n)) }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday(floorMod(d.days()+4, 7))
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int { return cmpInt64(d.days(), o.days()) }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Start returns the first instant of d in loc: local midnight, or the end of
// the daylight-saving gap in the few zones that skip midnight.
func (d Date) Start(loc *time.Location) time.Time {
	segs := zoneSegments(loc, d.wall()-2*day, d.wall()+2*day)
	return time.Unix(0, resolveStart(segs, d.wall())).In(loc)
}

// days counts the days since 1970-01-01 (Hinnant's days_from_civil), which
// keeps date arithmetic free of time.Date and its zone look-ups.
func (d Date) days() int64 {
	y, m := int64(d.Year), int64(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(d.Day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// wall is local midnight of d written as if it were UTC, in nanoseconds: the
// "naive" wall-clock scale that zone offsets translate to instants.
func (d Date) wall() int64 { return d.days() * day }

func dateFromDays(z int64) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return Date{int(y), time.Month(m), int(d)}
}

// Clock is a local wall-clock time of day in whole minutes after midnight,
// from 00:00 (0) to 24:00 (1440, the end of the day).
type Clock int

// EndOfDay is 24:00, the end of an interval that lasts until midnight.
const EndOfDay Clock = 24 * 60

// At returns the clock time hour:minute.
func At(hour, minute int) Clock { return Clock(hour*60 + minute) }

// ParseClock reads a time of day written as 15:04; 24:00 is the end of the day.
func ParseClock(s string) (Clock, error) {
	digit := func(i int) (int, bool) { return int(s[i] - '0'), s[i] >= '0' && s[i] <= '9' }
	if len(s) == 5 && s[2] == ':' {
		h1, ok1 := digit(0)
		h2, ok2 := digit(1)
		m1, ok3 := digit(3)
		m2, ok4 := digit(4)
		h, m := h1*10+h2, m1*10+m2
		if ok1 && ok2 && ok3 && ok4 && m <= 59 && (h < 24 || h == 24 && m == 0) {
			return At(h, m), nil
		}
	}
	return 0, fmt.Errorf("time of day %q: %w", s, core.ErrInvalid)
}

// Valid reports whether c lies between 00:00 and 24:00.
func (c Clock) Valid() bool { return c >= 0 && c <= EndOfDay }

// String returns c as 15:04.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// DateTime is a local date and wall-clock time, such as the start of an
// absence. A Clock of 24:00 means midnight at the end of Date.
type DateTime struct {
	Date  Date
	Clock Clock
}

// Valid reports whether both the date and the time of day are valid.
func (dt DateTime) Valid() bool { return dt.Date.Valid() && dt.Clock.Valid() }

// Compare returns -1, 0 or +1 as dt is before, equal to or after o.
func (dt DateTime) Compare(o DateTime) int { return cmpInt64(dt.wall(), o.wall()) }

// String returns dt as 2006-01-02T15:04.
func (dt DateTime) String() string { return dt.Date.String() + "T" + dt.Clock.String() }

func (dt DateTime) wall() int64 { return dt.Date.wall() + int64(dt.Clock)*minute }

const (
	minute = int64(time.Minute)
	day    = 24 * int64(time.Hour)
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
