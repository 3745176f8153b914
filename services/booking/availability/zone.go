package availability

import (
	"math"
	"time"
)

// zoneSeg is a stretch of instants [lo, hi) during which the zone keeps one
// UTC offset, so the naive wall time of t is t+off. All values are
// nanoseconds since the Unix epoch.
type zoneSeg struct{ lo, hi, off int64 }

// zoneSegments lists loc's offsets over the instants [from, to), merging
// neighbours with the same offset (a renamed zone is no change for us).
func zoneSegments(loc *time.Location, from, to int64) []zoneSeg {
	var segs []zoneSeg
	for t := from; t < to; {
		tt := time.Unix(0, t).In(loc)
		_, off := tt.Zone()
		hi := to
		if _, end := tt.ZoneBounds(); !end.IsZero() {
			if e := nanos(end); e > t && e < hi {
				hi = e
			}
		}
		o := int64(off) * int64(time.Second)
		if n := len(segs); n > 0 && segs[n-1].off == o {
			segs[n-1].hi = hi
		} else {
			segs = append(segs, zoneSeg{t, hi, o})
		}
		t = hi
	}
	return segs
}

// resolveStart returns the first instant whose wall time is at or after w:
// the first pass of a repeated wall time, the end of the gap for a missing one.
func resolveStart(segs []zoneSeg, w int64) int64 {
	for _, s := range segs {
		if s.lo+s.off >= w {
			return s.lo
		}
		if s.hi+s.off > w {
			return w - s.off
		}
	}
	return segs[len(segs)-1].hi
}

// resolveEnd returns the last instant before which some wall time is still
// earlier than w: the second pass of a repeated wall time, the start of the
// gap for a missing one.
func resolveEnd(segs []zoneSeg, w int64) int64 {
	for i := len(segs) - 1; i >= 0; i-- {
		if s := segs[i]; s.lo+s.off < w {
			return min(s.hi, w-s.off)
		}
	}
	return segs[0].lo
}

// dayInfo maps one local date between wall-clock times and instants, and
// says which of its instants the agency is closed.
type dayInfo struct {
	date       Date
	wall0      int64     // naive wall time of local 00:00
	start, end int64     // the date's instants are [start, end)
	segs       []zoneSeg // the zone's offsets during [start, end)
	regular    bool      // one offset and midnight exists: instant = wall - off
	off        int64     // the offset when regular
	closed     []span    // agency closures and holidays, sorted and merged
	allClosed  bool
}

func (d *dayInfo) startAt(c Clock) int64 {
	w := d.wall0 + int64(c)*minute
	if d.regular {
		return w - d.off
	}
	return resolveStart(d.segs, w)
}

func (d *dayInfo) endAt(c Clock) int64 {
	w := d.wall0 + int64(c)*minute
	if d.regular {
		return w - d.off
	}
	return resolveEnd(d.segs, w)
}

// calendar holds consecutive dates of one zone, built once per query so the
// inner loops turn wall-clock times into instants with arithmetic.
type calendar struct {
	first int64 // day number of days[0]
	days  []dayInfo
}

func newCalendar(loc *time.Location, first, last Date) calendar {
	n := int(last.days() - first.days() + 1)
	// Offsets are at most ±14 h, so two days either side cover every instant.
	segs := zoneSegments(loc, first.wall()-2*day, last.wall()+3*day)
	c := calendar{first: first.days(), days: make([]dayInfo, n)}
	backing := make([]zoneSeg, 0, n+2*len(segs))
	for i := range c.days {
		w := (c.first + int64(i)) * day
		start, end := resolveStart(segs, w), resolveStart(segs, w+day)
		from := len(backing)
		for _, s := range segs {
			if s.hi > start && s.lo < end {
				backing = append(backing, zoneSeg{max(s.lo, start), min(s.hi, end), s.off})
			}
		}
		d := &c.days[i]
		*d = dayInfo{date: dateFromDays(c.first + int64(i)), wall0: w, start: start, end: end, segs: backing[from:len(backing):len(backing)]}
		if len(d.segs) == 1 && start+d.segs[0].off == w {
			d.regular, d.off = true, d.segs[0].off
		}
	}
	return c
}

// index returns the position of date number n in days, possibly outside it.
func (c *calendar) index(n int64) int { return int(n - c.first) }

// startOf is the instant a local date-time starts, clamped to the calendar.
func (c *calendar) startOf(dt DateTime) int64 {
	i, clock := c.index(dt.Date.days()), dt.Clock
	if clock >= EndOfDay {
		i, clock = i+1, 0
	}
	switch {
	case i < 0:
		return c.days[0].start
	case i >= len(c.days):
		return c.days[len(c.days)-1].end
	}
	return c.days[i].startAt(clock)
}

// endOf is the instant a local date-time ends a range, clamped to the calendar.
func (c *calendar) endOf(dt DateTime) int64 {
	i := c.index(dt.Date.days())
	switch {
	case i < 0:
		return c.days[0].start
	case i >= len(c.days):
		return c.days[len(c.days)-1].end
	}
	return c.days[i].endAt(dt.Clock)
}

// close marks the instants [lo, hi) closed for the whole agency.
func (c *calendar) close(lo, hi int64) {
	for i := range c.days {
		d := &c.days[i]
		if hi <= d.start || lo >= d.end {
			continue
		}
		d.closed = mergeSpans(append(d.closed, span{max(lo, d.start), min(hi, d.end)}))
		d.allClosed = len(d.closed) == 1 && d.closed[0] == span{d.start, d.end}
	}
}

// Instants inside the engine are int64 nanoseconds; times outside roughly
// 1680–2260 are clamped, far enough from the int64 limits that adding a
// horizon or a buffer cannot overflow.
const (
	clampNanos = math.MaxInt64 - 10*365*day
	clampSecs  = clampNanos / int64(time.Second)
)

func nanos(t time.Time) int64 {
	switch s := t.Unix(); {
	case s >= clampSecs:
		return clampNanos
	case s <= -clampSecs:
		return -clampNanos
	default:
		return s*int64(time.Second) + int64(t.Nanosecond())
	}
}
