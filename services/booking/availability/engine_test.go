package availability

import (
	"slices"
	"testing"
	"time"
)

// Monday 1 June 2026 is an ordinary working day; tests that need one use it.
const monday = "2026-06-01"

func TestComputeDaylightSaving(t *testing.T) {
	night := func(t *testing.T, d, start, end string) Staff {
		t.Helper()
		s := person(anna)
		s.Schedule.Exceptions = []DateException{{Date: date(t, d), Hours: []Hours{{clock(t, start), clock(t, end), Remote}}}}
		return s
	}
	tests := []struct {
		name     string
		query    func(t *testing.T) Query
		want     []string
		realMins int // every slot must last this many real minutes
	}{
		{
			name: "spring forward: 09:00 is 09:00 local on the Friday before and the Monday after",
			query: func(t *testing.T) Query {
				s := person(anna, weekly(t, []time.Weekday{time.Monday, time.Friday}, "09:00", "09:30", Remote))
				return baseQuery(t, "2026-03-27 00:00", "2026-03-31 00:00", s)
			},
			want:     []string{"2026-03-27 09:00 +0100", "2026-03-30 09:00 +0200"},
			realMins: 30,
		},
		{
			name: "spring forward: no slot starts or ends in the missing hour 02:00-03:00",
			query: func(t *testing.T) Query {
				return baseQuery(t, "2026-03-29 00:00", "2026-03-30 00:00", night(t, "2026-03-29", "01:00", "05:00"))
			},
			want: []string{
				"2026-03-29 01:00 +0100", "2026-03-29 01:30 +0100",
				"2026-03-29 03:00 +0200", "2026-03-29 03:30 +0200", "2026-03-29 04:00 +0200", "2026-03-29 04:30 +0200",
			},
			realMins: 30,
		},
		{
			name: "spring forward: hours that start in the missing hour start at the change, on their own wall-clock grid",
			query: func(t *testing.T) Query {
				q := baseQuery(t, "2026-03-29 00:00", "2026-03-30 00:00", night(t, "2026-03-29", "02:30", "05:00"))
				q.Rules.Step = time.Hour
				return q
			},
			// The grid runs 02:30, 03:30, 04:30 on the wall clock; 02:30 does not exist.
			want:     []string{"2026-03-29 03:30 +0200", "2026-03-29 04:30 +0200"},
			realMins: 30,
		},
		{
			name: "fall back: 09:00 is 09:00 local on the Friday before and the Monday after",
			query: func(t *testing.T) Query {
				s := person(anna, weekly(t, []time.Weekday{time.Monday, time.Friday}, "09:00", "09:30", Remote))
				return baseQuery(t, "2026-10-23 00:00", "2026-10-27 00:00", s)
			},
			want:     []string{"2026-10-23 09:00 +0200", "2026-10-26 09:00 +0100"},
			realMins: 30,
		},
		{
			name: "fall back: each pass of the repeated hour is offered once, as a distinct instant",
			query: func(t *testing.T) Query {
				return baseQuery(t, "2026-10-25 00:00", "2026-10-26 00:00", night(t, "2026-10-25", "01:00", "04:00"))
			},
			want: []string{
				"2026-10-25 01:00 +0200", "2026-10-25 01:30 +0200", "2026-10-25 02:00 +0200", "2026-10-25 02:30 +0200",
				"2026-10-25 02:00 +0100", "2026-10-25 02:30 +0100", "2026-10-25 03:00 +0100", "2026-10-25 03:30 +0100",
			},
			realMins: 30,
		},
		{
			name: "fall back: hours that end inside the repeated hour end at its second pass",
			query: func(t *testing.T) Query {
				return baseQuery(t, "2026-10-25 00:00", "2026-10-26 00:00", night(t, "2026-10-25", "01:00", "02:30"))
			},
			want: []string{
				"2026-10-25 01:00 +0200", "2026-10-25 01:30 +0200", "2026-10-25 02:00 +0200", "2026-10-25 02:30 +0200",
				"2026-10-25 02:00 +0100",
			},
			realMins: 30,
		},
		{
			name: "fall back: hours that start inside the repeated hour run from its first pass",
			query: func(t *testing.T) Query {
				return baseQuery(t, "2026-10-25 00:00", "2026-10-26 00:00", night(t, "2026-10-25", "02:30", "04:00"))
			},
			want: []string{
				"2026-10-25 02:30 +0200",
				"2026-10-25 02:00 +0100", "2026-10-25 02:30 +0100", "2026-10-25 03:00 +0100", "2026-10-25 03:30 +0100",
			},
			realMins: 30,
		},
		{
			name: "fall back: an hour-long meeting across the change lasts an hour of real time",
			query: func(t *testing.T) Query {
				q := baseQuery(t, "2026-10-25 00:00", "2026-10-26 00:00", night(t, "2026-10-25", "01:00", "04:00"))
				q.Rules.Duration, q.Rules.Step = time.Hour, time.Hour
				return q
			},
			want:     []string{"2026-10-25 01:00 +0200", "2026-10-25 02:00 +0200", "2026-10-25 02:00 +0100", "2026-10-25 03:00 +0100"},
			realMins: 60,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Compute(tc.query(t))
			assertStrings(t, starts(got), tc.want)
			seen := map[time.Time]bool{}
			for _, s := range got {
				if s.End.Sub(s.Start) != time.Duration(tc.realMins)*time.Minute {
					t.Errorf("slot %v–%v lasts %v", s.Start, s.End, s.End.Sub(s.Start))
				}
				for _, x := range []time.Time{s.Start, s.End} {
					if x.Location() != stockholm {
						t.Errorf("slot time %v is not in the agency's zone", x)
					}
					if x.Month() == time.March && x.Hour() == 2 {
						t.Errorf("slot time %v is in the missing hour", x)
					}
				}
				if seen[s.Start.UTC()] {
					t.Errorf("instant %v offered twice", s.Start)
				}
				seen[s.Start.UTC()] = true
			}
		})
	}
}

