package calendar

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"
)

// The VTIMEZONE of a zone is derived from the transitions Go knows in this
// fixed window of years, never from the event's own date, so that every
// version of an appointment carries byte-identical VTIMEZONE lines. The window
// reaches far past any booking horizon; an event outside what the derived rules
// describe correctly is refused (see zoneModel.check).
const (
	windowFirstYear = 2000
	windowLastYear  = 2037
	// Rules already in force in windowFirstYear are written as starting in
	// 1970, as Google and Outlook do, so that clients never meet a local time
	// before the first observance.
	baseYear = 1970
)

// wall is a local wall-clock time stored in a time.Time in UTC: only its
// fields matter, never its instant.
type wall = time.Time

// transition is one change of a zone's offset, abbreviation or DST flag.
type transition struct {
	at       time.Time // instant, UTC
	from, to int       // UTC offsets in seconds before and after
	name     string    // abbreviation after, becomes TZNAME
	dst      bool      // the DAYLIGHT kind, see daylight
}

// onset is the transition's wall-clock time in the offset before it, which is
// how RFC 5545 §3.6.5 expresses an observance's DTSTART and RRULE.
func (t transition) onset() wall { return t.at.Add(time.Duration(t.from) * time.Second) }

// yearlyRule is one RRULE: FREQ=YEARLY in a month, on a weekday picked by
// position (last, or the first on or after a day of the month) or on a fixed
// day, at a wall-clock time.
type yearlyRule struct {
	month          time.Month
	weekday        time.Weekday
	last           bool // BYDAY=-1WD
	onOrAfter      int  // first weekday on or after this day; 1, 8, 15, 22 are written as BYDAY=nWD
	fixedDay       int  // BYMONTHDAY=d, no weekday; excludes the two above
	hour, min, sec int
}

func (r yearlyRule) in(year int) wall {
	var day int
	switch {
	case r.fixedDay > 0:
		day = r.fixedDay
	case r.last:
		lastDay := time.Date(year, r.month+1, 0, 0, 0, 0, 0, time.UTC)
		day = lastDay.Day() - (int(lastDay.Weekday())-int(r.weekday)+7)%7
	default:
		first := time.Date(year, r.month, r.onOrAfter, 0, 0, 0, 0, time.UTC)
		day = r.onOrAfter + (int(r.weekday)-int(first.Weekday())+7)%7
	}
	return time.Date(year, r.month, day, r.hour, r.min, r.sec, 0, time.UTC)
}

var icalWeekdays = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

func (r yearlyRule) rrule(until time.Time) string {
	var b strings.Builder
	b.WriteString("FREQ=YEARLY")
	if !until.IsZero() {
		// RFC 5545 §3.8.5.3: UNTIL in an observance is always UTC.
		b.WriteString(";UNTIL=" + until.UTC().Format(utcFormat))
	}
	b.WriteString(";BYMONTH=" + strconv.Itoa(int(r.month)))
	switch {
	case r.fixedDay > 0:
		b.WriteString(";BYMONTHDAY=" + strconv.Itoa(r.fixedDay))
	case r.last:
		b.WriteString(";BYDAY=-1" + icalWeekdays[r.weekday])
	case (r.onOrAfter-1)%7 == 0:
		b.WriteString(";BYDAY=" + strconv.Itoa((r.onOrAfter-1)/7+1) + icalWeekdays[r.weekday])
	default:
		days := make([]string, 7)
		for i := range days {
			days[i] = strconv.Itoa(r.onOrAfter + i)
		}
		b.WriteString(";BYDAY=" + icalWeekdays[r.weekday] + ";BYMONTHDAY=" + strings.Join(days, ","))
	}
	return b.String()
}

// observance is a STANDARD or DAYLIGHT sub-component.
type observance struct {
	daylight bool
	from, to int
	name     string
	start    wall
	rule     *yearlyRule
	until    time.Time // UTC; zero with a rule means open-ended
}

