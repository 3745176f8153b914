package bookingstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
)

// margin widens the window of loaded absences and closures, so local dates
// at the edges see everything that touches them.
const margin = 36 * time.Hour

// busyMargin widens the window of loaded busy time: a slot that starts in
// the window reaches at most a buffer before it and the longest meeting and
// a buffer after it.
const busyMargin = availability.MaxBuffer + 8*time.Hour + availability.MaxBuffer

// AvailabilityData loads the staff members who serve the meeting type, with
// their offices, absences and busy time, and the agency's closures. It reads
// one query whatever the number of staff (the staff with their versions,
// the absences and the closures), and two more for the schedules and
// offices, and the blocks, of staff whose details or bookings changed since
// the store last read them (everyone, the first time).
func (s *Store) AvailabilityData(ctx context.Context, agencyID, meetingTypeID string, from, to, now time.Time) (booking.AvailabilityData, error) {
	return s.availabilityData(ctx, agencyID, meetingTypeID, "", from, to, now, false)
}

// SlotData is AvailabilityData for checking a booking or a hold: it reads
// no blocks. Staff whose blocks changed since the store last read them (or
// were never read) come without busy time, so they count as free; the
// database decides when their block is inserted (the exclusion constraint
// on PostgreSQL, the overlap check under SQLite's write lock), and a loser
// moves on to the next candidate. The schedules, absences and closures are
// as current as AvailabilityData's. With a staffID it loads that staff
// member alone (if they serve the meeting type).
func (s *Store) SlotData(ctx context.Context, agencyID, meetingTypeID, staffID string, from, to, now time.Time) (booking.AvailabilityData, error) {
	return s.availabilityData(ctx, agencyID, meetingTypeID, staffID, from, to, now, true)
}

func (s *Store) availabilityData(ctx context.Context, agencyID, meetingTypeID, staffID string, from, to, now time.Time, cachedOnly bool) (booking.AvailabilityData, error) {
	var out booking.AvailabilityData
	staff, ranges, err := s.eligibleStaff(ctx, agencyID, meetingTypeID, staffID, from, to)
	if err != nil || len(staff) == 0 {
		return out, err
	}
	index := make(map[string]int, len(staff))
	out.Staff = make([]availability.Staff, len(staff))
	for i, st := range staff {
		out.Staff[i] = availability.Staff{ID: st.id, MeetingTypeIDs: []string{meetingTypeID}, Modes: st.modes,
			OfficeIDs: st.offices, Schedule: st.schedule}
		index[st.id] = i
	}
	lo, hi := from.Add(-busyMargin).UnixMilli(), to.Add(busyMargin).UnixMilli()
	busy, err := s.busyTime(ctx, meetingTypeID, staff, lo, hi, cachedOnly)
	if err != nil {
		return out, err
	}
	for i, b := range busy {
		if b != nil {
			out.Staff[i].Busy = b.live(lo, hi, now.UnixMilli())
		}
	}

	for _, r := range ranges {
		if r.What == "closure" {
			c, err := r.closure()
			if err != nil {
				return out, err
			}
			out.Closures = append(out.Closures, c.Closure)
			continue
		}
		a, err := r.absence()
		if err != nil {
			return out, err
		}
		if i, ok := index[a.StaffID]; ok {
			out.Staff[i].Schedule.Absences = append(out.Staff[i].Schedule.Absences, a.Absence)
		}
	}
	return out, nil
}

// rangeRow is an absence of a staff member or a closure of the agency.
type rangeRow struct {
	What string // "absence" or "closure"
	localRangeRow
}

// eligible is one staff member who serves the meeting type, as availability
// needs them, with the versions of their details (booking_staff.version,
// migration 00016) and of their blocks (booking_staff_busy).
type eligible struct {
	id          string
	modes       []availability.Mode
	offices     []string
	schedule    availability.Schedule
	version     int64
	busyVersion int64
}