func TestComputeHolidays(t *testing.T) {
	// One 09:00 slot a day, every day of the week, so each date shows up
	// exactly when it is open.
	daily := func(t *testing.T) Staff {
		return person(anna, weekly(t, everyDay, "09:00", "09:30", Remote))
	}
	tests := []struct {
		name     string
		from, to string
		open     []Holiday
		extra    string // a date with an exception adding hours, if any
		want     []string
	}{
		{name: "midsommarafton and midsommardagen are closed by default", from: "2026-06-18", to: "2026-06-21",
			want: []string{"2026-06-18", "2026-06-21"}},
		{name: "midsommarafton opens when the agency opens it", from: "2026-06-18", to: "2026-06-21",
			open: []Holiday{Midsommarafton}, want: []string{"2026-06-18", "2026-06-19", "2026-06-21"}},
		{name: "julafton, juldagen and annandag jul are closed by default", from: "2026-12-23", to: "2026-12-27",
			want: []string{"2026-12-23", "2026-12-27"}},
		{name: "julafton opens when the agency opens it, the other days stay closed", from: "2026-12-23", to: "2026-12-27",
			open: []Holiday{Julafton}, want: []string{"2026-12-23", "2026-12-24", "2026-12-27"}},
		{name: "nyårsafton and nyårsdagen are closed by default", from: "2026-12-30", to: "2027-01-02",
			want: []string{"2026-12-30", "2027-01-02"}},
		{name: "the national day 6 June is closed", from: "2026-06-05", to: "2026-06-07",
			want: []string{"2026-06-05", "2026-06-07"}},
		{name: "Good Friday, Easter Sunday and Easter Monday are closed", from: "2026-04-02", to: "2026-04-07",
			want: []string{"2026-04-02", "2026-04-04", "2026-04-07"}},
		{name: "Easter Monday opens when the agency opens it", from: "2026-04-06", to: "2026-04-07",
			open: []Holiday{AnnandagPask}, want: []string{"2026-04-06", "2026-04-07"}},
		{name: "a closed holiday wins over a staff member's extra hours", from: "2026-12-24", to: "2026-12-24",
			extra: "2026-12-24", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := daily(t)
			if tc.extra != "" {
				s.Schedule.Exceptions = []DateException{{Date: date(t, tc.extra), Hours: []Hours{{At(14, 0), At(16, 0), Remote}}}}
			}
			q := baseQuery(t, tc.from+" 00:00", tc.to+" 23:59", s)
			q.Holidays = HolidayPolicy{Open: tc.open}
			var got []string
			for _, s := range Compute(q) {
				got = append(got, DateOf(s.Start).String())
			}
			assertStrings(t, got, tc.want)
			var days []string
			for _, d := range Days(q) {
				days = append(days, d.String())
			}
			assertStrings(t, days, tc.want)
		})
	}
}

