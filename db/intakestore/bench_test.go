package intakestore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/services/intake"
)

// The queue benchmark: one agency with 100 000 cases (and a neighbour with
// 10 000), asked for a page of its queue with the default filters, a status,
// an assignee, overdue and q=, through the store and through the service, on
// PostgreSQL; and through the store on SQLite. docs/performance.md has the
// figures:
//
//	TIDBOK_TEST_POSTGRES_URL=... go test -run '^$' -bench BenchmarkQueue -benchtime 200x ./db/intakestore
//	go test -run '^$' -bench BenchmarkSQLiteQueue -benchtime 200x ./db/intakestore

const (
	benchCases      = 100_000
	benchNeighbours = 10_000
	benchPage       = 50
)

// benchQueueNow is when the queue is read: the last cases came in just before.
var benchQueueNow = time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)

type benchClock time.Time

func (c benchClock) Now() time.Time { return time.Time(c) }

// benchRareWord is in one subject in 5 000.
const benchRareWord = "bergvärme"

// queueWorld is what the benchmark loaded: ids to filter by.
type queueWorld struct {
	agency, neighbour string
	categories        []string
	staff             []string
	references        []string // a sample of the agency's references
	prefixes          []string // reference prefixes that ten cases each start with
}

var benchWords = []string{"bygglov", "altan", "försörjningsstöd", "hemtjänst", "färdtjänst", "parkeringstillstånd", "överklagande",
	"skolskjuts", "förskola", "bostadsanpassning", "skuldrådgivning", "avfall", "buller", "nybyggnad", "strandskydd", "ledsagning"}

// benchColumns are the columns the benchmark inserts.
const benchColumns = `id, agency_id, reference, category_id, subject, description, citizen_id, preferred_modes,
	preferred_times, contact_preference, language, interpreter_language, priority, assignee_id, status, resume_status,
	first_contact_at, resolved_at, closed_at, first_contact_due, resolution_due, is_complaint, subject_folded, created_by,
	version, created_at, updated_at`

