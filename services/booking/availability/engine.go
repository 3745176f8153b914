package availability

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidbok/tidbok/core"
)

// MaxRange is the longest span from From to To that a Query may ask for.
const MaxRange = 92 * 24 * time.Hour

// Query asks for the slots of one meeting type in one mode.
type Query struct {
	Location *time.Location // the agency's zone; a named IANA zone, never Local or fixed
	Now      time.Time
	From, To time.Time // slots that start in [From, To)
	Rules    MeetingRules
	Mode     Mode
	// OfficeID, when set, narrows an in-person query to that office's slots,
	// and a phone or video query to the staff who work at that office (with
	// all their hours, remote included).
	OfficeID string
	StaffID  string // when set, only this staff member's slots
	Staff    []Staff
	Closures []Closure
	Holidays HolidayPolicy
	// WithoutStaffIDs leaves Slot.StaffIDs empty, for callers who may not
	// see who is free: listing the staff of every slot is a good part of
	// the work.
	WithoutStaffIDs bool
}

// Slot is one bookable time.
type Slot struct {
	Start, End time.Time // the meeting itself, without buffers, in the agency's zone
	Mode       Mode
	OfficeID   string   // the office of an in-person meeting; empty otherwise
	StaffIDs   []string // the eligible staff free for it, in Query.Staff order
}

// Validate checks what a caller asks for: the zone, the window, the mode and
// filters, the meeting rules, the closures and the holiday policy. Staff
// schedules are validated when they are saved (Staff.Validate), not here,
// because a query carries every staff member of the agency.
func (q Query) Validate() error {
	var v core.Validator
	v.Check(namedZone(q.Location, q.From, q.To), "time_zone", "must be a named IANA time zone such as Europe/Stockholm")
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"now", q.Now}, {"from", q.From}, {"to", q.To}} {
		v.Check(f.t.Year() >= 1970 && f.t.Year() <= 2200, f.name, "must be a time between 1970 and 2200")
	}
	switch {
	case !q.To.After(q.From):
		v.Add("to", "must be after from")
	case q.To.Sub(q.From) > MaxRange:
		v.Add("to", "must be at most 92 days after from")
	}
	switch {
	case !q.Mode.Valid():
		v.Add("mode", "must be one of phone, video, in_person")
	case !q.Rules.Allows(q.Mode):
		v.Add("mode", fmt.Sprintf("%s is not offered for this meeting type", q.Mode))
	}
	v.Check(q.OfficeID == "" || core.ValidID(q.OfficeID), "office_id", "must be a UUID")
	v.Check(q.StaffID == "" || core.ValidID(q.StaffID), "staff_id", "must be a UUID")
	addFields(&v, "meeting_type.", q.Rules.Validate())
	addFields(&v, "", q.Holidays.Validate())
	for i, c := range q.Closures {
		addFields(&v, fmt.Sprintf("closures[%d].", i), c.Validate())
	}
	return v.Err()
}

func addFields(v *core.Validator, prefix string, err error) {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			v.Add(prefix+strings.TrimPrefix(f.Field, "closure."), f.Message)
		}
	}
}

// namedZone reports whether loc is the IANA zone its name says, at the given
// times: a FixedZone called "CET" has the name but not the rules.
func namedZone(loc *time.Location, at ...time.Time) bool {
	if loc == nil || loc.String() == "Local" || loc.String() == "" {
		return false
	}
	real, err := time.LoadLocation(loc.String())
	if err != nil {
		return false
	}
	for _, t := range at {
		a, b := t.In(loc), t.In(real)
		as, ae := a.ZoneBounds()
		bs, be := b.ZoneBounds()
		_, ao := a.Zone()
		_, bo := b.Zone()
		if ao != bo || !as.Equal(bs) || !ae.Equal(be) {
			return false
		}
	}
	return true
}

// Compute returns the bookable slots of q, sorted by start and then office.
// It trusts a query that passed Validate; for one that cannot be answered (no
// zone, an empty window, a mode the meeting type does not allow) it returns
// nil.
func Compute(q Query) []Slot {
	e, ok := newEngine(&q)
	if !ok {
		return nil
	}
	defer e.release()
	return e.slots()
}

// Days returns the local dates that have at least one slot, sorted: what a
// calendar picker shows. It stops at the first slot of each date, so it
// costs far less than Compute when most dates have free time.
func Days(q Query) []Date {
	e, ok := newEngine(&q)
	if !ok {
		return nil
	}
	defer e.release()
	return e.days()
}