func TestSwedishHolidays2026(t *testing.T) {
	want := map[Holiday]string{
		Nyarsdagen: "2026-01-01", TrettondedagJul: "2026-01-06", Langfredagen: "2026-04-03",
		Paskdagen: "2026-04-05", AnnandagPask: "2026-04-06", ForstaMaj: "2026-05-01",
		KristiHimmelfardsdag: "2026-05-14", Pingstdagen: "2026-05-24", Nationaldagen: "2026-06-06",
		Midsommarafton: "2026-06-19", Midsommardagen: "2026-06-20", AllaHelgonsDag: "2026-10-31",
		Julafton: "2026-12-24", Juldagen: "2026-12-25", AnnandagJul: "2026-12-26", Nyarsafton: "2026-12-31",
	}
	got := SwedishHolidays(2026)
	if len(got) != len(want) {
		t.Fatalf("got %d holidays, want %d: %v", len(got), len(want), got)
	}
	for i, h := range got {
		if h.Date.String() != want[h.Holiday] {
			t.Errorf("%s (%s) = %s, want %s", h.Holiday, h.Name, h.Date, want[h.Holiday])
		}
		if i > 0 && h.Date.Before(got[i-1].Date) {
			t.Errorf("holidays not sorted: %s before %s", got[i-1].Date, h.Date)
		}
	}
	closed := HolidayPolicy{Open: []Holiday{Julafton}}.ClosedDates(date(t, "2026-12-20"), date(t, "2026-12-31"))
	if !slices.Equal(closed, []Date{date(t, "2026-12-25"), date(t, "2026-12-26"), date(t, "2026-12-31")}) {
		t.Errorf("closed dates with julafton open = %v", closed)
	}
}

