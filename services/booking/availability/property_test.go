package availability

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// The property test builds hundreds of random agencies and compares Compute
// with an oracle that walks every minute, reads the wall clock with
// time.In and checks each candidate start by brute force. The oracle shares
// no code with the engine's interval arithmetic or zone handling.
//
// Random wall-clock boundaries avoid 01:05–02:55: a boundary inside a
// repeated hour is where "first pass to last pass" (the engine's documented
// rule) and "the clock reads between S and E" (the oracle's) legitimately
// differ. Hours still span the changes; the table tests cover boundaries
// inside them.
func TestComputeAgreesWithMinuteByMinuteOracle(t *testing.T) {
	const cases = 500
	var totalSlots, emptyCases, changeCases int
	for i := range cases {
		rng := rand.New(rand.NewPCG(2026, uint64(i)))
		q := randomQuery(t, rng)
		got := Compute(q)
		want := oracle(q)
		if g := render(got); !slices.Equal(g, want) {
			t.Fatalf("case %d (zone %s, %s–%s, mode %s, office %q, staff %q, rules %+v):\n%s",
				i, q.Location, q.From.In(q.Location), q.To.In(q.Location), q.Mode, q.OfficeID, q.StaffID, q.Rules, diff(g, want))
		}
		checkSlotInvariants(t, i, q, got)
		// Without staff lists: the same slots, and nobody named.
		anon := q
		anon.WithoutStaffIDs = true
		bare := Compute(anon)
		if len(bare) != len(got) {
			t.Fatalf("case %d: %d slots without staff lists, %d with", i, len(bare), len(got))
		}
		for k := range bare {
			if !bare[k].Start.Equal(got[k].Start) || bare[k].OfficeID != got[k].OfficeID || bare[k].StaffIDs != nil {
				t.Fatalf("case %d: slot %d without staff lists = %+v, with = %+v", i, k, bare[k], got[k])
			}
		}
		var dates []Date
		for _, s := range got {
			if d := DateOf(s.Start); len(dates) == 0 || dates[len(dates)-1] != d {
				dates = append(dates, d)
			}
		}
		if days := Days(q); !slices.Equal(days, dates) {
			t.Fatalf("case %d: Days = %v, dates of Compute = %v", i, days, dates)
		}
		totalSlots += len(got)
		if len(got) == 0 {
			emptyCases++
		}
		if _, off1 := q.From.In(q.Location).Zone(); true {
			if _, off2 := q.To.In(q.Location).Zone(); off1 != off2 {
				changeCases++
			}
		}
	}
	// Guard against a generator that drifted into testing nothing.
	if totalSlots < 20*cases || emptyCases < cases/50 || changeCases < cases/20 {
		t.Fatalf("weak sample: %d slots, %d empty cases, %d cases over a zone change", totalSlots, emptyCases, changeCases)
	}
	t.Logf("%d cases, %d slots, %d empty, %d over a zone change", cases, totalSlots, emptyCases, changeCases)
}

var (
	propertyZones = []string{"Europe/Stockholm", "Europe/Stockholm", "Europe/Stockholm", "America/New_York", "Australia/Lord_Howe"}
	// Dates just before zone changes, holidays and holiday eves in 2026.
	interestingDates = []Date{
		{2026, 3, 27}, {2026, 10, 23}, {2026, 3, 7}, {2026, 10, 31}, {2026, 4, 3}, {2026, 10, 3},
		{2026, 3, 28}, {2026, 10, 24}, {2026, 3, 8}, {2026, 11, 1}, {2026, 4, 4}, {2026, 10, 4},
		{2026, 6, 17}, {2026, 12, 22}, {2026, 12, 30}, {2026, 4, 2}, {2026, 6, 5},
	}
)