// latestOnsetBefore returns the observance's latest onset at or before t.
// Onsets are yearly at most, so the years around t's suffice.
func (o observance) latestOnsetBefore(t time.Time) (time.Time, bool) {
	var best time.Time
	found := false
	consider := func(w wall) {
		at := w.Add(-time.Duration(o.from) * time.Second)
		if w.Before(o.start) || at.After(t) {
			return
		}
		if o.rule != nil && !o.until.IsZero() && at.After(o.until) {
			return
		}
		if !found || at.After(best) {
			best, found = at, true
		}
	}
	consider(o.start)
	if o.rule != nil {
		y := t.Year()
		if !o.until.IsZero() && o.until.Year() < y {
			y = o.until.Year()
		}
		for _, year := range []int{y - 1, y, y + 1} {
			if year >= o.start.Year() {
				consider(o.rule.in(year))
			}
		}
	}
	return best, found
}

// zoneModel is the VTIMEZONE derived for one zone, and the component built
// from it, computed once per zone name.
type zoneModel struct {
	loc         *time.Location
	observances []observance
	component   *ical.Component
}

// offsetAt evaluates the observances the way a calendar client does: the
// latest onset at or before t wins.
func (m *zoneModel) offsetAt(t time.Time) int {
	var best time.Time
	offset, found := 0, false
	for _, o := range m.observances {
		if at, ok := o.latestOnsetBefore(t); ok && (!found || at.After(best)) {
			best, offset, found = at, o.to, true
		}
	}
	if !found && len(m.observances) > 0 {
		return m.observances[0].from
	}
	return offset
}

// check refuses an instant for which a client reading the VTIMEZONE would
// compute another offset than Go does (an irregular zone past the window).
func (m *zoneModel) check(t time.Time) error {
	_, want := t.In(m.loc).Zone()
	if got := m.offsetAt(t); got != want {
		return fmt.Errorf("%w: time zone %s: no stable rule describes %s (VTIMEZONE gives offset %ds, the zone %ds)",
			ErrInvalid, m.loc, t.Format(time.RFC3339), got, want)
	}
	return nil
}

var zoneCache sync.Map // zone name -> *zoneModel

// zoneFor loads the named IANA zone behind loc and its VTIMEZONE. Local and
// fixed zones are refused: their TZID would mean nothing to a client.
func zoneFor(loc *time.Location) (*zoneModel, error) {
	if loc == nil {
		return nil, fmt.Errorf("%w: Location is missing; give the agency's IANA zone, e.g. Europe/Stockholm", ErrInvalid)
	}
	name := loc.String()
	if loc == time.Local || name == "Local" || name == "" {
		return nil, fmt.Errorf("%w: Location %q is not a named IANA zone", ErrInvalid, name)
	}
	if m, ok := zoneCache.Load(name); ok {
		return m.(*zoneModel), nil
	}
	named, err := time.LoadLocation(name)
	if err != nil {
		// A time.FixedZone, or a name the zone database does not know.
		return nil, fmt.Errorf("%w: Location %q is not a named IANA zone: %v", ErrInvalid, name, err)
	}
	m, err := buildZoneModel(named)
	if err != nil {
		return nil, err
	}
	actual, _ := zoneCache.LoadOrStore(name, m)
	return actual.(*zoneModel), nil
}

// daylight says whether a transition starts a DAYLIGHT observance. tzdata
// marks some zones' winter as DST with a lower offset (Europe/Dublin's GMT,
// Morocco in Ramadan); clients expect DAYLIGHT to be the higher offset of a
// pair, so such a "negative DST" is labelled the other way round. Only the
// label changes: offsets are what clients compute with.
func daylight(fromDST, toDST bool, from, to int) bool {
	switch {
	case toDST && to < from:
		return false
	case !toDST && fromDST && to > from:
		return true
	}
	return toDST
}

func zoneTransitions(loc *time.Location, from, to time.Time) []transition {
	var out []transition
	t := from.In(loc)
	name, off := t.Zone()
	dst := t.IsDST()
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.After(t) || !end.Before(to) {
			return out
		}
		t = end.In(loc)
		n, o := t.Zone()
		d := t.IsDST()
		// tzdata has transitions that change nothing a client can see.
		if n != name || o != off || d != dst {
			out = append(out, transition{at: end.UTC(), from: off, to: o, name: n, dst: daylight(dst, d, off, o)})
		}
		name, off, dst = n, o, d
	}
}