func TestComputeAbsencesAndClosures(t *testing.T) {
	tests := []struct {
		name      string
		absences  [][2]string
		closures  [][2]string
		from, to  string
		wantStart []string
	}{
		{name: "an absence removes its hours",
			absences: [][2]string{{"2026-06-01 09:00", "2026-06-01 11:00"}},
			from:     monday, to: monday,
			wantStart: []string{"08:00", "08:30", "11:00", "11:30"}},
		{name: "overlapping absences remove their union",
			absences: [][2]string{{"2026-06-01 09:00", "2026-06-01 10:30"}, {"2026-06-01 10:00", "2026-06-01 11:00"}},
			from:     monday, to: monday,
			wantStart: []string{"08:00", "08:30", "11:00", "11:30"}},
		{name: "an absence nested in another changes nothing",
			absences: [][2]string{{"2026-06-01 09:00", "2026-06-01 11:00"}, {"2026-06-01 09:30", "2026-06-01 10:00"}},
			from:     monday, to: monday,
			wantStart: []string{"08:00", "08:30", "11:00", "11:30"}},
		{name: "an absence that ends inside a slot blocks that slot",
			absences: [][2]string{{"2026-06-01 08:00", "2026-06-01 08:45"}},
			from:     monday, to: monday,
			wantStart: []string{"09:00", "09:30", "10:00", "10:30", "11:00", "11:30"}},
		{name: "a vacation over several days closes each of them",
			absences: [][2]string{{"2026-05-25 00:00", "2026-06-02 24:00"}},
			from:     monday, to: "2026-06-03",
			wantStart: []string{"08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"}},
		{name: "an agency closure for an afternoon closes it for everyone",
			closures: [][2]string{{"2026-06-01 10:00", "2026-06-01 24:00"}},
			from:     monday, to: monday,
			wantStart: []string{"08:00", "08:30", "09:00", "09:30"}},
		{name: "an agency closure over days closes them",
			closures: [][2]string{{"2026-06-01 00:00", "2026-06-02 24:00"}},
			from:     monday, to: "2026-06-02",
			wantStart: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			staff := []Staff{person(anna, weekly(t, workdays, "08:00", "12:00", Remote)), person(bo, weekly(t, workdays, "08:00", "12:00", Remote))}
			for _, a := range tc.absences {
				// Both are away: the slots are what is left for anyone.
				for i := range staff {
					staff[i].Schedule.Absences = append(staff[i].Schedule.Absences, Absence{Vacation, dt(t, a[0]), dt(t, a[1])})
				}
			}
			q := baseQuery(t, tc.from+" 00:00", tc.to+" 24:00", staff...)
			for _, c := range tc.closures {
				q.Closures = append(q.Closures, Closure{Start: dt(t, c[0]), End: dt(t, c[1])})
			}
			got := Compute(q)
			assertStrings(t, clocks(got), tc.wantStart)
			for _, s := range got {
				if !slices.Equal(s.StaffIDs, []string{anna, bo}) {
					t.Errorf("slot %v lists %v, want both staff in query order", s.Start, s.StaffIDs)
				}
			}
		})
	}
}

func TestComputeBuffers(t *testing.T) {
	// 30-minute meetings with 10 minutes before and after, on a 15-minute
	// grid, in hours 08:00–12:00.
	tests := []struct {
		name string
		busy []Busy
		want []string
	}{
		{name: "buffers must fit inside working hours",
			want: []string{"08:15", "08:30", "08:45", "09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00", "11:15"}},
		{name: "a booking blocks its own buffers and keeps the new slot's buffers clear",
			// Blocked 09:50–10:40; a slot needs [t−10, t+40) clear: t ≤ 09:10 or t ≥ 10:50.
			busy: []Busy{{Start: at(t, "2026-06-01 10:00"), End: at(t, "2026-06-01 10:30"), BufferBefore: 10 * time.Minute, BufferAfter: 10 * time.Minute}},
			want: []string{"08:15", "08:30", "08:45", "09:00", "11:00", "11:15"}},
		{name: "a booking made without buffers blocks only itself",
			// Blocked 10:00–10:30: t ≤ 09:20 or t ≥ 10:40.
			busy: []Busy{{Start: at(t, "2026-06-01 10:00"), End: at(t, "2026-06-01 10:30")}},
			want: []string{"08:15", "08:30", "08:45", "09:00", "09:15", "10:45", "11:00", "11:15"}},
		{name: "overlapping holds block their union",
			busy: []Busy{
				{Start: at(t, "2026-06-01 09:00"), End: at(t, "2026-06-01 10:00")},
				{Start: at(t, "2026-06-01 09:30"), End: at(t, "2026-06-01 11:00")},
			},
			// Blocked 09:00–11:00: t ≤ 08:20 or t ≥ 11:10.
			want: []string{"08:15", "11:15"}},
		{name: "busy times in any order count",
			busy: []Busy{
				{Start: at(t, "2026-06-01 11:00"), End: at(t, "2026-06-01 12:00")},
				{Start: at(t, "2026-06-01 08:00"), End: at(t, "2026-06-01 10:00")},
			},
			want: []string{"10:15"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := person(anna, weekly(t, workdays, "08:00", "12:00", Remote))
			s.Busy = tc.busy
			q := baseQuery(t, monday+" 00:00", monday+" 24:00", s)
			q.Rules.BufferBefore, q.Rules.BufferAfter, q.Rules.Step = 10*time.Minute, 10*time.Minute, 15*time.Minute
			got := Compute(q)
			assertStrings(t, clocks(got), tc.want)
			for _, slot := range got {
				need := Interval{slot.Start.Add(-q.Rules.BufferBefore), slot.End.Add(q.Rules.BufferAfter)}
				for _, b := range tc.busy {
					if need.Overlaps(b.Blocked()) {
						t.Errorf("slot %v with buffers overlaps %v", slot.Start, b.Blocked())
					}
				}
			}
		})
	}
}