// eligibleStaff reads the staff who serve the meeting type with their
// versions, and in the same query the absences of the staff who serve it
// and the agency's closures around [from, to); one statement, so one round
// trip and one connection. The schedules and offices come from the cache
// when a staff member's version has not moved since they were read, and
// are read again otherwise.
//
// Absences and closures are kept as local wall-clock text; bounds in UTC
// widened by the largest UTC offset there is serve every zone.
//
// With a staffID, only that staff member and their absences.
func (s *Store) eligibleStaff(ctx context.Context, agencyID, meetingTypeID, staffID string, from, to time.Time) ([]eligible, []rangeRow, error) {
	const widest = 14 * time.Hour
	lo := from.Add(-margin - widest).UTC().Format("2006-01-02T15:04")
	hi := to.Add(margin + widest).UTC().Format("2006-01-02T15:04")
	text := "" // PostgreSQL unites uuid columns with text ones only as text
	if s.db.Dialect == db.Postgres {
		text = "::text"
	}
	onlyStaff, onlyAbsent := "", ""
	if staffID != "" {
		onlyStaff, onlyAbsent = " AND st.id = ?", " AND a.staff_id = ?"
	}
	stmt, err := s.prepared(ctx, s.db.Rebind(`
		SELECT 'staff' AS what, st.id`+text+`, '' AS owner, '' AS kind, '' AS start_local, '' AS end_local, '' AS reason,
		       st.mode_phone, st.mode_video, st.mode_in_person, st.version, COALESCE(v.version, 0)
		  FROM booking_staff_meeting_types l
		  JOIN booking_staff st ON st.id = l.staff_id
		  LEFT JOIN booking_staff_busy v ON v.staff_id = st.id
		 WHERE l.meeting_type_id = ? AND st.agency_id = ? AND st.retired_at IS NULL`+onlyStaff+`
		UNION ALL
		SELECT 'absence', a.id`+text+`, a.staff_id`+text+`, a.kind, a.start_local, a.end_local, '', false, false, false, 0, 0
		  FROM booking_absences a JOIN booking_staff_meeting_types l ON l.staff_id = a.staff_id
		 WHERE l.meeting_type_id = ? AND a.end_local > ? AND a.start_local < ?`+onlyAbsent+`
		UNION ALL
		SELECT 'closure', c.id`+text+`, c.agency_id`+text+`, '', c.start_local, c.end_local, c.reason, false, false, false, 0, 0
		  FROM booking_closures c
		 WHERE c.agency_id = ? AND c.end_local > ? AND c.start_local < ?
		 ORDER BY 1, 5, 2`))
	if err != nil {
		return nil, nil, err
	}
	args := []any{meetingTypeID, agencyID, meetingTypeID, lo, hi, agencyID, lo, hi}
	if staffID != "" {
		args = []any{meetingTypeID, agencyID, staffID, meetingTypeID, lo, hi, staffID, agencyID, lo, hi}
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, nil, db.MapError(err)
	}
	defer rows.Close()
	var out []eligible
	var ranges []rangeRow
	var stale []int
	for rows.Next() {
		var r rangeRow
		var e eligible
		var phone, video, inPerson bool
		if err := rows.Scan(&r.What, &r.ID, &r.Owner, &r.Kind, &r.Start, &r.End, &r.Reason,
			&phone, &video, &inPerson, &e.version, &e.busyVersion); err != nil {
			return nil, nil, db.MapError(err)
		}
		if r.What != "staff" {
			ranges = append(ranges, r)
			continue
		}
		e.id = r.ID
		e.modes = engineModes[modeBits(phone, video, inPerson)]
		var ok bool
		if e.schedule, e.offices, ok = s.cache.staff(e.id, e.version); !ok {
			stale = append(stale, len(out))
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, db.MapError(err)
	}
	rows.Close()
	if err := s.readStaffDetails(ctx, out, stale); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(out, func(a, b eligible) int { return strings.Compare(a.id, b.id) })
	return out, ranges, nil
}

// engineModes are the lists of modes a staff member may offer, by
// modeBits, shared read-only by every answer.
var engineModes = func() (out [8][]availability.Mode) {
	for bits := range out {
		for i, m := range []availability.Mode{availability.Phone, availability.Video, availability.InPerson} {
			if bits&(1<<i) != 0 {
				out[bits] = append(out[bits], m)
			}
		}
		out[bits] = slices.Clip(out[bits])
	}
	return out
}()

func modeBits(phone, video, inPerson bool) int {
	bits := 0
	for i, on := range []bool{phone, video, inPerson} {
		if on {
			bits |= 1 << i
		}
	}
	return bits
}

// readStaffDetails reads and decodes the schedules and offices (those not
// retired) of staff[i] for i in stale, and caches them under the version
// read with them.
func (s *Store) readStaffDetails(ctx context.Context, staff []eligible, stale []int) error {
	for k := 0; k < len(stale); k += maxInList {
		chunk := stale[k:min(k+maxInList, len(stale))]
		at := make(map[string]int, len(chunk))
		args := make([]any, len(chunk))
		for j, i := range chunk {
			at[staff[i].id] = i
			args[j] = staff[i].id
		}
		offices := `group_concat(o.office_id, ',')`
		if s.db.Dialect == db.Postgres {
			offices = `string_agg(o.office_id::text, ',')`
		}
		var rows []struct {
			ID         string `db:"id"`
			Weekly     string `db:"weekly_hours"`
			Exceptions string `db:"exceptions"`
			Version    int64  `db:"version"`
			Offices    string `db:"offices"`
		}
		if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT st.id, st.weekly_hours, st.exceptions, st.version,
			       COALESCE((SELECT `+offices+` FROM booking_staff_offices o JOIN booking_offices bo ON bo.id = o.office_id
			                  WHERE o.staff_id = st.id AND bo.retired_at IS NULL), '') AS offices
			  FROM booking_staff st WHERE st.id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`), args...); err != nil {
			return db.MapError(err)
		}
		for _, r := range rows {
			i, ok := at[r.ID]
			if !ok {
				continue
			}
			sc, err := decodeSchedule(r.Weekly, r.Exceptions)
			if err != nil {
				return fmt.Errorf("staff member %s: %w", r.ID, err)
			}
			// Shared by later calls, which read it only; the cap keeps an
			// append to a copy from writing into it.
			sc.Weekly = slices.Clip(sc.Weekly)
			sc.Exceptions = slices.Clip(sc.Exceptions)
			var ids []string
			if r.Offices != "" {
				ids = strings.Split(r.Offices, ",")
				slices.Sort(ids)
				ids = slices.Clip(ids)
			}
			staff[i].schedule, staff[i].offices = sc, ids
			s.cache.putStaff(r.ID, r.Version, sc, ids)
		}
	}
	return nil
}

// busyTime returns the blocks of each staff member (in staff order) over at
// least [lo, hi) milliseconds: from the cache when the staff member's blocks have not
// changed since they were read, from the database otherwise; with
// cachedOnly, nil instead of reading.
func (s *Store) busyTime(ctx context.Context, meetingTypeID string, staff []eligible, lo, hi int64, cachedOnly bool) ([]*busyEntry, error) {
	out := make([]*busyEntry, len(staff))
	var missing []int
	// Read whole days around the window, so that the next question, asked a
	// little later, is still inside what was read; and keep covering what
	// was read before, so that a narrow question (a booking checks one slot)
	// does not replace the weeks a wide one read.
	readLo, readHi := floorDay(lo), floorDay(hi)+2*dayMS
	for i, st := range staff {
		e, covers := s.cache.busy(st.id, st.busyVersion, lo, hi)
		if covers {
			out[i] = e
			continue
		}
		missing = append(missing, i)
		if e != nil && max(readHi, e.hi)-min(readLo, e.lo) <= maxReadSpan {
			readLo, readHi = min(readLo, e.lo), max(readHi, e.hi)
		}
	}
	if len(missing) == 0 || cachedOnly {
		return out, nil
	}
	lo, hi = readLo, readHi
	loaded := make(map[string]*busyEntry, len(missing))
	for _, i := range missing {
		loaded[staff[i].id] = &busyEntry{version: staff[i].busyVersion, lo: lo, hi: hi, minExpiry: math.MaxInt64}
	}
	var err error
	if len(missing) == len(staff) {
		err = s.readBlocks(ctx, `JOIN booking_staff_meeting_types l ON l.staff_id = b.staff_id WHERE l.meeting_type_id = ?`, true,
			[]any{meetingTypeID}, lo, hi, loaded)
	} else {
		ids := make([]string, len(missing))
		for j, i := range missing {
			ids[j] = staff[i].id
		}
		err = s.readBlocksOf(ctx, ids, lo, hi, loaded)
	}
	if err != nil {
		return nil, err
	}
	for _, i := range missing {
		e := loaded[staff[i].id]
		e.sort()
		out[i] = e
		s.cache.putBusy(staff[i].id, e)
	}
	return out, nil
}

// readBlocksOf is readBlocks for the staff in ids. PostgreSQL takes them
// as one array parameter, so the statement is prepared once and costs one
// round trip; SQLite, without arrays, in IN lists, where a statement costs
// no round trip.
func (s *Store) readBlocksOf(ctx context.Context, ids []string, lo, hi int64, entries map[string]*busyEntry) error {
	if s.db.Dialect == db.Postgres {
		return s.readBlocks(ctx, `WHERE b.staff_id = ANY(?::uuid[])`, true, []any{pq.StringArray(ids)}, lo, hi, entries)
	}
	for k := 0; k < len(ids); k += maxInList {
		chunk := ids[k:min(k+maxInList, len(ids))]
		args := make([]any, len(chunk))
		for j, id := range chunk {
			args[j] = id
		}
		// The list's length varies: not worth a prepared statement each.
		if err := s.readBlocks(ctx, `WHERE b.staff_id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, false, args, lo, hi, entries); err != nil {
			return err
		}
	}
	return nil
}