// engine holds one query prepared for the inner loops: instants as int64
// nanoseconds, a calendar of the dates involved, and per staff member their
// hours by place and their blocked time as one sorted list.
type engine struct {
	q                 *Query
	cal               calendar
	lo, hi            int64 // slot starts lie in [lo, hi)
	winLo, winHi      int64 // blocked time outside this cannot touch a slot
	dur, bb, ba, step int64
	firstDay, lastDay int // the calendar days that can hold slots
	inPerson          bool
	places            []string         // a slot's OfficeID by place; one "" place unless in person
	placeOf           map[string]int32 // office id → place, in person only
	staff             []staffPrep
	probe, found      bool // Days: stop at the first slot
	cur               int32
	hits              [][]hit // per place, for the day being computed
	dayHours          []placeHours
	pieces            []span
	counts            []int32
	sorted            []hit
	perm              []int32
	dayScratch        []Slot
	// Arenas for the staff's prepared hours and blocked time: one growing
	// slice each instead of two small ones per staff member.
	hourArena []placeHours
	spanArena []span
}

// engines keeps engines between queries, so their buffers are reused:
// without, a query of 200 staff over four weeks allocated about a
// megabyte, and the garbage collection it caused cost as much again.
var engines = sync.Pool{New: func() any { return new(engine) }}

// release returns e to the pool. Nothing the caller keeps points into its
// buffers: slots and their staff lists are allocated apart.
func (e *engine) release() {
	clear(e.staff[:cap(e.staff)]) // drop the pointers into the query
	clear(e.dayScratch[:cap(e.dayScratch)])
	e.q = nil
	engines.Put(e)
}

type staffPrep struct {
	s                   *Staff
	ready, blockedReady bool
	weekly              []placeHours // serving this query, sorted by weekday, place and start, merged
	wk                  [8]int32     // weekly[wk[d]:wk[d+1]] are weekday d's
	exc                 []int        // indexes of exceptions on dates that can hold slots, by date
	excAt               int
	blocked             []span // busy with their buffers, and absences; sorted and merged
	at                  int    // first blocked span that may reach into the current day
}

type placeHours struct {
	wd         time.Weekday
	place      int32
	start, end Clock
}

type hit struct {
	t     int64
	staff int32
}

func newEngine(q *Query) (*engine, bool) {
	r := q.Rules
	if q.Location == nil || r.Step <= 0 || r.Duration <= 0 || r.BufferBefore < 0 || r.BufferAfter < 0 ||
		!q.Mode.Valid() || !r.Allows(q.Mode) || q.To.Sub(q.From) > MaxRange {
		return nil, false
	}
	now := nanos(q.Now)
	lo, hi := max(nanos(q.From), now+int64(r.MinNotice)), min(nanos(q.To), now+int64(r.Horizon)+1)
	if lo >= hi {
		return nil, false
	}
	e := engines.Get().(*engine)
	*e = engine{
		q:        q,
		lo:       lo,
		hi:       hi,
		dur:      int64(r.Duration),
		bb:       int64(r.BufferBefore),
		ba:       int64(r.BufferAfter),
		step:     int64(r.Step),
		inPerson: q.Mode == InPerson,
		// The buffers of the engine's last query.
		staff: e.staff[:0], hits: e.hits, dayHours: e.dayHours[:0], pieces: e.pieces[:0], counts: e.counts,
		sorted: e.sorted, perm: e.perm[:0], dayScratch: e.dayScratch[:0],
		hourArena: e.hourArena[:0], spanArena: e.spanArena[:0],
	}
	e.winLo, e.winHi = e.lo-e.bb, e.hi+e.dur+e.ba
	first := DateOf(time.Unix(0, e.lo).In(q.Location))
	last := DateOf(time.Unix(0, e.hi-1).In(q.Location))
	// One spare day each side resolves absences and closures that end or
	// start just outside the window.
	e.cal = newCalendar(q.Location, first.AddDays(-1), last.AddDays(1))
	e.firstDay, e.lastDay = 1, len(e.cal.days)-2
	for _, d := range q.Holidays.ClosedDates(first, last) {
		day := &e.cal.days[e.cal.index(d.days())]
		e.cal.close(day.start, day.end)
	}
	for _, c := range q.Closures {
		if lo, hi := e.cal.startOf(c.Start), e.cal.endOf(c.End); lo < hi {
			e.cal.close(lo, hi)
		}
	}

	offices := map[string]bool{}
	for i := range q.Staff {
		s := &q.Staff[i]
		if !e.eligible(s) {
			continue
		}
		e.staff = append(e.staff, staffPrep{s: s})
		if e.inPerson && q.OfficeID == "" {
			for _, o := range s.OfficeIDs {
				offices[o] = true
			}
		}
	}
	switch {
	case !e.inPerson:
		e.places = []string{""}
	case q.OfficeID != "":
		e.places = []string{q.OfficeID}
	default:
		for o := range offices {
			e.places = append(e.places, o)
		}
		slices.Sort(e.places)
	}
	if e.inPerson {
		e.placeOf = make(map[string]int32, len(e.places))
		for i, o := range e.places {
			e.placeOf[o] = int32(i)
		}
	}
	if cap(e.hits) < len(e.places) {
		e.hits = make([][]hit, len(e.places))
	}
	e.hits = e.hits[:len(e.places)]
	for i := range e.hits {
		e.hits[i] = e.hits[i][:0]
	}
	return e, true
}