func TestComputeNoticeAndHorizon(t *testing.T) {
	tests := []struct {
		name    string
		now     string
		notice  time.Duration
		horizon time.Duration
		want    []string
	}{
		{name: "minimum notice hides slots that start sooner",
			now: "2026-06-01 08:20:30", notice: 2 * time.Hour,
			want: []string{"2026-06-01 10:30 +0200", "2026-06-01 11:00 +0200", "2026-06-01 11:30 +0200", "2026-06-02 08:00 +0200"}},
		{name: "a slot starting exactly at now plus notice is offered",
			now: "2026-06-01 09:30", notice: 2 * time.Hour,
			want: []string{"2026-06-01 11:30 +0200", "2026-06-02 08:00 +0200"}},
		{name: "slots that have started are not offered, even without notice",
			now:  "2026-06-01 11:10",
			want: []string{"2026-06-01 11:30 +0200", "2026-06-02 08:00 +0200"}},
		{name: "the horizon hides slots that start later, and one exactly at it is offered",
			now: "2026-05-31 08:00", horizon: 24 * time.Hour,
			want: []string{"2026-06-01 08:00 +0200"}},
		{name: "a horizon shorter than the notice offers nothing",
			now: "2026-05-31 08:00", notice: 48 * time.Hour, horizon: 24 * time.Hour,
			want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := person(anna, weekly(t, workdays, "08:00", "12:00", Remote))
			q := baseQuery(t, monday+" 00:00", "2026-06-02 08:30", s)
			q.Now, q.Rules.MinNotice = at(t, tc.now), tc.notice
			if tc.horizon != 0 {
				q.Rules.Horizon = tc.horizon
			}
			assertStrings(t, starts(Compute(q)), tc.want)
		})
	}
}