// maxInList bounds the parameters of one IN list.
const maxInList = 500

// maxReadSpan bounds how far reading again may widen what was read before.
const maxReadSpan = 120 * dayMS

const dayMS = 24 * 60 * 60 * 1000

func floorDay(ms int64) int64 { return ms - ((ms%dayMS)+dayMS)%dayMS }

// readBlocks adds to entries every block of their staff that overlaps
// [lo, hi) milliseconds. It reads bare integers with a plain Scan, as it
// reads tens of thousands of rows: the instants, and when the block is a
// hold, when it expires (0 for never set, so expired).
func (s *Store) readBlocks(ctx context.Context, where string, prepare bool, args []any, lo, hi int64, entries map[string]*busyEntry) error {
	var query string
	switch s.db.Dialect {
	case db.Postgres:
		query = `SELECT b.staff_id::text,
		                floor(extract(epoch FROM b.blocked_from) * 1000)::bigint,
		                ceil(extract(epoch FROM b.blocked_to) * 1000)::bigint,
		                CASE WHEN b.kind = 'appointment' THEN NULL
		                     ELSE COALESCE(floor(extract(epoch FROM b.expires_at) * 1000)::bigint, 0) END
		           FROM booking_blocks b ` + where + ` AND b.blocked_to > ? AND b.blocked_from < ?`
		args = append(args, time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC())
	default:
		query = `SELECT b.staff_id, b.blocked_from, b.blocked_to,
		                CASE WHEN b.kind = 'appointment' THEN NULL ELSE COALESCE(b.expires_at, 0) END
		           FROM booking_blocks b ` + where + ` AND b.blocked_to > ? AND b.blocked_from < ?`
		args = append(args, lo, hi)
	}
	var rows *sql.Rows
	var err error
	if prepare {
		var stmt *sqlx.Stmt
		if stmt, err = s.prepared(ctx, s.db.Rebind(query)); err != nil {
			return err
		}
		rows, err = stmt.QueryContext(ctx, args...)
	} else {
		rows, err = s.db.QueryContext(ctx, s.db.Rebind(query), args...)
	}
	if err != nil {
		return db.MapError(err)
	}
	defer rows.Close()
	var staffID string
	var fromMS, toMS int64
	var expires nullInt64
	var e *busyEntry
	for rows.Next() {
		if err := rows.Scan(&staffID, &fromMS, &toMS, &expires); err != nil {
			return db.MapError(err)
		}
		if e == nil || e.staffID != staffID {
			if e = entries[staffID]; e == nil {
				continue
			}
			e.staffID = staffID
		}
		exp := int64(math.MaxInt64)
		if expires.valid {
			exp = expires.v
		}
		e.add(fromMS, toMS, exp)
	}
	return db.MapError(rows.Err())
}