func (e *engine) eligible(s *Staff) bool {
	q := e.q
	return (q.StaffID == "" || s.ID == q.StaffID) &&
		slices.Contains(s.MeetingTypeIDs, q.Rules.MeetingTypeID) &&
		slices.Contains(s.Modes, q.Mode) &&
		(q.OfficeID == "" || slices.Contains(s.OfficeIDs, q.OfficeID))
}

// place returns where hours at officeID count for this query: the one place
// for phone and video, the office's place for in person; ok is false when
// the hours do not serve the query.
func (e *engine) place(s *Staff, officeID string) (int32, bool) {
	if !e.inPerson {
		return 0, true
	}
	p, ok := e.placeOf[officeID]
	return p, ok && slices.Contains(s.OfficeIDs, officeID)
}

// prepare builds a staff member's hours on first use, so Days touches only
// the staff it needs.
func (e *engine) prepare(sp *staffPrep) {
	sp.ready = true
	s := sp.s
	at := len(e.hourArena)
	for _, w := range s.Schedule.Weekly {
		if w.Weekday < time.Sunday || w.Weekday > time.Saturday || !validClocks(w.Start, w.End) {
			continue
		}
		if p, ok := e.place(s, w.OfficeID); ok {
			e.hourArena = append(e.hourArena, placeHours{w.Weekday, p, w.Start, w.End})
		}
	}
	sp.weekly = mergeHours(e.hourArena[at:])
	sp.weekly = sp.weekly[:len(sp.weekly):len(sp.weekly)]
	e.hourArena = e.hourArena[:at+len(sp.weekly)]
	for i, k := 0, 0; i < 7; i++ {
		for k < len(sp.weekly) && int(sp.weekly[k].wd) <= i {
			k++
		}
		sp.wk[i+1] = int32(k)
	}

	first, last := e.cal.days[e.firstDay].date, e.cal.days[e.lastDay].date
	for i, x := range s.Schedule.Exceptions {
		if !x.Date.Before(first) && !x.Date.After(last) {
			sp.exc = append(sp.exc, i)
		}
	}
	slices.SortStableFunc(sp.exc, func(a, b int) int {
		return s.Schedule.Exceptions[a].Date.Compare(s.Schedule.Exceptions[b].Date)
	})
}

// prepareBlocked builds a staff member's blocked time the first time they
// have hours on a day asked about; on a weekend Days touches nobody's.
func (e *engine) prepareBlocked(sp *staffPrep) {
	sp.blockedReady = true
	s := sp.s
	at := len(e.spanArena)
	for _, b := range s.Busy {
		lo, hi := nanos(b.Start)-int64(b.BufferBefore), nanos(b.End)+int64(b.BufferAfter)
		if hi > e.winLo && lo < e.winHi && lo < hi {
			e.spanArena = append(e.spanArena, span{lo, hi})
		}
	}
	calFirst, calLast := e.cal.days[0].date, e.cal.days[len(e.cal.days)-1].date
	for _, a := range s.Schedule.Absences {
		if a.End.Date.Before(calFirst) || a.Start.Date.After(calLast) {
			continue // history or far future: skip the zone arithmetic
		}
		if lo, hi := e.cal.startOf(a.Start), e.cal.endOf(a.End); hi > e.winLo && lo < e.winHi && lo < hi {
			e.spanArena = append(e.spanArena, span{lo, hi})
		}
	}
	sp.blocked = mergeSpans(e.spanArena[at:])
	sp.blocked = sp.blocked[:len(sp.blocked):len(sp.blocked)]
	e.spanArena = e.spanArena[:at+len(sp.blocked)]
}

func validClocks(start, end Clock) bool { return start >= 0 && end <= EndOfDay && start < end }

