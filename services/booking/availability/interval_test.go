package availability

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// iv builds an interval from minutes after a fixed instant.
func iv(start, end int) Interval {
	base := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	return Interval{base.Add(time.Duration(start) * time.Minute), base.Add(time.Duration(end) * time.Minute)}
}

func TestIntervalOverlapsAndClip(t *testing.T) {
	tests := []struct {
		name     string
		a, b     Interval
		overlaps bool
		clip     Interval
	}{
		{"intervals that only touch do not overlap", iv(0, 60), iv(60, 120), false, Interval{}},
		{"a shared minute overlaps", iv(0, 61), iv(60, 120), true, iv(60, 61)},
		{"one inside the other overlaps", iv(0, 120), iv(30, 60), true, iv(30, 60)},
		{"an empty interval overlaps nothing", iv(30, 30), iv(0, 60), false, Interval{}},
		{"an inverted interval is empty", iv(60, 30), iv(0, 120), false, Interval{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Overlaps(tc.b); got != tc.overlaps {
				t.Errorf("%v.Overlaps(%v) = %v", tc.a, tc.b, got)
			}
			if got := tc.b.Overlaps(tc.a); got != tc.overlaps {
				t.Errorf("Overlaps is not symmetric for %v, %v", tc.a, tc.b)
			}
			if got := tc.a.Clip(tc.b); got != tc.clip {
				t.Errorf("%v.Clip(%v) = %v, want %v", tc.a, tc.b, got, tc.clip)
			}
		})
	}
}

func TestMergeAndSubtract(t *testing.T) {
	tests := []struct {
		name            string
		from, remove    []Interval
		merged, remains []Interval
	}{
		{name: "unsorted, overlapping and touching intervals merge",
			from:   []Interval{iv(60, 90), iv(0, 30), iv(30, 45), iv(80, 100), iv(10, 20)},
			merged: []Interval{iv(0, 45), iv(60, 100)}, remains: []Interval{iv(0, 45), iv(60, 100)}},
		{name: "a cut in the middle splits an interval",
			from: []Interval{iv(0, 120)}, remove: []Interval{iv(30, 60)},
			merged: []Interval{iv(0, 120)}, remains: []Interval{iv(0, 30), iv(60, 120)}},
		{name: "one cut across several intervals removes from each",
			from: []Interval{iv(0, 30), iv(40, 60), iv(70, 100)}, remove: []Interval{iv(20, 80)},
			merged: []Interval{iv(0, 30), iv(40, 60), iv(70, 100)}, remains: []Interval{iv(0, 20), iv(80, 100)}},
		{name: "a cut covering everything leaves nothing",
			from: []Interval{iv(0, 30), iv(40, 60)}, remove: []Interval{iv(-10, 70)},
			merged: []Interval{iv(0, 30), iv(40, 60)}, remains: []Interval{}},
		{name: "empty intervals disappear",
			from:   []Interval{iv(10, 10), iv(20, 5)},
			merged: []Interval{}, remains: []Interval{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.from)
			if got := Merge(tc.from); !slices.Equal(got, tc.merged) {
				t.Errorf("Merge = %v, want %v", got, tc.merged)
			}
			if got := Subtract(tc.from, tc.remove); !slices.Equal(got, tc.remains) {
				t.Errorf("Subtract = %v, want %v", got, tc.remains)
			}
			if !slices.Equal(before, tc.from) {
				t.Error("the argument was modified")
			}
		})
	}
}

// TestSubtractMatchesMinuteByMinute compares Subtract with a bitmap of minutes.
func TestSubtractMatchesMinuteByMinute(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	random := func(n int) []Interval {
		out := make([]Interval, n)
		for i := range out {
			s := rng.IntN(200)
			out[i] = iv(s, s+rng.IntN(40))
		}
		return out
	}
	for range 300 {
		from, remove := random(rng.IntN(6)), random(rng.IntN(6))
		var want [260]bool
		for _, x := range from {
			for m := x.Start; m.Before(x.End); m = m.Add(time.Minute) {
				want[int(m.Sub(iv(0, 0).Start)/time.Minute)] = true
			}
		}
		for _, x := range remove {
			for m := x.Start; m.Before(x.End); m = m.Add(time.Minute) {
				want[int(m.Sub(iv(0, 0).Start)/time.Minute)] = false
			}
		}
		var got [260]bool
		res := Subtract(from, remove)
		for i, x := range res {
			if i > 0 && !res[i-1].End.Before(x.Start) {
				t.Fatalf("result %v is not sorted and disjoint", res)
			}
			for m := x.Start; m.Before(x.End); m = m.Add(time.Minute) {
				got[int(m.Sub(iv(0, 0).Start)/time.Minute)] = true
			}
		}
		if got != want {
			t.Fatalf("Subtract(%v, %v) = %v", from, remove, res)
		}
	}
}