// nullInt64 is sql.NullInt64 without the reflection of its Scan: a NULL or
// an integer.
type nullInt64 struct {
	v     int64
	valid bool
}

func (n *nullInt64) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		n.v, n.valid = 0, false
	case int64:
		n.v, n.valid = x, true
	default:
		return fmt.Errorf("busy time: expiry of type %T", src)
	}
	return nil
}

// busyEntry is one staff member's blocks over [lo, hi) milliseconds, read
// when their change count was version. Once cached it is never modified,
// but for its view.
type busyEntry struct {
	staffID   string
	version   int64
	lo, hi    int64
	busy      []availability.Busy // sorted by start
	expires   []int64             // per block: when a hold expires; MaxInt64 for appointments
	minExpiry int64
	// endsSorted: the ends are in order too, as when no two blocks overlap.
	endsSorted bool
	// view is the blocks live at the last instant asked about; the one part
	// that changes after the entry is cached, swapped whole.
	view atomic.Pointer[liveView]
}

func (e *busyEntry) add(from, to, expires int64) {
	e.busy = append(e.busy, availability.Busy{Start: time.UnixMilli(from).UTC(), End: time.UnixMilli(to).UTC()})
	e.expires = append(e.expires, expires)
	e.minExpiry = min(e.minExpiry, expires)
}