// mergeHours sorts hours by weekday, place and start and joins those that
// overlap or touch, so each working interval has one grid.
func mergeHours(hs []placeHours) []placeHours {
	slices.SortFunc(hs, func(a, b placeHours) int {
		if a.wd != b.wd {
			return int(a.wd) - int(b.wd)
		}
		if a.place != b.place {
			return int(a.place) - int(b.place)
		}
		return int(a.start) - int(b.start)
	})
	n := 0
	for _, h := range hs {
		if n > 0 && hs[n-1].wd == h.wd && hs[n-1].place == h.place && h.start <= hs[n-1].end {
			hs[n-1].end = max(hs[n-1].end, h.end)
			continue
		}
		hs[n] = h
		n++
	}
	return hs[:n]
}

// hoursOn returns a staff member's working hours on day d. Days must be
// asked for in increasing order.
func (e *engine) hoursOn(sp *staffPrep, d *dayInfo) []placeHours {
	wd := d.date.Weekday()
	base := sp.weekly[sp.wk[wd]:sp.wk[wd+1]]
	ex := sp.s.Schedule.Exceptions
	for sp.excAt < len(sp.exc) && ex[sp.exc[sp.excAt]].Date.Before(d.date) {
		sp.excAt++
	}
	if sp.excAt == len(sp.exc) || ex[sp.exc[sp.excAt]].Date != d.date {
		return base
	}
	closed := false
	for k := sp.excAt; k < len(sp.exc) && ex[sp.exc[k]].Date == d.date; k++ {
		closed = closed || ex[sp.exc[k]].Closed
	}
	out := e.dayHours[:0]
	if !closed {
		out = append(out, base...)
	}
	for k := sp.excAt; k < len(sp.exc) && ex[sp.exc[k]].Date == d.date; k++ {
		for _, h := range ex[sp.exc[k]].Hours {
			if p, ok := e.place(sp.s, h.OfficeID); ok && validClocks(h.Start, h.End) {
				out = append(out, placeHours{wd, p, h.Start, h.End})
			}
		}
	}
	e.dayHours = mergeHours(out)
	return e.dayHours
}

// visit offers every slot start of one staff member on day d: to e.hits, or
// when probing it stops at the first and sets e.found.
func (e *engine) visit(sp *staffPrep, d *dayInfo) {
	if !sp.ready {
		e.prepare(sp)
	}
	hours := e.hoursOn(sp, d)
	if len(hours) == 0 {
		return
	}
	need := e.bb + e.dur + e.ba
	for _, h := range hours {
		lo, hi := d.startAt(h.start), d.endAt(h.end)
		// Cheap checks first: too short, or no start inside the window.
		if hi-lo < need || lo+e.bb >= e.hi || hi-e.dur-e.ba < e.lo {
			continue
		}
		if !sp.blockedReady {
			e.prepareBlocked(sp)
		}
		bl := sp.blocked
		for sp.at < len(bl) && bl[sp.at].hi <= d.start {
			sp.at++
		}
		wallStart := d.wall0 + int64(h.start)*minute
		e.pieces = subtractSpans(e.pieces[:0], span{lo, hi}, d.closed)
		for _, p := range e.pieces {
			x := p.lo
			for k := sp.at; k < len(bl) && bl[k].lo < p.hi; k++ {
				if bl[k].hi <= x {
					continue
				}
				if bl[k].lo > x && !e.grid(d, wallStart, x, bl[k].lo, h.place) {
					return
				}
				x = bl[k].hi
			}
			if x < p.hi && !e.grid(d, wallStart, x, p.hi, h.place) {
				return
			}
		}
	}
}

// grid offers the starts on the working interval's wall-clock grid whose
// meeting and buffers fit in the free time [a, b). On a day with a
// daylight-saving change each offset gets its own phase, which skips the
// missing hour and offers both passes of a repeated one. It returns false
// when probing found a slot.
func (e *engine) grid(d *dayInfo, wallStart, a, b int64, place int32) bool {
	lo := max(a+e.bb, e.lo)
	hi := min(b-e.dur-e.ba, e.hi-1) // the last possible start, inclusive
	if lo > hi {
		return true
	}
	for _, s := range d.segs {
		if s.hi <= lo {
			continue
		}
		if s.lo > hi {
			break
		}
		from, to := max(lo, s.lo), min(hi, s.hi-1)
		t := from + floorMod(wallStart-s.off-from, e.step)
		if t > to {
			continue
		}
		if e.probe {
			e.found = true
			return false
		}
		for ; t <= to; t += e.step {
			e.hits[place] = append(e.hits[place], hit{t, e.cur})
		}
	}
	return true
}

