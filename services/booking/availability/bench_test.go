package availability

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchOffices are the agency's four offices.
var benchOffices = []string{
	"0f000000-0000-4000-8000-000000000001", "0f000000-0000-4000-8000-000000000002",
	"0f000000-0000-4000-8000-000000000003", "0f000000-0000-4000-8000-000000000004",
}

// benchAgency builds an agency of n staff with weekly schedules (office
// mornings, afternoons at the office or remote, some part-timers, a few on
// vacation) and about 60 % of the 8 weeks after now booked with 45-minute
// meetings carrying 5 and 10 minute buffers, busy times sorted by start as a
// store returns them. It asks for 30-minute phone meetings over weeks weeks.
func benchAgency(tb testing.TB, n, weeks int) (Query, float64) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	now := time.Date(2026, 9, 7, 7, 0, 0, 0, stockholm) // a Monday
	first := DateOf(now)
	var worked, booked time.Duration
	staff := make([]Staff, n)
	for i := range staff {
		office := benchOffices[i%len(benchOffices)]
		afternoon := Remote
		if i%2 == 1 {
			afternoon = office
		}
		days := workdays
		if i%7 == 0 { // part-timer: no Wednesdays
			days = []time.Weekday{time.Monday, time.Tuesday, time.Thursday, time.Friday}
		}
		s := Staff{
			ID:             fmt.Sprintf("5f000000-0000-4000-8000-%012d", i),
			MeetingTypeIDs: []string{typeID},
			Modes:          allModes,
			OfficeIDs:      []string{office},
			Schedule: Schedule{Weekly: append(weekly(tb, days, "08:00", "12:00", office),
				weekly(tb, days, "13:00", "16:30", afternoon)...)},
		}
		if i%10 == 3 {
			v := first.AddDays(7 * (1 + i%4))
			s.Schedule.Absences = []Absence{{Vacation, DateTime{v, 0}, DateTime{v.AddDays(4), EndOfDay}}}
		}
		for d := range 8 * 7 {
			date := first.AddDays(d)
			for _, w := range s.Schedule.Weekly {
				if w.Weekday != date.Weekday() {
					continue
				}
				start := date.Start(stockholm).Add(time.Duration(w.Start) * time.Minute)
				end := date.Start(stockholm).Add(time.Duration(w.End) * time.Minute)
				worked += end.Sub(start)
				for b := start; !b.Add(time.Hour).After(end); b = b.Add(time.Hour) {
					if rng.Float64() < 0.64 {
						s.Busy = append(s.Busy, Busy{Start: b.Add(5 * time.Minute).UTC(), End: b.Add(50 * time.Minute).UTC(),
							BufferBefore: 5 * time.Minute, BufferAfter: 10 * time.Minute})
						booked += time.Hour
					}
				}
			}
		}
		staff[i] = s
	}
	q := Query{
		Location: stockholm,
		Now:      now,
		From:     now,
		To:       now.AddDate(0, 0, 7*weeks),
		Rules: MeetingRules{
			MeetingTypeID: typeID, Duration: 30 * time.Minute, BufferBefore: 5 * time.Minute, BufferAfter: 10 * time.Minute,
			Step: 15 * time.Minute, MinNotice: 2 * time.Hour, Horizon: 8 * 7 * 24 * time.Hour, Modes: allModes,
		},
		Mode:  Phone,
		Staff: staff,
	}
	return q, float64(booked) / float64(worked)
}

func benchCompute(b *testing.B, q Query, booked float64) {
	b.Helper()
	if err := q.Validate(); err != nil {
		b.Fatal(err)
	}
	var slots, pairs int
	for _, s := range Compute(q) {
		slots++
		pairs += len(s.StaffIDs)
	}
	if slots == 0 {
		b.Fatal("the benchmark agency has no slots")
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		Compute(q)
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(slots), "slots")
	b.ReportMetric(float64(pairs), "staff-slots")
	b.ReportMetric(booked*100, "%booked")
}

// BenchmarkCompute200Staff4Weeks is the reference figure: 200 staff,
// ~60 % of an 8-week horizon booked, one meeting type over 4 weeks.
func BenchmarkCompute200Staff4Weeks(b *testing.B) {
	q, booked := benchAgency(b, 200, 4)
	b.Run("phone", func(b *testing.B) { benchCompute(b, q, booked) })
	b.Run("in_person", func(b *testing.B) {
		q := q
		q.Mode = InPerson
		benchCompute(b, q, booked)
	})
	b.Run("in_person_one_office", func(b *testing.B) {
		q := q
		q.Mode, q.OfficeID = InPerson, benchOffices[0]
		benchCompute(b, q, booked)
	})
}

func BenchmarkDays200Staff4Weeks(b *testing.B) {
	q, _ := benchAgency(b, 200, 4)
	if len(Days(q)) == 0 {
		b.Fatal("no days")
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		Days(q)
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkComputeScaling shows how the cost grows with staff and weeks.
func BenchmarkComputeScaling(b *testing.B) {
	for _, n := range []int{50, 100, 200} {
		for _, w := range []int{1, 2, 4} {
			q, booked := benchAgency(b, n, w)
			b.Run(fmt.Sprintf("staff=%d/weeks=%d", n, w), func(b *testing.B) { benchCompute(b, q, booked) })
		}
	}
}
