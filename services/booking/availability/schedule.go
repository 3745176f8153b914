package availability

import (
	"fmt"
	"slices"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Mode is how a meeting takes place. It has booking.Mode's spelling and
// converts to and from it (availability.Mode(booking.Phone)); it is declared
// here because the booking service imports this package, not the reverse.
type Mode string

// The modes of a meeting.
const (
	Phone    Mode = "phone"
	Video    Mode = "video"
	InPerson Mode = "in_person"
)

// Valid reports whether m is one of the known modes.
func (m Mode) Valid() bool { return m == Phone || m == Video || m == InPerson }

// Remote is the place of working hours not spent at an office: they serve
// phone and video meetings only.
const Remote = "remote"

// Hours is one stretch of working time on a day, in local wall-clock time,
// at an office (its id) or Remote.
type Hours struct {
	Start, End Clock
	OfficeID   string
}

// WeeklyInterval is one stretch of a staff member's regular week.
type WeeklyInterval struct {
	Weekday    time.Weekday
	Start, End Clock
	OfficeID   string // an office id, or Remote
}

// Hours returns the interval without its weekday.
func (w WeeklyInterval) Hours() Hours { return Hours{w.Start, w.End, w.OfficeID} }

// WeeklyHours is a staff member's regular week: any number of intervals per
// weekday, which must not overlap.
type WeeklyHours []WeeklyInterval

// Validate checks every interval and that none overlap on the same weekday.
func (wh WeeklyHours) Validate() error {
	var v core.Validator
	wh.validate(&v, "weekly_hours")
	return v.Err()
}

func (wh WeeklyHours) validate(v *core.Validator, field string) {
	for i, w := range wh {
		f := fmt.Sprintf("%s[%d]", field, i)
		v.Check(w.Weekday >= time.Sunday && w.Weekday <= time.Saturday, f+".weekday", "must be a weekday from 0 (Sunday) to 6 (Saturday)")
		validateHours(v, f, w.Hours())
	}
	order := make([]int, len(wh))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if wh[a].Weekday != wh[b].Weekday {
			return int(wh[a].Weekday) - int(wh[b].Weekday)
		}
		return int(wh[a].Start) - int(wh[b].Start)
	})
	// Sorted by weekday and start, an interval overlaps an earlier one of its
	// weekday iff it starts before the latest end seen that day.
	day, end, at := time.Weekday(-1), Clock(-1), -1
	for _, k := range order {
		w := wh[k]
		if w.Weekday != day {
			day, end, at = w.Weekday, -1, -1
		}
		if w.Start < end {
			v.Add(fmt.Sprintf("%s[%d]", field, k), fmt.Sprintf("overlaps %s[%d] on %s", field, at, w.Weekday))
		}
		if w.End > end {
			end, at = w.End, k
		}
	}
}

func validateHours(v *core.Validator, field string, h Hours) {
	v.Check(h.Start >= 0 && h.Start < EndOfDay, field+".start", "must be a time of day from 00:00 to 23:59")
	v.Check(h.End > 0 && h.End <= EndOfDay, field+".end", "must be a time of day from 00:01 to 24:00")
	v.Check(h.End > h.Start, field+".end", "must be after start")
	v.Check(h.OfficeID == Remote || core.ValidID(h.OfficeID), field+".office_id", `must be an office id or "remote"`)
}

func overlapping(hs []Hours) (i, j int, ok bool) {
	order := make([]int, len(hs))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return int(hs[a].Start) - int(hs[b].Start) })
	end, at := Clock(-1), -1
	for _, k := range order {
		if hs[k].Start < end {
			return at, k, true
		}
		if hs[k].End > end {
			end, at = hs[k].End, k
		}
	}
	return 0, 0, false
}

// DateException changes one staff member's working hours on one date.
// Closed drops the weekly hours of the date; Hours are worked in addition.
// Both together replace the day: closed, then only these hours.
type DateException struct {
	Date   Date
	Closed bool
	Hours  []Hours
}

// Validate checks the date and the hours.
func (e DateException) Validate() error {
	var v core.Validator
	e.validate(&v, "exception")
	return v.Err()
}

func (e DateException) validate(v *core.Validator, field string) {
	v.Check(e.Date.Valid(), field+".date", "must be a date")
	v.Check(e.Closed || len(e.Hours) > 0, field+".hours", "must add hours unless the day is closed")
	for i, h := range e.Hours {
		validateHours(v, fmt.Sprintf("%s.hours[%d]", field, i), h)
	}
	if i, j, ok := overlapping(e.Hours); ok {
		v.Add(fmt.Sprintf("%s.hours[%d]", field, j), fmt.Sprintf("overlaps %s.hours[%d]", field, i))
	}
}

// AbsenceKind says why a staff member is away. Sick leave is health data:
// show it to nobody but the agency's staff.
type AbsenceKind string

// The kinds of absence.
const (
	Vacation AbsenceKind = "vacation"
	Sick     AbsenceKind = "sick"
	Training AbsenceKind = "training"
	Other    AbsenceKind = "other"
)

// Valid reports whether k is a known kind.
func (k AbsenceKind) Valid() bool {
	return k == Vacation || k == Sick || k == Training || k == Other
}

// Absence is a time a staff member is away, from Start to End in local
// wall-clock time. Absences may overlap each other.
type Absence struct {
	Kind       AbsenceKind
	Start, End DateTime
}

// Validate checks the kind and the range.
func (a Absence) Validate() error {
	var v core.Validator
	a.validate(&v, "absence")
	return v.Err()
}

func (a Absence) validate(v *core.Validator, field string) {
	v.Check(a.Kind.Valid(), field+".kind", "must be one of vacation, sick, training, other")
	validateRange(v, field, a.Start, a.End)
}