// subtractSpans appends to dst the parts of iv outside cut (sorted, disjoint).
func subtractSpans(dst []span, iv span, cut []span) []span {
	x := iv.lo
	for _, c := range cut {
		if c.hi <= x {
			continue
		}
		if c.lo >= iv.hi {
			break
		}
		if c.lo > x {
			dst = append(dst, span{x, c.lo})
		}
		x = c.hi
	}
	if x < iv.hi {
		dst = append(dst, span{x, iv.hi})
	}
	return dst
}

func (e *engine) slots() []Slot {
	var out []Slot
	for di := e.firstDay; di <= e.lastDay; di++ {
		d := &e.cal.days[di]
		if d.allClosed {
			continue
		}
		for si := range e.staff {
			e.cur = int32(si)
			e.visit(&e.staff[si], d)
		}
		from := len(out)
		for p := range e.places {
			out = e.flush(out, d, int32(p))
		}
		if len(e.places) > 1 {
			e.orderDay(out[from:])
		}
	}
	return out
}

// orderDay sorts one day's slots by start. Each place's slots are in time
// order and places in office order, so a stable sort gives start-then-office;
// it sorts indexes and moves each Slot once, as Slots are large.
func (e *engine) orderDay(day []Slot) {
	byStart := func(a, b Slot) int { return a.Start.Compare(b.Start) }
	if slices.IsSortedFunc(day, byStart) {
		return
	}
	perm := e.perm[:0]
	for i := range day {
		perm = append(perm, int32(i))
	}
	slices.SortStableFunc(perm, func(a, b int32) int { return byStart(day[a], day[b]) })
	tmp := e.dayScratch[:0]
	for _, i := range perm {
		tmp = append(tmp, day[i])
	}
	copy(day, tmp)
	e.perm, e.dayScratch = perm, tmp
}

// flush turns one place's hits of day d into slots: a counting sort by minute
// of the day (stable, so staff stay in query order), then one slot per start.
func (e *engine) flush(out []Slot, d *dayInfo, place int32) []Slot {
	hs := e.hits[place]
	if len(hs) == 0 {
		return out
	}
	n := int((d.end-d.start)/minute) + 2
	if cap(e.counts) < n {
		e.counts = make([]int32, n)
	}
	counts := e.counts[:n]
	clear(counts)
	for _, h := range hs {
		counts[(h.t-d.start)/minute+1]++
	}
	for i := 1; i < n; i++ {
		counts[i] += counts[i-1]
	}
	if cap(e.sorted) < len(hs) {
		e.sorted = make([]hit, len(hs), 2*len(hs))
	}
	sorted := e.sorted[:len(hs)]
	for _, h := range hs {
		k := (h.t - d.start) / minute
		sorted[counts[k]] = h
		counts[k]++
	}
	// Starts are whole wall-clock minutes, so a minute holds one start unless
	// the zone's offset has seconds in it; then sort properly.
	byT := func(a, b hit) int { return cmpInt64(a.t, b.t) }
	if !slices.IsSortedFunc(sorted, byT) {
		slices.SortStableFunc(sorted, byT)
	}
	loc, mode, office := e.q.Location, e.q.Mode, e.places[place]
	// One exact allocation for the day's staff lists; each slot gets a
	// capped window of it so appending to one cannot change the next.
	var ids []string
	if !e.q.WithoutStaffIDs {
		ids = make([]string, len(sorted))
	}
	for i := 0; i < len(sorted); {
		t, from := sorted[i].t, i
		for ; i < len(sorted) && sorted[i].t == t; i++ {
			if ids != nil {
				ids[i] = e.staff[sorted[i].staff].s.ID
			}
		}
		start := time.Unix(0, t).In(loc)
		sl := Slot{Start: start, End: start.Add(time.Duration(e.dur)), Mode: mode, OfficeID: office}
		if ids != nil {
			sl.StaffIDs = ids[from:i:i]
		}
		out = append(out, sl)
	}
	e.hits[place] = hs[:0]
	return out
}

func (e *engine) days() []Date {
	var out []Date
	e.probe = true
	for di := e.firstDay; di <= e.lastDay; di++ {
		d := &e.cal.days[di]
		if d.allClosed {
			continue
		}
		for si := range e.staff {
			e.found = false
			e.visit(&e.staff[si], d)
			if e.found {
				out = append(out, d.date)
				break
			}
		}
	}
	return out
}