func TestComputeOfficesModesAndEligibility(t *testing.T) {
	// anna: office A in the morning, remote in the afternoon, every mode.
	// bo: office B 09–11, in person and phone only.
	// cecilia: office A 08–10, phone only.
	// dora: serves another meeting type only.
	staff := func(t *testing.T) []Staff {
		a := person(anna, weekly(t, workdays, "08:00", "11:00", officeA), weekly(t, workdays, "13:00", "15:00", Remote))
		a.OfficeIDs = []string{officeA}
		b := person(bo, weekly(t, workdays, "09:00", "11:00", officeB))
		b.Modes, b.OfficeIDs = []Mode{InPerson, Phone}, []string{officeB}
		c := person(cecilia, weekly(t, workdays, "08:00", "10:00", officeA))
		c.Modes, c.OfficeIDs = []Mode{Phone}, []string{officeA}
		d := person(dora, weekly(t, workdays, "08:00", "16:00", officeA))
		d.MeetingTypeIDs = []string{otherID}
		return []Staff{a, b, c, d}
	}
	tests := []struct {
		name   string
		mode   Mode
		office string
		staff  string
		modify func(q *Query)
		want   []string
	}{
		{name: "in person without an office: every office's slots, by start then office",
			mode: InPerson,
			want: []string{"08:00 0a 5a", "09:00 0a 5a", "09:00 0b 5b", "10:00 0a 5a", "10:00 0b 5b"}},
		{name: "in person at one office: only that office",
			mode: InPerson, office: officeB,
			want: []string{"09:00 0b 5b", "10:00 0b 5b"}},
		{name: "remote hours offer phone, office hours offer phone too",
			mode: Phone,
			want: []string{"08:00 - 5a,5c", "09:00 - 5a,5b,5c", "10:00 - 5a,5b", "13:00 - 5a", "14:00 - 5a"}},
		{name: "remote hours do not offer in person",
			mode: InPerson, office: officeA,
			want: []string{"08:00 0a 5a", "09:00 0a 5a", "10:00 0a 5a"}},
		{name: "video leaves out staff who do not offer video",
			mode: Video,
			want: []string{"08:00 - 5a", "09:00 - 5a", "10:00 - 5a", "13:00 - 5a", "14:00 - 5a"}},
		{name: "an office filter on a phone query keeps that office's staff with all their hours",
			mode: Phone, office: officeA,
			want: []string{"08:00 - 5a,5c", "09:00 - 5a,5c", "10:00 - 5a", "13:00 - 5a", "14:00 - 5a"}},
		{name: "a staff filter keeps one staff member",
			mode: Phone, staff: bo,
			want: []string{"09:00 - 5b", "10:00 - 5b"}},
		{name: "staff who do not serve the meeting type are never offered",
			mode: Phone, staff: dora,
			want: nil},
		{name: "hours at an office the staff member does not work at are not in-person hours",
			mode: InPerson, office: officeB,
			modify: func(q *Query) {
				q.Staff[0].Schedule.Weekly = append(q.Staff[0].Schedule.Weekly, WeeklyInterval{time.Monday, At(15, 0), At(16, 0), officeB})
			},
			want: []string{"09:00 0b 5b", "10:00 0b 5b"}},
		{name: "a mode the meeting type does not allow offers nothing",
			mode: Video,
			modify: func(q *Query) {
				q.Rules.Modes = []Mode{Phone, InPerson}
			},
			want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := baseQuery(t, monday+" 00:00", monday+" 24:00", staff(t)...)
			q.Rules.Duration, q.Rules.Step = time.Hour, time.Hour
			q.Mode, q.OfficeID, q.StaffID = tc.mode, tc.office, tc.staff
			if tc.modify != nil {
				tc.modify(&q)
			}
			got := Compute(q)
			assertStrings(t, describe(got), tc.want)
			for _, s := range got {
				if s.Mode != tc.mode || (s.OfficeID != "") != (tc.mode == InPerson) {
					t.Errorf("slot %v has mode %q office %q", s.Start, s.Mode, s.OfficeID)
				}
			}
		})
	}
}