// sort orders the blocks by start, and notes whether their ends are in
// order too, as they are when no two overlap.
func (e *busyEntry) sort() {
	defer func() {
		e.endsSorted = slices.IsSortedFunc(e.busy, func(a, b availability.Busy) int { return a.End.Compare(b.End) })
	}()
	if slices.IsSortedFunc(e.busy, func(a, b availability.Busy) int { return a.Start.Compare(b.Start) }) {
		return
	}
	order := make([]int, len(e.busy))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return e.busy[a].Start.Compare(e.busy[b].Start) })
	busy, expires := make([]availability.Busy, len(order)), make([]int64, len(order))
	for k, i := range order {
		busy[k], expires[k] = e.busy[i], e.expires[i]
	}
	e.busy, e.expires = busy, expires
}

// live returns the appointments, and the holds that have not expired at now,
// that overlap [lo, hi): a window of the entry's blocks, shared with other
// callers and capped, so that callers must not edit it in place (booking's
// findSlot clones before it removes a block) but may append to it. Only
// when blocks overlap (SQLite keeps what PostgreSQL refuses) are the ends
// out of order; then it copies what overlaps.
func (e *busyEntry) live(lo, hi, now int64) []availability.Busy {
	v := e.view.Load()
	if v == nil || now < v.from || now >= v.until {
		v = e.viewAt(now)
		e.view.Store(v)
	}
	from, to := time.UnixMilli(lo), time.UnixMilli(hi)
	// Sorted by start: what starts at or after hi is past the window.
	n, _ := slices.BinarySearchFunc(v.busy, to, func(b availability.Busy, t time.Time) int {
		if b.Start.Before(t) {
			return -1
		}
		return 1
	})
	if !v.endsSorted {
		var out []availability.Busy
		for _, b := range v.busy[:n] {
			if b.End.After(from) {
				out = append(out, b)
			}
		}
		return out
	}
	// What ends at or before lo is before the window.
	first, _ := slices.BinarySearchFunc(v.busy[:n], from, func(b availability.Busy, t time.Time) int {
		if b.End.After(t) {
			return 1
		}
		return -1
	})
	return v.busy[first:n:n]
}

// liveView is a busyEntry's blocks without the holds expired at an instant:
// the same set for every instant in [from, until), between two expiries.
type liveView struct {
	from, until int64
	busy        []availability.Busy // sorted by start
	endsSorted  bool
}