func validateRange(v *core.Validator, field string, start, end DateTime) {
	v.Check(start.Valid(), field+".start", "must be a date and a time of day")
	v.Check(end.Valid(), field+".end", "must be a date and a time of day")
	v.Check(!start.Valid() || !end.Valid() || end.Compare(start) > 0, field+".end", "must be after start")
}

// Closure closes the whole agency from Start to End in local wall-clock time,
// for example a staff day or an afternoon before a holiday.
type Closure struct {
	Start, End DateTime
	Reason     string
}

// ClosedDays returns a closure of the whole dates from first to last.
func ClosedDays(first, last Date, reason string) Closure {
	return Closure{Start: DateTime{first, 0}, End: DateTime{last, EndOfDay}, Reason: reason}
}

// Validate checks the range.
func (c Closure) Validate() error {
	var v core.Validator
	validateRange(&v, "closure", c.Start, c.End)
	v.Check(len(c.Reason) <= 500, "closure.reason", "must be at most 500 characters")
	return v.Err()
}

// Schedule is when one staff member works: a regular week, changes on
// single dates, and absences. It is what a store saves per staff member.
type Schedule struct {
	Weekly     WeeklyHours
	Exceptions []DateException
	Absences   []Absence
}

// Validate checks every part, that no date has two exceptions, and that an
// exception that keeps the weekly hours adds none overlapping them.
func (s Schedule) Validate() error {
	var v core.Validator
	s.validate(&v)
	return v.Err()
}

func (s Schedule) validate(v *core.Validator) {
	s.Weekly.validate(v, "weekly_hours")
	seen := make(map[Date]int, len(s.Exceptions))
	for i, e := range s.Exceptions {
		f := fmt.Sprintf("exceptions[%d]", i)
		e.validate(v, f)
		if j, dup := seen[e.Date]; dup {
			v.Add(f+".date", fmt.Sprintf("duplicates exceptions[%d]", j))
		}
		seen[e.Date] = i
		if e.Closed || !e.Date.Valid() {
			continue
		}
		for j, h := range e.Hours {
			for _, w := range s.Weekly {
				if w.Weekday == e.Date.Weekday() && h.Start < w.End && w.Start < h.End {
					v.Add(fmt.Sprintf("%s.hours[%d]", f, j), "overlaps the weekly hours of that day; close the day and list all its hours instead")
					break
				}
			}
		}
	}
	for i, a := range s.Absences {
		a.validate(v, fmt.Sprintf("absences[%d]", i))
	}
}

// Busy is a time a staff member is taken: an appointment or a hold. Start and
// End are the meeting itself; BufferBefore and BufferAfter are the buffers it
// was booked with, copied from its meeting type when booked, so changing a
// meeting type later does not move existing bookings. Busy blocks
// [Start−BufferBefore, End+BufferAfter).
type Busy struct {
	Start, End                time.Time
	BufferBefore, BufferAfter time.Duration
}

// Blocked returns the time the entry keeps from other meetings.
func (b Busy) Blocked() Interval {
	return Interval{b.Start.Add(-b.BufferBefore), b.End.Add(b.BufferAfter)}
}

// Validate checks that the entry is a non-empty span with buffers of at most
// MaxBuffer, like a meeting type's.
func (b Busy) Validate() error {
	var v core.Validator
	b.validate(&v, "busy")
	return v.Err()
}

func (b Busy) validate(v *core.Validator, field string) {
	v.Check(b.End.After(b.Start), field+".end", "must be after start")
	v.Check(b.BufferBefore >= 0 && b.BufferBefore <= MaxBuffer, field+".buffer_before", "must be between 0 and 4 hours")
	v.Check(b.BufferAfter >= 0 && b.BufferAfter <= MaxBuffer, field+".buffer_after", "must be between 0 and 4 hours")
}

// Staff is one staff member as the engine needs them: what they offer, when
// they work, and when they are taken.
type Staff struct {
	ID             string
	MeetingTypeIDs []string // the meeting types they serve
	Modes          []Mode   // the modes they offer
	OfficeIDs      []string // the offices they work at
	Schedule       Schedule
	Busy           []Busy // sorted by Start is fastest; any order works
}

// Validate checks the staff member, their schedule and their busy times, and
// that they only have hours at offices they work at.
func (s Staff) Validate() error {
	var v core.Validator
	v.Check(core.ValidID(s.ID), "id", "must be a UUID")
	for i, id := range s.MeetingTypeIDs {
		v.Check(core.ValidID(id), fmt.Sprintf("meeting_type_ids[%d]", i), "must be a UUID")
	}
	for i, m := range s.Modes {
		v.Check(m.Valid(), fmt.Sprintf("modes[%d]", i), "must be one of phone, video, in_person")
	}
	for i, id := range s.OfficeIDs {
		v.Check(core.ValidID(id), fmt.Sprintf("office_ids[%d]", i), "must be a UUID")
	}
	s.Schedule.validate(&v)
	worksAt := func(office string) bool { return office == Remote || slices.Contains(s.OfficeIDs, office) }
	for i, w := range s.Schedule.Weekly {
		v.Check(worksAt(w.OfficeID), fmt.Sprintf("weekly_hours[%d].office_id", i), "must be an office the staff member works at")
	}
	for i, e := range s.Schedule.Exceptions {
		for j, h := range e.Hours {
			v.Check(worksAt(h.OfficeID), fmt.Sprintf("exceptions[%d].hours[%d].office_id", i, j), "must be an office the staff member works at")
		}
	}
	for i, b := range s.Busy {
		b.validate(&v, fmt.Sprintf("busy[%d]", i))
	}
	return v.Err()
}