func TestComputeGrid(t *testing.T) {
	tests := []struct {
		name   string
		hours  func(t *testing.T) []WeeklyHours
		mode   Mode
		step   time.Duration
		busy   [][2]string
		except *DateException
		want   []string
	}{
		{name: "the grid starts at the start of the working interval, not on the hour",
			hours: func(t *testing.T) []WeeklyHours { return []WeeklyHours{weekly(t, workdays, "08:10", "10:00", Remote)} },
			step:  15 * time.Minute,
			want:  []string{"08:10", "08:25", "08:40", "08:55", "09:10", "09:25"}},
		{name: "touching hours at an office and remote are one interval with one grid for phone",
			hours: func(t *testing.T) []WeeklyHours {
				return []WeeklyHours{weekly(t, workdays, "08:10", "09:00", officeA), weekly(t, workdays, "09:00", "10:00", Remote)}
			},
			step: 15 * time.Minute,
			want: []string{"08:10", "08:25", "08:40", "08:55", "09:10", "09:25"}},
		{name: "for in person only the office's part of those hours counts",
			hours: func(t *testing.T) []WeeklyHours {
				return []WeeklyHours{weekly(t, workdays, "08:10", "09:00", officeA), weekly(t, workdays, "09:00", "10:00", Remote)}
			},
			mode: InPerson, step: 15 * time.Minute,
			want: []string{"08:10", "08:25"}},
		{name: "a booking does not shift the grid",
			hours: func(t *testing.T) []WeeklyHours { return []WeeklyHours{weekly(t, workdays, "08:10", "10:00", Remote)} },
			step:  15 * time.Minute,
			busy:  [][2]string{{"2026-06-01 08:50", "2026-06-01 09:05"}},
			want:  []string{"08:10", "09:10", "09:25"}},
		{name: "separate intervals have separate grids",
			hours: func(t *testing.T) []WeeklyHours {
				return []WeeklyHours{weekly(t, workdays, "08:00", "09:00", Remote), weekly(t, workdays, "09:20", "10:20", Remote)}
			},
			want: []string{"08:00", "08:30", "09:20", "09:50"}},
		{name: "a step longer than the meeting leaves gaps",
			hours: func(t *testing.T) []WeeklyHours { return []WeeklyHours{weekly(t, workdays, "08:00", "10:00", Remote)} },
			step:  time.Hour,
			want:  []string{"08:00", "09:00"}},
		{name: "a closed day with hours replaces the weekly hours",
			hours:  func(t *testing.T) []WeeklyHours { return []WeeklyHours{weekly(t, workdays, "08:00", "10:00", Remote)} },
			except: &DateException{Closed: true, Hours: []Hours{{At(14, 0), At(15, 0), Remote}}},
			want:   []string{"14:00", "14:30"}},
		{name: "extra hours add to the week, and touching ones join its grid",
			hours:  func(t *testing.T) []WeeklyHours { return []WeeklyHours{weekly(t, workdays, "08:00", "09:00", Remote)} },
			except: &DateException{Hours: []Hours{{At(9, 0), At(10, 0), Remote}, {At(14, 15), At(15, 0), Remote}}},
			want:   []string{"08:00", "08:30", "09:00", "09:30", "14:15"}},
		{name: "a closed day without hours has no slots",
			hours:  func(t *testing.T) []WeeklyHours { return []WeeklyHours{weekly(t, workdays, "08:00", "10:00", Remote)} },
			except: &DateException{Closed: true},
			want:   nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := person(anna, tc.hours(t)...)
			for _, b := range tc.busy {
				s.Busy = append(s.Busy, Busy{Start: at(t, b[0]), End: at(t, b[1])})
			}
			if tc.except != nil {
				x := *tc.except
				x.Date = date(t, monday)
				s.Schedule.Exceptions = []DateException{x}
			}
			q := baseQuery(t, monday+" 00:00", monday+" 24:00", s)
			if tc.mode != "" {
				q.Mode = tc.mode
			}
			if tc.step != 0 {
				q.Rules.Step = tc.step
			}
			assertStrings(t, clocks(Compute(q)), tc.want)
		})
	}
}

func TestDaysListsExactlyTheDatesWithSlots(t *testing.T) {
	a := person(anna, weekly(t, workdays, "08:00", "12:00", Remote))
	a.Schedule.Absences = []Absence{{Sick, dt(t, "2026-06-03 00:00"), dt(t, "2026-06-04 00:00")}}
	// Friday is fully booked.
	a.Busy = []Busy{{Start: at(t, "2026-06-05 08:00"), End: at(t, "2026-06-05 12:00")}}
	b := person(bo, weekly(t, []time.Weekday{time.Monday}, "08:00", "09:00", Remote))
	q := baseQuery(t, monday+" 00:00", "2026-06-15 00:00", a, b)
	q.Closures = []Closure{ClosedDays(date(t, "2026-06-10"), date(t, "2026-06-10"), "staff day")}

	var want []Date
	for _, s := range Compute(q) {
		if d := DateOf(s.Start); len(want) == 0 || want[len(want)-1] != d {
			want = append(want, d)
		}
	}
	got := Days(q)
	if !slices.Equal(got, want) {
		t.Fatalf("Days = %v, dates of Compute = %v", got, want)
	}
	// Wednesday 3 (sick), Friday 5 (booked), Saturday 6 (national day, a
	// weekend anyway), weekends and Wednesday 10 (closure) are missing.
	wantStr := []string{"2026-06-01", "2026-06-02", "2026-06-04", "2026-06-08", "2026-06-09", "2026-06-11", "2026-06-12"}
	var gotStr []string
	for _, d := range got {
		gotStr = append(gotStr, d.String())
	}
	assertStrings(t, gotStr, wantStr)
}