// viewAt builds the view of the blocks live at now. Every call at an instant
// in the same interval between expiries shares it: filtering tens of
// thousands of blocks per call was a good part of a warm call's cost.
func (e *busyEntry) viewAt(now int64) *liveView {
	if now < e.minExpiry {
		return &liveView{from: math.MinInt64, until: e.minExpiry, busy: e.busy, endsSorted: e.endsSorted}
	}
	v := &liveView{from: math.MinInt64, until: math.MaxInt64, busy: make([]availability.Busy, 0, len(e.busy))}
	for i, b := range e.busy {
		if exp := e.expires[i]; exp > now {
			v.busy = append(v.busy, b)
			v.until = min(v.until, exp)
		} else {
			v.from = max(v.from, exp)
		}
	}
	v.busy = v.busy[:len(v.busy):len(v.busy)]
	v.endsSorted = slices.IsSortedFunc(v.busy, func(a, b availability.Busy) int { return a.End.Compare(b.End) })
	return v
}

// availabilityCache keeps what AvailabilityData read, per staff member: the
// decoded schedule and the offices, valid while the staff member's version
// (booking_staff.version, kept by triggers, migration 00016) is unchanged,
// and the busy time, valid while their change count (booking_staff_busy,
// kept by triggers on booking_blocks) is unchanged. Each call still reads
// the staff rows with their counts, so every process sees every change at
// once, and the cache never answers for a staff member it has not checked.
type availabilityCache struct {
	off       bool
	mu        sync.Mutex
	schedules map[string]*scheduleEntry
	busyTime  map[string]*busyEntry
	used      map[string]time.Time
	blocks    int // blocks held in busyTime
	swept     time.Time
}

type scheduleEntry struct {
	version  int64
	schedule availability.Schedule
	offices  []string // sorted; not retired
}

// Bounds of the cache: staff not asked about for idleAfter are forgotten,
// and so is anyone, when the cache would hold more than maxCachedBlocks.
const (
	idleAfter       = 10 * time.Minute
	maxCachedBlocks = 400_000
)

func newAvailabilityCache() *availabilityCache {
	return &availabilityCache{schedules: map[string]*scheduleEntry{}, busyTime: map[string]*busyEntry{}, used: map[string]time.Time{}}
}

// staff returns the schedule and offices of a staff member when they were
// read at version.
func (c *availabilityCache) staff(staffID string, version int64) (availability.Schedule, []string, bool) {
	if c.off {
		return availability.Schedule{}, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.schedules[staffID]
	if e == nil || e.version != version {
		return availability.Schedule{}, nil, false
	}
	return e.schedule, e.offices, true
}

func (c *availabilityCache) putStaff(staffID string, version int64, sc availability.Schedule, offices []string) {
	if c.off {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.schedules[staffID]; old != nil && old.version > version {
		return // another call read a newer state meanwhile
	}
	c.schedules[staffID] = &scheduleEntry{version: version, schedule: sc, offices: offices}
	c.used[staffID] = time.Now()
}

// busy returns the cached busy time of a staff member, if any, and whether
// it can answer: read at version, covering [lo, hi).
func (c *availabilityCache) busy(staffID string, version, lo, hi int64) (*busyEntry, bool) {
	if c.off {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.busyTime[staffID]
	if e == nil || e.version != version || e.lo > lo || e.hi < hi {
		return e, false
	}
	c.used[staffID] = time.Now()
	return e, true
}

func (c *availabilityCache) putBusy(staffID string, e *busyEntry) {
	if c.off {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.busyTime[staffID]; old != nil {
		if old.version > e.version {
			return // another call read a newer state meanwhile
		}
		c.blocks -= len(old.busy)
	}
	c.busyTime[staffID] = e
	c.used[staffID] = now
	c.blocks += len(e.busy)
	if now.Sub(c.swept) > time.Minute || c.blocks > maxCachedBlocks {
		c.sweep(now)
	}
}

// sweep forgets idle staff, then anyone until the cache is within bounds.
func (c *availabilityCache) sweep(now time.Time) {
	c.swept = now
	for id, at := range c.used {
		if now.Sub(at) > idleAfter || c.blocks > maxCachedBlocks {
			if e := c.busyTime[id]; e != nil {
				c.blocks -= len(e.busy)
			}
			delete(c.busyTime, id)
			delete(c.schedules, id)
			delete(c.used, id)
		}
	}
}
