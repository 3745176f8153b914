package availability

import (
	"slices"
	"time"
)

// Interval is the half-open span of instants [Start, End). Intervals with
// End at or before Start are empty. Keep Start and End in UTC when storing.
type Interval struct {
	Start, End time.Time
}

// Empty reports whether iv contains no instant.
func (iv Interval) Empty() bool { return !iv.End.After(iv.Start) }

// Duration returns the length of iv, zero when empty.
func (iv Interval) Duration() time.Duration {
	if iv.Empty() {
		return 0
	}
	return iv.End.Sub(iv.Start)
}

// Contains reports whether t lies in iv.
func (iv Interval) Contains(t time.Time) bool { return !t.Before(iv.Start) && t.Before(iv.End) }

// Overlaps reports whether iv and o share an instant. Intervals that only
// touch, like 09:00–10:00 and 10:00–11:00, do not overlap.
func (iv Interval) Overlaps(o Interval) bool {
	return iv.Start.Before(o.End) && o.Start.Before(iv.End) && !iv.Empty() && !o.Empty()
}

// Clip returns the part of iv inside bounds; it is empty (the zero
// Interval) when they do not overlap.
func (iv Interval) Clip(bounds Interval) Interval {
	out := iv
	if bounds.Start.After(out.Start) {
		out.Start = bounds.Start
	}
	if bounds.End.Before(out.End) {
		out.End = bounds.End
	}
	if out.Empty() {
		return Interval{}
	}
	return out
}

// Merge returns the union of ivs as sorted, disjoint intervals; intervals that
// overlap or touch become one, empty ones are dropped. ivs is not modified.
func Merge(ivs []Interval) []Interval {
	out := make([]Interval, 0, len(ivs))
	for _, iv := range ivs {
		if !iv.Empty() {
			out = append(out, iv)
		}
	}
	if !slices.IsSortedFunc(out, compareStart) {
		slices.SortFunc(out, compareStart)
	}
	n := 0
	for _, iv := range out {
		if n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out[n] = iv
		n++
	}
	return out[:n]
}

// Subtract returns the parts of from that lie in none of remove, as sorted,
// disjoint intervals. Neither argument needs to be sorted; the cost is
// O((n+m) log(n+m)).
func Subtract(from, remove []Interval) []Interval {
	base, cut := Merge(from), Merge(remove)
	out := make([]Interval, 0, len(base)+len(cut))
	k := 0
	for _, iv := range base {
		for k < len(cut) && !cut[k].End.After(iv.Start) {
			k++
		}
		start := iv.Start
		// cut is disjoint and sorted, so one pass over it serves all of base;
		// j restarts at k because one cut may reach into the next interval.
		for j := k; j < len(cut) && cut[j].Start.Before(iv.End); j++ {
			if cut[j].Start.After(start) {
				out = append(out, Interval{start, cut[j].Start})
			}
			if cut[j].End.After(start) {
				start = cut[j].End
			}
		}
		if iv.End.After(start) {
			out = append(out, Interval{start, iv.End})
		}
	}
	return out
}

func compareStart(a, b Interval) int {
	if c := a.Start.Compare(b.Start); c != 0 {
		return c
	}
	return a.End.Compare(b.End)
}

// span is the engine's interval: nanoseconds since the Unix epoch, [lo, hi).
type span struct{ lo, hi int64 }

// mergeSpans sorts s in place and coalesces overlapping or touching spans,
// dropping empty ones.
func mergeSpans(s []span) []span {
	if !slices.IsSortedFunc(s, compareSpan) {
		slices.SortFunc(s, compareSpan)
	}
	n := 0
	for _, x := range s {
		if x.hi <= x.lo {
			continue
		}
		if n > 0 && x.lo <= s[n-1].hi {
			s[n-1].hi = max(s[n-1].hi, x.hi)
			continue
		}
		s[n] = x
		n++
	}
	return s[:n]
}

func compareSpan(a, b span) int {
	if a.lo != b.lo {
		return cmpInt64(a.lo, b.lo)
	}
	return cmpInt64(a.hi, b.hi)
}