func TestComputeRefusesQueriesItCannotAnswer(t *testing.T) {
	tests := []struct {
		name   string
		modify func(q *Query)
	}{
		{"no time zone", func(q *Query) { q.Location = nil }},
		{"to before from", func(q *Query) { q.To = q.From.Add(-time.Hour) }},
		{"a range longer than MaxRange", func(q *Query) { q.To = q.From.Add(MaxRange + time.Hour) }},
		{"a zero step", func(q *Query) { q.Rules.Step = 0 }},
		{"an unknown mode", func(q *Query) { q.Mode = "fax" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := baseQuery(t, monday+" 00:00", monday+" 24:00", person(anna, weekly(t, workdays, "08:00", "12:00", Remote)))
			if len(Compute(q)) == 0 {
				t.Fatal("the unmodified query must have slots")
			}
			tc.modify(&q)
			if got := Compute(q); got != nil {
				t.Errorf("Compute = %v, want nil", got)
			}
			if got := Days(q); got != nil {
				t.Errorf("Days = %v, want nil", got)
			}
		})
	}
}

func TestComputeSlotStaffIDsAreIndependent(t *testing.T) {
	q := baseQuery(t, monday+" 00:00", monday+" 24:00",
		person(anna, weekly(t, workdays, "08:00", "09:00", Remote)), person(bo, weekly(t, workdays, "08:00", "09:00", Remote)))
	got := Compute(q)
	if len(got) != 2 {
		t.Fatalf("got %d slots, want 2", len(got))
	}
	// A caller that appends to one slot's staff must not change the next.
	_ = append(got[0].StaffIDs, "x")
	if !slices.Equal(got[1].StaffIDs, []string{anna, bo}) {
		t.Fatalf("second slot's staff changed to %v", got[1].StaffIDs)
	}
}

func TestComputeLeavesItsInputAloneForConcurrentCallers(t *testing.T) {
	s := person(anna, weekly(t, workdays, "08:00", "12:00", Remote), weekly(t, workdays, "13:00", "16:00", officeA))
	// Unsorted, overlapping busy times and a second exception: the engine
	// sorts and merges, and must do it on copies.
	s.Busy = []Busy{
		{Start: at(t, "2026-06-02 10:00"), End: at(t, "2026-06-02 11:00")},
		{Start: at(t, "2026-06-01 09:00"), End: at(t, "2026-06-01 10:00"), BufferAfter: 15 * time.Minute},
		{Start: at(t, "2026-06-01 09:30"), End: at(t, "2026-06-01 09:45")},
	}
	s.Schedule.Exceptions = []DateException{{Date: date(t, "2026-06-03"), Closed: true}, {Date: date(t, "2026-06-02"), Closed: true}}
	q := baseQuery(t, monday+" 00:00", "2026-06-06 00:00", s, person(bo, weekly(t, workdays, "09:00", "11:00", officeB)))
	before := render(Compute(q))
	busy := slices.Clone(s.Busy)
	done := make(chan []string)
	for range 4 {
		go func() { done <- render(Compute(q)) }()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, before) {
			t.Errorf("a concurrent call got %v, want %v", got, before)
		}
	}
	if !slices.Equal(q.Staff[0].Busy, busy) || q.Staff[0].Schedule.Exceptions[0].Date != date(t, "2026-06-03") {
		t.Error("Compute changed its input")
	}
}