// run is a series of transitions of one kind in consecutive years that one
// RRULE can express.
type run struct {
	trs []transition
	// the weekday rule: all on the same weekday, and the first of that weekday
	// on or after any day in [lo, hi], or (lastOK) the last in the month.
	sameWeekday bool
	lo, hi      int
	lastOK      bool
	sameDay     bool
}

func newRun(tr transition) *run {
	w := tr.onset()
	return &run{
		trs:         []transition{tr},
		sameWeekday: true,
		lo:          max(w.Day()-6, 1),
		hi:          w.Day(),
		lastOK:      w.Day()+7 > daysIn(w.Year(), w.Month()),
		sameDay:     true,
	}
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// extend adds tr to the run if one rule still covers every year, else reports false.
func (r *run) extend(tr transition) bool {
	prev := r.trs[len(r.trs)-1].onset()
	w := tr.onset()
	if w.Year() != prev.Year()+1 || w.Month() != prev.Month() ||
		w.Hour() != prev.Hour() || w.Minute() != prev.Minute() || w.Second() != prev.Second() {
		return false
	}
	sameWeekday := r.sameWeekday && w.Weekday() == prev.Weekday()
	lo, hi := max(r.lo, w.Day()-6, 1), min(r.hi, w.Day())
	lastOK := r.lastOK && w.Day()+7 > daysIn(w.Year(), w.Month())
	weekdayOK := sameWeekday && (lo <= hi || lastOK)
	sameDay := r.sameDay && w.Day() == prev.Day()
	if !weekdayOK && !sameDay {
		return false
	}
	r.trs = append(r.trs, tr)
	r.sameWeekday, r.lo, r.hi, r.lastOK, r.sameDay = weekdayOK, lo, hi, lastOK, sameDay
	return true
}

func (r *run) rule() yearlyRule {
	w := r.trs[0].onset()
	rule := yearlyRule{month: w.Month(), weekday: w.Weekday(), hour: w.Hour(), min: w.Minute(), sec: w.Second()}
	switch {
	case r.sameWeekday && r.lastOK:
		// "last Sunday" is the common rule (the EU's); prefer it when both fit.
		rule.last = true
	case r.sameWeekday:
		rule.onOrAfter = r.hi
		for d := r.lo; d <= r.hi; d++ {
			if (d-1)%7 == 0 {
				rule.onOrAfter = d // expressible as "second Sunday" etc.
				break
			}
		}
	default:
		rule.fixedDay = w.Day()
	}
	return rule
}

// buildZoneModel derives the observances, first in the compact form with rules
// moved back to 1970, and if that form cannot reproduce the zone (a rule that
// did not hold at the window's start), with each rule from its first onset.
func buildZoneModel(loc *time.Location) (*zoneModel, error) {
	m, err := deriveZone(loc, true)
	if err != nil {
		m, err = deriveZone(loc, false)
	}
	return m, err
}

func deriveZone(loc *time.Location, moveBack bool) (*zoneModel, error) {
	windowStart := time.Date(windowFirstYear, 1, 1, 0, 0, 0, 0, time.UTC)
	windowEnd := time.Date(windowLastYear+1, 1, 1, 0, 0, 0, 0, time.UTC)
	trs := zoneTransitions(loc, windowStart, windowEnd)

	type kind struct {
		dst      bool
		from, to int
		name     string
	}
	var kinds []kind
	byKind := map[kind][]transition{}
	for _, tr := range trs {
		k := kind{tr.dst, tr.from, tr.to, tr.name}
		if _, ok := byKind[k]; !ok {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], tr)
	}

	m := &zoneModel{loc: loc}
	for _, k := range kinds {
		var runs []*run
		for _, tr := range byKind[k] {
			if len(runs) > 0 && runs[len(runs)-1].extend(tr) {
				continue
			}
			runs = append(runs, newRun(tr))
		}
		for _, r := range runs {
			if len(r.trs) < 2 {
				// A transition no rule repeats is an observance of its own,
				// not an RDATE: ical.js reads one value per RDATE and skips
				// DTSTART beside one; a plain DTSTART every client reads.
				m.observances = append(m.observances, observance{
					daylight: k.dst, from: k.from, to: k.to, name: k.name, start: r.trs[0].onset(),
				})
				continue
			}
			rule := r.rule()
			o := observance{daylight: k.dst, from: k.from, to: k.to, name: k.name, start: r.trs[0].onset(), rule: &rule}
			last := r.trs[len(r.trs)-1]
			if last.at.Year() < windowLastYear {
				o.until = last.at
			}
			if moveBack && o.start.Year() == windowFirstYear {
				o.start = rule.in(baseYear)
			}
			m.observances = append(m.observances, o)
		}
	}

	// Unless a rule moved back to 1970 already yields it, the state at the
	// window's start needs its own observance from 1970 on: local times before
	// a zone's first onset are undefined in RFC 5545.
	first := windowStart.In(loc)
	name, off := first.Zone()
	if !m.hasOnsetBefore(windowStart) || m.offsetAt(windowStart) != off {
		dst := first.IsDST()
		if _, later := windowStart.AddDate(0, 6, 0).In(loc).Zone(); dst && later > off {
			dst = false // negative DST, see daylight
		}
		m.observances = append(m.observances, observance{
			daylight: dst, from: off, to: off, name: name,
			start: time.Date(baseYear, 1, 1, 0, 0, 0, 0, time.UTC),
		})
	}
	sort.SliceStable(m.observances, func(i, j int) bool {
		if !m.observances[i].start.Equal(m.observances[j].start) {
			return m.observances[i].start.Before(m.observances[j].start)
		}
		return !m.observances[i].daylight && m.observances[j].daylight
	})

	// The derived rules must reproduce every transition Go knows in the
	// window; otherwise clients would show wrong times.
	if err := m.verify(windowStart, trs); err != nil {
		return nil, err
	}
	m.component = m.toComponent()
	return m, nil
}

