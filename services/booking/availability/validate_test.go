package availability

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

// fields returns the field names of a validation error, nil for nil.
func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	if !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("error %v is not core.ErrInvalid", err)
	}
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *core.ValidationError", err)
	}
	var out []string
	for _, f := range ve.Fields {
		if !slices.Contains(out, f.Field) {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestWeeklyHoursValidate(t *testing.T) {
	mon := func(start, end Clock) WeeklyInterval { return WeeklyInterval{time.Monday, start, end, Remote} }
	tests := []struct {
		name string
		wh   WeeklyHours
		want []string
	}{
		{name: "several intervals a day at offices and remote are valid",
			wh: WeeklyHours{mon(At(8, 0), At(12, 0)), {time.Monday, At(13, 0), At(16, 30), officeA}, {time.Tuesday, At(8, 0), EndOfDay, officeB}}},
		{name: "touching intervals are valid",
			wh: WeeklyHours{mon(At(8, 0), At(12, 0)), mon(At(12, 0), At(13, 0))}},
		{name: "end before start is refused",
			wh:   WeeklyHours{mon(At(12, 0), At(8, 0))},
			want: []string{"weekly_hours[0].end"}},
		{name: "an interval past midnight is refused",
			wh:   WeeklyHours{mon(At(22, 0), At(25, 0))},
			want: []string{"weekly_hours[0].end"}},
		{name: "a start at 24:00 is refused",
			wh:   WeeklyHours{mon(EndOfDay, EndOfDay)},
			want: []string{"weekly_hours[0].start", "weekly_hours[0].end"}},
		{name: "an unknown weekday is refused",
			wh:   WeeklyHours{{time.Weekday(7), At(8, 0), At(9, 0), Remote}},
			want: []string{"weekly_hours[0].weekday"}},
		{name: "an office that is neither an id nor remote is refused",
			wh:   WeeklyHours{{time.Monday, At(8, 0), At(9, 0), "home"}},
			want: []string{"weekly_hours[0].office_id"}},
		{name: "overlapping intervals on one weekday are refused, naming the later one",
			wh:   WeeklyHours{mon(At(13, 0), At(16, 0)), mon(At(8, 0), At(12, 0)), mon(At(11, 0), At(12, 30))},
			want: []string{"weekly_hours[2]"}},
		{name: "an overlap hidden behind a short interval is found",
			wh:   WeeklyHours{mon(At(8, 0), At(17, 0)), mon(At(9, 0), At(10, 0)), mon(At(12, 0), At(13, 0))},
			want: []string{"weekly_hours[1]", "weekly_hours[2]"}},
		{name: "the same hours on different weekdays do not overlap",
			wh: WeeklyHours{mon(At(8, 0), At(12, 0)), {time.Tuesday, At(8, 0), At(12, 0), Remote}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertStrings(t, fields(t, tc.wh.Validate()), tc.want)
		})
	}
}

func TestScheduleValidate(t *testing.T) {
	week := WeeklyHours{{time.Monday, At(8, 0), At(12, 0), Remote}}
	tests := []struct {
		name string
		s    Schedule
		want []string
	}{
		{name: "a closed day, extra hours beside the week and an absence are valid",
			s: Schedule{Weekly: week,
				Exceptions: []DateException{{Date: Date{2026, 6, 1}, Hours: []Hours{{At(13, 0), At(15, 0), Remote}}}, {Date: Date{2026, 6, 8}, Closed: true}},
				Absences:   []Absence{{Vacation, DateTime{Date{2026, 7, 1}, 0}, DateTime{Date{2026, 7, 31}, EndOfDay}}}}},
		{name: "an exception on a date that does not exist is refused",
			s:    Schedule{Exceptions: []DateException{{Date: Date{2026, 2, 30}, Closed: true}}},
			want: []string{"exceptions[0].date"}},
		{name: "an exception that neither closes nor adds is refused",
			s:    Schedule{Exceptions: []DateException{{Date: Date{2026, 6, 1}}}},
			want: []string{"exceptions[0].hours"}},
		{name: "overlapping hours in one exception are refused",
			s:    Schedule{Exceptions: []DateException{{Date: Date{2026, 6, 2}, Hours: []Hours{{At(8, 0), At(10, 0), Remote}, {At(9, 0), At(11, 0), Remote}}}}},
			want: []string{"exceptions[0].hours[1]"}},
		{name: "two exceptions on one date are refused",
			s:    Schedule{Exceptions: []DateException{{Date: Date{2026, 6, 2}, Closed: true}, {Date: Date{2026, 6, 2}, Closed: true}}},
			want: []string{"exceptions[1].date"}},
		{name: "extra hours overlapping the week are refused unless the day is closed",
			s: Schedule{Weekly: week, Exceptions: []DateException{
				{Date: Date{2026, 6, 1}, Hours: []Hours{{At(11, 0), At(13, 0), Remote}}},
				{Date: Date{2026, 6, 8}, Closed: true, Hours: []Hours{{At(11, 0), At(13, 0), Remote}}},
			}},
			want: []string{"exceptions[0].hours[0]"}},
		{name: "an absence that ends before it starts is refused",
			s:    Schedule{Absences: []Absence{{Sick, DateTime{Date{2026, 6, 2}, At(12, 0)}, DateTime{Date{2026, 6, 2}, At(8, 0)}}}},
			want: []string{"absences[0].end"}},
		{name: "an absence of an unknown kind is refused",
			s:    Schedule{Absences: []Absence{{"party", DateTime{Date{2026, 6, 2}, 0}, DateTime{Date{2026, 6, 3}, 0}}}},
			want: []string{"absences[0].kind"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assertStrings(t, fields(t, tc.s.Validate()), tc.want)
		})
	}
}

func TestStaffValidate(t *testing.T) {
	ok := person(anna, WeeklyHours{{time.Monday, At(8, 0), At(12, 0), officeA}})
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid staff: %v", err)
	}
	bad := person("anna", WeeklyHours{{time.Monday, At(8, 0), At(12, 0), officeB}})
	bad.OfficeIDs = []string{officeA}
	bad.Modes = []Mode{"fax"}
	bad.Busy = []Busy{{Start: time.Unix(100, 0), End: time.Unix(50, 0), BufferAfter: -time.Minute}}
	want := []string{"id", "modes[0]", "weekly_hours[0].office_id", "busy[0].end", "busy[0].buffer_after"}
	assertStrings(t, fields(t, bad.Validate()), want)
}

func TestMeetingRulesValidate(t *testing.T) {
	good := MeetingRules{MeetingTypeID: typeID, Duration: 45 * time.Minute, BufferAfter: 15 * time.Minute,
		Step: 15 * time.Minute, MinNotice: 2 * time.Hour, Horizon: 60 * 24 * time.Hour, Modes: allModes}
	tests := []struct {
		name   string
		modify func(r *MeetingRules)
		want   []string
	}{
		{name: "a typical meeting type is valid", modify: func(*MeetingRules) {}},
		{name: "a duration in seconds is refused", modify: func(r *MeetingRules) { r.Duration = 90 * time.Second }, want: []string{"duration_minutes"}},
		{name: "a zero step is refused", modify: func(r *MeetingRules) { r.Step = 0 }, want: []string{"slot_step_minutes"}},
		{name: "a negative buffer is refused", modify: func(r *MeetingRules) { r.BufferBefore = -time.Minute }, want: []string{"buffer_before_minutes"}},
		{name: "a horizon within the notice is refused", modify: func(r *MeetingRules) { r.Horizon = time.Hour }, want: []string{"booking_horizon_minutes"}},
		{name: "no modes is refused", modify: func(r *MeetingRules) { r.Modes = nil }, want: []string{"modes"}},
		{name: "a mode twice is refused", modify: func(r *MeetingRules) { r.Modes = []Mode{Phone, Phone} }, want: []string{"modes[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := good
			r.Modes = slices.Clone(good.Modes)
			tc.modify(&r)
			assertStrings(t, fields(t, r.Validate()), tc.want)
		})
	}
}

func TestQueryValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(q *Query)
		want   []string
	}{
		{name: "a month in Stockholm is valid", modify: func(*Query) {}},
		{name: "from after to names to", modify: func(q *Query) { q.From, q.To = q.To, q.From }, want: []string{"to"}},
		{name: "a range over 92 days names to", modify: func(q *Query) { q.To = q.From.AddDate(0, 0, 93) }, want: []string{"to"}},
		{name: "a mode the meeting type does not allow names mode", modify: func(q *Query) { q.Rules.Modes = []Mode{Phone}; q.Mode = Video }, want: []string{"mode"}},
		{name: "an unknown mode names mode", modify: func(q *Query) { q.Mode = "fax" }, want: []string{"mode"}},
		{name: "a fixed zone is refused", modify: func(q *Query) { q.Location = time.FixedZone("UTC+1", 3600) }, want: []string{"time_zone"}},
		{name: "a fixed zone named like a real one is refused", modify: func(q *Query) { q.Location = time.FixedZone("CET", 3600) }, want: []string{"time_zone"}},
		{name: "the machine's Local zone is refused", modify: func(q *Query) { q.Location = time.Local }, want: []string{"time_zone"}},
		{name: "a malformed office id names office_id", modify: func(q *Query) { q.OfficeID = "A" }, want: []string{"office_id"}},
		{name: "a closure that ends before it starts names it",
			modify: func(q *Query) {
				q.Closures = []Closure{{Start: DateTime{Date{2026, 6, 2}, 0}, End: DateTime{Date{2026, 6, 1}, 0}}}
			},
			want: []string{"closures[0].end"}},
		{name: "an unknown holiday names it", modify: func(q *Query) { q.Holidays.Open = []Holiday{Julafton, "valborg"} }, want: []string{"open_holidays[1]"}},
		{name: "invalid meeting rules are named under meeting_type", modify: func(q *Query) { q.Rules.Duration = 0 }, want: []string{"meeting_type.duration_minutes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := baseQuery(t, "2026-06-01 00:00", "2026-07-01 00:00")
			tc.modify(&q)
			assertStrings(t, fields(t, q.Validate()), tc.want)
		})
	}
}