// seedQueue inserts the cases with multi-row INSERTs in batches, as fast as
// the database takes them.
func seedQueue(tb testing.TB, d *db.DB) queueWorld {
	tb.Helper()
	ctx := context.Background()
	begin := time.Now()
	w := queueWorld{agency: core.NewID(), neighbour: core.NewID()}
	store := intakestore.New(d)
	for i := range 6 {
		agency := w.agency
		if i == 5 {
			agency = w.neighbour
		}
		c := intake.Category{ID: core.NewID(), AgencyID: agency, NameSV: fmt.Sprintf("Kategori %d", i), NameEN: fmt.Sprintf("Category %d", i),
			FirstContactDays: 2 + i, ResolutionDays: 14 + 7*i, CreatedAt: benchQueueNow, UpdatedAt: benchQueueNow}
		if err := store.SaveCategory(ctx, c); err != nil {
			tb.Fatal(err)
		}
		if agency == w.agency {
			w.categories = append(w.categories, c.ID)
		}
	}
	for range 20 {
		w.staff = append(w.staff, core.NewID())
	}
	rng := rand.New(rand.NewPCG(6, 6))
	const batch = 1000
	cols := strings.Fields(strings.NewReplacer(",", " ").Replace(benchColumns))
	var args []any
	var rows []string
	flush := func() {
		if len(rows) == 0 {
			return
		}
		q := d.Rebind(`INSERT INTO intake_cases (` + benchColumns + `) VALUES ` + strings.Join(rows, ","))
		if _, err := d.ExecContext(ctx, q, args...); err != nil {
			tb.Fatalf("insert cases: %v", err)
		}
		rows, args = rows[:0], args[:0]
	}
	placeholder := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	seq := map[string]int{}
	for i := range benchCases + benchNeighbours {
		agency, prefix, cat := w.agency, "EXB", w.categories[rng.IntN(len(w.categories))]
		if i >= benchCases {
			agency, prefix = w.neighbour, "VCE"
		}
		// Two years of cases, the oldest mostly closed, the newest open.
		age := time.Duration(rng.Float64() * float64(730*24*time.Hour))
		created := benchQueueNow.Add(-age).Truncate(time.Microsecond)
		status := intake.Closed
		switch r := rng.Float64(); {
		case age < 60*24*time.Hour && r < 0.8, r < 0.05:
			status = []intake.Status{intake.Submitted, intake.Triaged, intake.Assigned, intake.Scheduled, intake.InProgress, intake.WaitingForCitizen}[rng.IntN(6)]
		case r < 0.15:
			status = intake.Resolved
		case r < 0.2:
			status = intake.Withdrawn
		}
		var assignee any
		if status != intake.Submitted && status != intake.Triaged && rng.Float64() < 0.9 {
			assignee = w.staff[rng.IntN(len(w.staff))]
		}
		var firstContact, resolved, closed any
		if status != intake.Submitted && rng.Float64() < 0.9 {
			firstContact = created.Add(time.Duration(rng.IntN(96)) * time.Hour)
		}
		if status == intake.Resolved || status == intake.Closed {
			resolved = created.Add(time.Duration(rng.IntN(40*24)) * time.Hour)
		}
		if status == intake.Closed {
			closed = resolved
		}
		year := created.Year()
		seq[prefix+fmt.Sprint(year)]++
		ref := fmt.Sprintf("%s-%d-%06d", prefix, year, seq[prefix+fmt.Sprint(year)])
		if agency == w.agency && i%500 == 0 {
			w.references = append(w.references, ref)
		}
		if agency == w.agency && i%5000 == 10 {
			w.prefixes = append(w.prefixes, ref[:len(ref)-1])
		}
		subject := fmt.Sprintf("Ärende om %s och %s", benchWords[rng.IntN(len(benchWords))], benchWords[rng.IntN(len(benchWords))])
		// One case in 5 000 of each agency mentions a rare word: a search that finds a few.
		if i%5000 == 7 {
			subject = "Ärende om " + benchRareWord
		}
		values := []any{core.NewID(), agency, ref, cat, subject, "Beskrivning.", core.NewID(), "", "", "email", "sv", "",
			[]string{"low", "normal", "normal", "high", "urgent"}[rng.IntN(5)], assignee, string(status), "",
			firstContact, resolved, closed, created.AddDate(0, 0, 2+rng.IntN(4)), created.AddDate(0, 0, 14+7*rng.IntN(5)),
			false, strings.ToLower(subject), "citizen:x", 1, created, created}
		rows = append(rows, placeholder)
		args = append(args, values...)
		if len(rows) == batch {
			flush()
		}
	}
	flush()
	if _, err := d.ExecContext(ctx, "ANALYZE"); d.Dialect == db.Postgres && err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s: inserted %d cases in %s", d.Dialect, benchCases+benchNeighbours, time.Since(begin).Round(time.Millisecond))
	return w
}

// queueScenario is one kind of page a caseworker asks for.
type queueScenario struct {
	name   string
	filter func(w queueWorld, i int) intake.CaseFilter
}

var queueScenarios = []queueScenario{
	{"default", func(w queueWorld, _ int) intake.CaseFilter { return intake.CaseFilter{} }},
	{"status=submitted", func(w queueWorld, _ int) intake.CaseFilter { return intake.CaseFilter{Status: intake.Submitted} }},
	{"status=closed", func(w queueWorld, _ int) intake.CaseFilter { return intake.CaseFilter{Status: intake.Closed} }},
	{"assignee", func(w queueWorld, i int) intake.CaseFilter {
		return intake.CaseFilter{Assignee: w.staff[i%len(w.staff)]}
	}},
	{"assignee=none", func(w queueWorld, _ int) intake.CaseFilter { return intake.CaseFilter{Assignee: "none"} }},
	{"category", func(w queueWorld, i int) intake.CaseFilter {
		return intake.CaseFilter{CategoryID: w.categories[i%len(w.categories)]}
	}},
	{"overdue", func(w queueWorld, _ int) intake.CaseFilter { return intake.CaseFilter{Overdue: true} }},
	{"q=word", func(w queueWorld, i int) intake.CaseFilter {
		return intake.CaseFilter{Query: benchWords[i%len(benchWords)]}
	}},
	// A word no subject holds: without a word index it reads every case of
	// the agency.
	{"q=absent", func(w queueWorld, _ int) intake.CaseFilter { return intake.CaseFilter{Query: "solpaneler"} }},
	// A word about 20 subjects of the agency hold (and 2 of the neighbour's).
	{"q=rare", func(w queueWorld, _ int) intake.CaseFilter { return intake.CaseFilter{Query: benchRareWord} }},
	{"q=reference", func(w queueWorld, i int) intake.CaseFilter {
		return intake.CaseFilter{Query: w.references[i%len(w.references)]}
	}},
	// The start of a reference, as EXB-2025-00012: ten cases.
	{"q=reference-prefix", func(w queueWorld, i int) intake.CaseFilter {
		return intake.CaseFilter{Query: w.prefixes[i%len(w.prefixes)]}
	}},
}