func (m *zoneModel) hasOnsetBefore(t time.Time) bool {
	for _, o := range m.observances {
		if _, ok := o.latestOnsetBefore(t); ok {
			return true
		}
	}
	return false
}

func (m *zoneModel) verify(windowStart time.Time, trs []transition) error {
	var errs []error
	if _, off := windowStart.In(m.loc).Zone(); m.offsetAt(windowStart) != off {
		errs = append(errs, fmt.Errorf("offset at %s", windowStart))
	}
	for _, tr := range trs {
		if got := m.offsetAt(tr.at.Add(-time.Second)); got != tr.from {
			errs = append(errs, fmt.Errorf("before %s: %d, want %d", tr.at, got, tr.from))
		}
		if got := m.offsetAt(tr.at); got != tr.to {
			errs = append(errs, fmt.Errorf("at %s: %d, want %d", tr.at, got, tr.to))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("calendar: derived VTIMEZONE for %s disagrees with the zone: %w", m.loc, errors.Join(errs...))
	}
	return nil
}

func (m *zoneModel) toComponent() *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, m.loc.String())
	for _, o := range m.observances {
		name := ical.CompTimezoneStandard
		if o.daylight {
			name = ical.CompTimezoneDaylight
		}
		c := ical.NewComponent(name)
		setRaw(c.Props, ical.PropDateTimeStart, o.start.Format(localFormat))
		setRaw(c.Props, ical.PropTimezoneOffsetFrom, formatOffset(o.from))
		setRaw(c.Props, ical.PropTimezoneOffsetTo, formatOffset(o.to))
		c.Props.SetText(ical.PropTimezoneName, o.name)
		if o.rule != nil {
			setRaw(c.Props, ical.PropRecurrenceRule, o.rule.rrule(o.until))
		}
		tz.Children = append(tz.Children, c)
	}
	return tz
}

// formatOffset writes a UTC offset as RFC 5545 utc-offset: ±HHMM[SS].
func formatOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}