func randomQuery(t *testing.T, rng *rand.Rand) Query {
	t.Helper()
	loc := mustLoad(propertyZones[rng.IntN(len(propertyZones))])
	first := Date{2026, 1, 1}.AddDays(rng.IntN(365))
	if rng.IntN(2) == 0 {
		first = interestingDates[rng.IntN(len(interestingDates))].AddDays(rng.IntN(3))
	}
	nDays := 1 + rng.IntN(3)
	from := first.Start(loc).Add(time.Duration(rng.IntN(4)*60) * time.Minute)
	to := first.AddDays(nDays).Start(loc).Add(-time.Duration(rng.IntN(4)*60) * time.Minute)
	pick := func(ds ...time.Duration) time.Duration { return ds[rng.IntN(len(ds))] }
	m := time.Minute
	q := Query{
		Location: loc,
		Now:      from.Add(time.Duration(rng.IntN(18*60)-12*60) * m),
		From:     from,
		To:       to,
		Rules: MeetingRules{
			MeetingTypeID: typeID,
			Duration:      pick(15*m, 20*m, 30*m, 45*m, 60*m, 90*m),
			Step:          pick(5*m, 10*m, 15*m, 20*m, 30*m, 45*m, 60*m),
			BufferBefore:  pick(0, 0, 5*m, 10*m, 15*m),
			BufferAfter:   pick(0, 0, 5*m, 10*m, 20*m),
			MinNotice:     pick(0, 0, 30*m, 2*time.Hour, 24*time.Hour),
			Horizon:       pick(12*time.Hour, 72*time.Hour, 30*24*time.Hour, 30*24*time.Hour),
			Modes:         randomModes(rng),
		},
	}
	// Mostly a mode the type allows; sometimes one it does not.
	q.Mode = q.Rules.Modes[rng.IntN(len(q.Rules.Modes))]
	if rng.IntN(8) == 0 {
		q.Mode = allModes[rng.IntN(3)]
	}
	if rng.IntN(4) == 0 {
		q.OfficeID = []string{officeA, officeB}[rng.IntN(2)]
	}
	for _, h := range AllHolidays {
		if rng.IntN(3) == 0 {
			q.Holidays.Open = append(q.Holidays.Open, h)
		}
	}
	if rng.IntN(5) == 0 {
		start, end := randomRange(rng, first.AddDays(-1), nDays+1, 30*60)
		q.Closures = append(q.Closures, Closure{Start: start, End: end})
	}
	ids := []string{anna, bo, cecilia, dora}
	for _, id := range ids[:2+rng.IntN(len(ids)-1)] {
		q.Staff = append(q.Staff, randomStaff(rng, id, first, nDays, from, to))
	}
	if rng.IntN(10) == 0 {
		q.StaffID = q.Staff[rng.IntN(len(q.Staff))].ID
	}
	return q
}