// latencies collects one duration per request and reports p50 and p99.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	at := func(p float64) float64 { return float64(s[min(len(s)-1, int(p*float64(len(s))))]) / 1e6 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkQueue reads pages of the queue: each request follows the cursor
// of the one before, back to the first page after ten, so deep pages count.
func BenchmarkQueue(b *testing.B) {
	d := dbtest.Postgres(b)
	w := seedQueue(b, d)
	store := intakestore.New(d)
	now := benchQueueNow
	benchStoreQueue(b, store, w)
	svc := intake.NewService(store, benchAgencies{}, nil, benchClock(now))
	caseworker := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: w.staff[0], Role: core.RoleCaseworker, AgencyID: w.agency})
	for _, sc := range queueScenarios {
		b.Run("service/"+sc.name, func(b *testing.B) {
			var lat latencies
			cursor := ""
			i := 0
			for b.Loop() {
				f := sc.filter(w, i)
				if i%10 == 0 {
					cursor = ""
				}
				f.Cursor = cursor
				begin := time.Now()
				page, err := svc.ListCases(caseworker, f)
				lat = append(lat, time.Since(begin))
				if err != nil {
					b.Fatal(err)
				}
				cursor = page.NextCursor
				i++
			}
			lat.report(b)
		})
	}
}

// BenchmarkSQLiteQueue reads the same pages through the store on SQLite:
//
//	go test -run '^$' -bench BenchmarkSQLiteQueue -benchtime 200x ./db/intakestore
func BenchmarkSQLiteQueue(b *testing.B) {
	d := dbtest.SQLite(b)
	w := seedQueue(b, d)
	benchStoreQueue(b, intakestore.New(d), w)
}

// benchStoreQueue reads every scenario's pages through the store.
func benchStoreQueue(b *testing.B, store *intakestore.Store, w queueWorld) {
	now := benchQueueNow
	for _, sc := range queueScenarios {
		b.Run("store/"+sc.name, func(b *testing.B) {
			ctx := context.Background()
			var lat latencies
			var after intake.CaseCursor
			i := 0
			for b.Loop() {
				f := sc.filter(w, i)
				f.AgencyID = w.agency
				if i%10 == 0 {
					after = intake.CaseCursor{}
				}
				begin := time.Now()
				list, err := store.ListCases(ctx, f, after, benchPage+1, now)
				lat = append(lat, time.Since(begin))
				if err != nil {
					b.Fatal(err)
				}
				if len(list) > benchPage {
					last := list[benchPage-1]
					after = intake.CaseCursor{Due: last.ResolutionDue, ID: last.ID}
				} else {
					after = intake.CaseCursor{}
				}
				i++
			}
			lat.report(b)
		})
	}
}

// benchAgencies is a directory the queue never asks.
type benchAgencies struct{}

func (benchAgencies) Agency(context.Context, string) (intake.AgencyInfo, error) {
	return intake.AgencyInfo{}, core.ErrNotFound
}

func (benchAgencies) MeetingTypeIDs(context.Context, string) ([]string, error) { return nil, nil }