func randomModes(rng *rand.Rand) []Mode {
	for {
		var out []Mode
		for _, m := range allModes {
			if rng.IntN(3) > 0 {
				out = append(out, m)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
}

// randomClock is a multiple of five minutes outside 01:05–02:55.
func randomClock(rng *rand.Rand) Clock {
	for {
		if c := Clock(rng.IntN(289) * 5); c <= At(1, 0) || c >= At(3, 0) {
			return c
		}
	}
}

// randomHours returns up to n sorted, non-overlapping intervals, some of them
// touching so that merging is exercised.
func randomHours(rng *rand.Rand, n int, places []string) []Hours {
	var bounds []Clock
	for range 2 * n {
		bounds = append(bounds, randomClock(rng))
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	var out []Hours
	for i := 0; i+1 < len(bounds); i += 2 {
		start := bounds[i]
		if len(out) > 0 && rng.IntN(3) == 0 {
			start = out[len(out)-1].End
		}
		out = append(out, Hours{start, bounds[i+1], places[rng.IntN(len(places))]})
	}
	return out
}

// randomRange returns a local range starting on one of days dates from
// first and lasting up to maxMinutes.
func randomRange(rng *rand.Rand, first Date, days, maxMinutes int) (DateTime, DateTime) {
	a := DateTime{first.AddDays(rng.IntN(days + 1)), randomClock(rng)}
	w := a.wall() + int64(5+rng.IntN(maxMinutes/5)*5)*minute
	b := DateTime{dateFromDays(floorDiv(w, day)), Clock(floorMod(w, day) / minute)}
	if b.Clock > At(1, 0) && b.Clock < At(3, 0) {
		b.Clock = At(3, 0)
	}
	return a, b
}

func randomStaff(rng *rand.Rand, id string, first Date, nDays int, from, to time.Time) Staff {
	s := Staff{ID: id, MeetingTypeIDs: []string{typeID}, Modes: allModes}
	if rng.IntN(2) == 0 {
		s.Modes = randomModes(rng)
	}
	if rng.IntN(10) == 0 {
		s.MeetingTypeIDs = []string{otherID}
	}
	for _, o := range []string{officeA, officeB} {
		if rng.IntN(3) > 0 {
			s.OfficeIDs = append(s.OfficeIDs, o)
		}
	}
	places := append([]string{Remote}, s.OfficeIDs...)
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		for _, h := range randomHours(rng, rng.IntN(3), places) {
			s.Schedule.Weekly = append(s.Schedule.Weekly, WeeklyInterval{wd, h.Start, h.End, h.OfficeID})
		}
	}
	if rng.IntN(5) < 2 {
		x := DateException{Date: first.AddDays(rng.IntN(nDays)), Closed: rng.IntN(2) == 0}
		x.Hours = randomHours(rng, rng.IntN(3), places)
		if !x.Closed && len(x.Hours) == 0 {
			x.Closed = true
		}
		s.Schedule.Exceptions = append(s.Schedule.Exceptions, x)
	}
	for range rng.IntN(3) {
		start, end := randomRange(rng, first.AddDays(-1), nDays+1, 8*60)
		s.Schedule.Absences = append(s.Schedule.Absences, Absence{Kind: Training, Start: start, End: end})
	}
	span := int(to.Sub(from)/time.Minute) + 2*24*60
	for range rng.IntN(12) {
		start := from.Add(-24 * time.Hour).Add(time.Duration(rng.IntN(span/5)*5) * time.Minute).UTC()
		s.Busy = append(s.Busy, Busy{
			Start:        start,
			End:          start.Add(time.Duration(2+rng.IntN(24)) * 5 * time.Minute),
			BufferBefore: time.Duration(rng.IntN(5)*5) * time.Minute,
			BufferAfter:  time.Duration(rng.IntN(5)*5) * time.Minute,
		})
	}
	return s
}

// oracleHours is a staff member's working hours on a date at one place ("" for
// phone and video: every place), merged, in minutes of the wall clock.
func oracleHours(q Query, s Staff, d Date, place string) [][2]int {
	var hs []Hours
	closed := false
	for _, x := range s.Schedule.Exceptions {
		if x.Date == d {
			closed = closed || x.Closed
			hs = append(hs, x.Hours...)
		}
	}
	if !closed {
		for _, w := range s.Schedule.Weekly {
			if w.Weekday == d.Weekday() {
				hs = append(hs, w.Hours())
			}
		}
	}
	var out [][2]int
	for _, h := range hs {
		if q.Mode != InPerson || h.OfficeID == place {
			out = append(out, [2]int{int(h.Start), int(h.End)})
		}
	}
	slices.SortFunc(out, func(a, b [2]int) int { return a[0] - b[0] })
	var merged [][2]int
	for _, h := range out {
		if n := len(merged); n > 0 && h[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], h[1])
			continue
		}
		merged = append(merged, h)
	}
	return merged
}

type wallMinute struct {
	date  Date
	day   int // index of date among the dates the minutes cover
	clock int
	at    int64 // the wall time as DateTime.wall gives it, for comparisons
}

// oracle returns the slots of q rendered as by render, found minute by minute.
func oracle(q Query) []string {
	r := q.Rules
	if !slices.Contains(r.Modes, q.Mode) {
		return nil
	}
	lo := q.From
	if n := q.Now.Add(r.MinNotice); n.After(lo) {
		lo = n
	}
	last := q.Now.Add(r.Horizon)
	if !lo.Before(q.To) {
		return nil
	}
	bb, du, ba, st := int(r.BufferBefore/time.Minute), int(r.Duration/time.Minute), int(r.BufferAfter/time.Minute), int(r.Step/time.Minute)
	base := lo.Add(-r.BufferBefore).Truncate(time.Minute)
	n := int(q.To.Add(r.Duration+r.BufferAfter).Sub(base)/time.Minute) + 2
	walls := make([]wallMinute, n)
	agencyClosed := make([]bool, n)
	holiday := map[Date]bool{}
	for y := base.Year() - 1; y <= base.Year()+1; y++ {
		for _, h := range SwedishHolidays(y) {
			if !slices.Contains(q.Holidays.Open, h.Holiday) {
				holiday[h.Date] = true
			}
		}
	}
	var dates []Date
	for i := range walls {
		w := base.Add(time.Duration(i) * time.Minute).In(q.Location)
		d := DateOf(w)
		if len(dates) == 0 || dates[len(dates)-1] != d {
			dates = append(dates, d)
		}
		c := w.Hour()*60 + w.Minute()
		walls[i] = wallMinute{d, len(dates) - 1, c, DateTime{d, Clock(c)}.wall()}
		agencyClosed[i] = holiday[d]
		for _, c := range q.Closures {
			if walls[i].at >= c.Start.wall() && walls[i].at < c.End.wall() {
				agencyClosed[i] = true
			}
		}
	}

	type key struct {
		t      time.Time
		office string
	}
	found := map[key][]string{}
	for _, s := range q.Staff {
		if (q.StaffID != "" && s.ID != q.StaffID) || !slices.Contains(s.MeetingTypeIDs, r.MeetingTypeID) ||
			!slices.Contains(s.Modes, q.Mode) || (q.OfficeID != "" && !slices.Contains(s.OfficeIDs, q.OfficeID)) {
			continue
		}
		places := []string{""}
		if q.Mode == InPerson {
			places = nil
			for _, o := range s.OfficeIDs {
				if q.OfficeID == "" || o == q.OfficeID {
					places = append(places, o)
				}
			}
		}
		for _, place := range places {
			id := make([]int, n) // working interval of each minute: date and start, or -1
			free := make([]bool, n)
			hours := make([][][2]int, len(dates))
			for k, d := range dates {
				hours[k] = oracleHours(q, s, d, place)
			}
			for i, w := range walls {
				hs := hours[w.day]
				id[i] = -1
				for _, h := range hs {
					if h[0] <= w.clock && w.clock < h[1] {
						id[i] = int(w.date.days())*10000 + h[0]
					}
				}
				free[i] = !agencyClosed[i]
				for _, a := range s.Schedule.Absences {
					if w.at >= a.Start.wall() && w.at < a.End.wall() {
						free[i] = false
					}
				}
			}
			// Minute i is the instant base+i; busy marks the minutes in
			// [start−buffer, end+buffer).
			for _, b := range s.Busy {
				from := ceilMinutes(b.Start.Add(-b.BufferBefore).Sub(base))
				to := ceilMinutes(b.End.Add(b.BufferAfter).Sub(base))
				for i := max(from, 0); i < min(to, n); i++ {
					free[i] = false
				}
			}
			// run[i]: how many minutes from i on are free in the same interval.
			run := make([]int, n+1)
			for i := n - 1; i >= 0; i-- {
				if id[i] >= 0 && free[i] {
					run[i] = 1
					if i+1 < n && id[i+1] == id[i] {
						run[i] += run[i+1]
					}
				}
			}
			for j := bb; j < n; j++ {
				t := base.Add(time.Duration(j) * time.Minute)
				if t.Before(lo) || !t.Before(q.To) || t.After(last) || id[j] < 0 {
					continue
				}
				start := id[j] % 10000
				if (walls[j].clock-start)%st != 0 || id[j-bb] != id[j] || run[j-bb] < bb+du+ba {
					continue
				}
				k := key{t, place}
				found[k] = append(found[k], s.ID)
			}
		}
	}
	var slots []Slot
	for k, ids := range found {
		slots = append(slots, Slot{Start: k.t.In(q.Location), End: k.t.Add(r.Duration), Mode: q.Mode, OfficeID: k.office, StaffIDs: ids})
	}
	slices.SortFunc(slots, func(a, b Slot) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.OfficeID, b.OfficeID)
	})
	return render(slots)
}

func ceilMinutes(d time.Duration) int {
	m := int(d / time.Minute)
	if d%time.Minute > 0 {
		m++
	}
	return m
}

func render(slots []Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = fmt.Sprintf("%s|%s|%s|%s", s.Start.Format(time.RFC3339), s.End.Sub(s.Start), s.OfficeID, strings.Join(s.StaffIDs, ","))
	}
	return out
}

func diff(got, want []string) string {
	var b strings.Builder
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "  unexpected %s\n", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "  missing    %s\n", w)
		}
	}
	if b.Len() == 0 {
		fmt.Fprintf(&b, "  same slots in another order:\n  got  %v\n  want %v", got, want)
	}
	return b.String()
}

// checkSlotInvariants states the promises directly, apart from the oracle:
// for every staff member a slot lists, the slot with its buffers overlaps
// none of their busy time and lies in their working hours.
func checkSlotInvariants(t *testing.T, n int, q Query, slots []Slot) {
	t.Helper()
	byID := map[string]Staff{}
	for _, s := range q.Staff {
		byID[s.ID] = s
	}
	for _, slot := range slots {
		need := Interval{slot.Start.Add(-q.Rules.BufferBefore), slot.End.Add(q.Rules.BufferAfter)}
		if len(slot.StaffIDs) == 0 {
			t.Fatalf("case %d: slot %v lists no staff", n, slot.Start)
		}
		for _, id := range slot.StaffIDs {
			s := byID[id]
			for _, b := range s.Busy {
				if need.Overlaps(b.Blocked()) {
					t.Fatalf("case %d: slot %v of %s overlaps busy %v", n, slot.Start, id, b.Blocked())
				}
			}
			// Working intervals are contiguous, so it is enough that the
			// first and the last minute lie in the same one.
			hours := oracleHours(q, s, DateOf(slot.Start), slot.OfficeID)
			in := func(m time.Time) int {
				w := m.In(q.Location)
				c := w.Hour()*60 + w.Minute()
				for k, h := range hours {
					if h[0] <= c && c < h[1] && DateOf(w) == DateOf(slot.Start) {
						return k
					}
				}
				return -1
			}
			if a, b := in(need.Start), in(need.End.Add(-time.Minute)); a < 0 || a != b {
				t.Fatalf("case %d: slot %v of %s is outside their working hours %v", n, slot.Start, id, hours)
			}
		}
	}
}
