package intakestore_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/services/intake"
)

// The store suite: every test on a fresh SQLite and a fresh PostgreSQL
// database, each subtest on agencies of its own.

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return loc
}()

func newCategory(t *testing.T, s *intakestore.Store, agency string) intake.Category {
	t.Helper()
	c := intake.Category{ID: core.NewID(), AgencyID: agency, NameSV: "Bygglov", NameEN: "Building permits",
		MeetingTypeIDs: []string{core.NewID(), core.NewID()}, FirstContactDays: 2, ResolutionDays: 28, CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveCategory(context.Background(), c); err != nil {
		t.Fatalf("save category: %v", err)
	}
	return c
}

// newCase is a submitted case of the category, created at created.
func newCase(cat intake.Category, created time.Time, subject string) intake.Case {
	return intake.Case{ID: core.NewID(), AgencyID: cat.AgencyID, CategoryID: cat.ID, Subject: subject, Description: "Beskrivning",
		CitizenID: core.NewID(), ContactPreference: "email", Language: "sv", Priority: intake.Normal, Status: intake.Submitted,
		FirstContactDue: created.AddDate(0, 0, cat.FirstContactDays), ResolutionDue: created.AddDate(0, 0, cat.ResolutionDays),
		CreatedBy: "citizen:x", Version: 1, CreatedAt: created, UpdatedAt: created}
}

func create(t testing.TB, s *intakestore.Store, c intake.Case, prefix string) intake.Case {
	t.Helper()
	first := intake.Entry{ID: core.NewID(), CaseID: c.ID, Kind: intake.EntryStatus, StatusTo: intake.Submitted, VisibleToCitizen: true,
		Actor: c.CreatedBy, CreatedAt: c.CreatedAt}
	got, err := s.CreateCase(context.Background(), c, intake.Series{Prefix: prefix, Year: c.CreatedAt.Year()}, first,
		intake.NewCaseEvent("case.submitted", c, &first, c.CreatedAt))
	if err != nil {
		t.Fatalf("create case: %v", err)
	}
	return got
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.GetContext(context.Background(), &n, d.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := intakestore.New(d)
		ctx := context.Background()

		t.Run("categories_round_trip_and_retired_ones_leave_the_list", func(t *testing.T) {
			agency := core.NewID()
			c := newCategory(t, s, agency)
			other := newCategory(t, s, agency)
			got, err := s.Category(ctx, c.ID)
			if err != nil || got.NameSV != c.NameSV || !slices.Equal(got.MeetingTypeIDs, c.MeetingTypeIDs) || !got.CreatedAt.Equal(t0) {
				t.Fatalf("category = %+v, %v", got, err)
			}
			retired := t0.Add(time.Hour)
			other.RetiredAt, other.NameEN = &retired, "Permits"
			if err := s.SaveCategory(ctx, other); err != nil {
				t.Fatal(err)
			}
			list, err := s.Categories(ctx, agency)
			if err != nil || len(list) != 1 || list[0].ID != c.ID {
				t.Fatalf("categories = %+v, %v", list, err)
			}
			if got, _ := s.Category(ctx, other.ID); got.RetiredAt == nil || !got.RetiredAt.Equal(retired) || got.NameEN != "Permits" {
				t.Fatalf("retired category = %+v", got)
			}
			if _, err := s.Category(ctx, core.NewID()); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("unknown category: %v", err)
			}
		})

		t.Run("fifty_concurrent_cases_get_fifty_consecutive_references", func(t *testing.T) {
			cat := newCategory(t, s, core.NewID())
			const n = 50
			refs := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					c := newCase(cat, t0, fmt.Sprintf("Ärende %d", i))
					first := intake.Entry{ID: core.NewID(), CaseID: c.ID, Kind: intake.EntryStatus, StatusTo: intake.Submitted, Actor: "x", CreatedAt: t0}
					got, err := s.CreateCase(ctx, c, intake.Series{Prefix: "RACE", Year: 2026}, first, intake.NewCaseEvent("case.submitted", c, &first, t0))
					refs[i], errs[i] = got.Reference, err
				})
			}
			close(start)
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatalf("create case: %v", err)
				}
			}
			var want []string
			for i := 1; i <= n; i++ {
				want = append(want, fmt.Sprintf("RACE-2026-%06d", i))
			}
			slices.Sort(refs)
			if !slices.Equal(refs, want) {
				t.Fatalf("references = %v", refs)
			}
			// The reference is in the event that announced the case.
			if got := count(t, d, `SELECT count(*) FROM intake_events WHERE agency_id = ? AND payload LIKE '%"reference":"RACE-2026-%'`, cat.AgencyID); got != n {
				t.Fatalf("%d events carry their reference, want %d", got, n)
			}
			// Another year starts again at 1.
			next := newCase(cat, t0.AddDate(1, 0, 0), "Nästa år")
			if got := create(t, s, next, "RACE"); got.Reference != "RACE-2027-000001" {
				t.Fatalf("first reference of 2027 = %s", got.Reference)
			}
		})

		t.Run("a_prefix_belongs_to_one_agency", func(t *testing.T) {
			a, b := core.NewID(), core.NewID()
			if err := s.SetReferencePrefix(ctx, a, "PRA"); err != nil {
				t.Fatal(err)
			}
			if err := s.SetReferencePrefix(ctx, a, "PRA"); err != nil {
				t.Fatalf("setting the same prefix again: %v", err)
			}
			if err := s.SetReferencePrefix(ctx, b, "PRA"); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("another agency's prefix: %v, want a conflict", err)
			}
			if got, err := s.ClaimReferencePrefix(ctx, b, "PRA"); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("claiming a taken prefix gave %q, %v", got, err)
			}
			if got, err := s.ClaimReferencePrefix(ctx, b, "PRB"); err != nil || got != "PRB" {
				t.Fatalf("claiming a free prefix gave %q, %v", got, err)
			}
			if got, err := s.ClaimReferencePrefix(ctx, b, "PRC"); err != nil || got != "PRB" {
				t.Fatalf("an agency with a prefix claiming another gave %q, %v; it keeps its own", got, err)
			}
			// A prefix given up stays out of reach while its cases exist.
			cat := newCategory(t, s, a)
			create(t, s, newCase(cat, t0, "Ärende"), "PRA")
			if err := s.SetReferencePrefix(ctx, a, "PRX"); err != nil {
				t.Fatal(err)
			}
			if err := s.SetReferencePrefix(ctx, b, "PRA"); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("a prefix another agency numbered cases with: %v, want a conflict", err)
			}
		})

		t.Run("a_stale_update_is_refused_and_writes_nothing", func(t *testing.T) {
			c := create(t, s, newCase(newCategory(t, s, core.NewID()), t0, "Ärende"), "STA")
			entries := func() int { return count(t, d, `SELECT count(*) FROM intake_case_events WHERE case_id = ?`, c.ID) }
			events := func() int { return count(t, d, `SELECT count(*) FROM intake_events WHERE aggregate_id = ?`, c.ID) }
			before, beforeEv := entries(), events()
			moved := c
			moved.Status, moved.Version = intake.Triaged, 2
			e := intake.Entry{ID: core.NewID(), CaseID: c.ID, Kind: intake.EntryStatus, StatusFrom: intake.Submitted, StatusTo: intake.Triaged, Actor: "x", CreatedAt: t0}
			ev := intake.NewCaseEvent("case.status_changed", moved, &e, t0)
			if err := s.UpdateCase(ctx, moved, 7, []intake.Entry{e}, &ev); !errors.Is(err, core.ErrPrecondition) {
				t.Fatalf("stale update: %v", err)
			}
			if entries() != before || events() != beforeEv {
				t.Fatal("a refused update wrote its entry or event")
			}
			if err := s.UpdateCase(ctx, moved, 1, []intake.Entry{e}, &ev); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Case(ctx, c.ID); got.Status != intake.Triaged || got.Version != 2 || entries() != before+1 || events() != beforeEv+1 {
				t.Fatalf("after the update: %s v%d", got.Status, got.Version)
			}
		})

		t.Run("an_event_is_applied_once_whatever_the_concurrency", func(t *testing.T) {
			c := create(t, s, newCase(newCategory(t, s, core.NewID()), t0, "Ärende"), "ONC")
			eventID := core.NewID()
			var applied atomic.Int32
			apply := func(tx intake.Repository) error {
				applied.Add(1)
				return tx.AddEntry(ctx, intake.Entry{ID: core.NewID(), CaseID: c.ID, Kind: intake.EntryAppointment, Actor: "system", CreatedAt: t0}, nil)
			}
			var wg sync.WaitGroup
			errs := make([]error, 10)
			for i := range errs {
				wg.Go(func() { errs[i] = s.ApplyOnce(ctx, eventID, apply) })
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatalf("apply once: %v", err)
				}
			}
			if err := s.ApplyOnce(ctx, eventID, apply); err != nil {
				t.Fatal(err)
			}
			if n := applied.Load(); n != 1 {
				t.Fatalf("applied %d times", n)
			}
			if got := count(t, d, `SELECT count(*) FROM intake_case_events WHERE case_id = ? AND kind = 'appointment'`, c.ID); got != 1 {
				t.Fatalf("%d appointment entries", got)
			}
		})

		t.Run("a_failed_apply_is_not_remembered", func(t *testing.T) {
			eventID := core.NewID()
			boom := errors.New("boom")
			if err := s.ApplyOnce(ctx, eventID, func(intake.Repository) error { return boom }); !errors.Is(err, boom) {
				t.Fatalf("failed apply: %v", err)
			}
			ran := false
			if err := s.ApplyOnce(ctx, eventID, func(intake.Repository) error { ran = true; return nil }); err != nil || !ran {
				t.Fatalf("the retry ran %v: %v", ran, err)
			}
		})

		t.Run("times_are_stored_in_utc", func(t *testing.T) {
			local := time.Date(2026, 7, 1, 10, 30, 0, 123456000, stockholm)
			c := newCase(newCategory(t, s, core.NewID()), local, "Ärende")
			contact := local.Add(time.Hour)
			c.FirstContactAt = &contact
			c = create(t, s, c, "UTC")
			got, err := s.Case(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(local) || !got.FirstContactAt.Equal(contact) ||
				!got.ResolutionDue.Equal(c.ResolutionDue) {
				t.Fatalf("read back %s, %s, %s", got.CreatedAt, got.FirstContactAt, got.ResolutionDue)
			}
		})

		t.Run("the_timeline_hides_internal_entries_from_citizens", func(t *testing.T) {
			c := create(t, s, newCase(newCategory(t, s, core.NewID()), t0, "Ärende"), "TML")
			note := intake.Entry{ID: core.NewID(), CaseID: c.ID, Kind: intake.EntryNote, Body: "internt", Actor: "staff:x", CreatedAt: t0.Add(time.Minute)}
			msg := intake.Entry{ID: core.NewID(), CaseID: c.ID, Kind: intake.EntryMessage, Body: "hej", VisibleToCitizen: true, Actor: "staff:x", CreatedAt: t0.Add(2 * time.Minute)}
			for _, e := range []intake.Entry{msg, note} {
				if err := s.AddEntry(ctx, e, nil); err != nil {
					t.Fatal(err)
				}
			}
			kinds := func(citizen bool) []string {
				l, err := s.Timeline(ctx, c.ID, citizen)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, e := range l {
					out = append(out, e.Kind)
				}
				return out
			}
			if got := kinds(false); !slices.Equal(got, []string{"status", "note", "message"}) {
				t.Fatalf("staff timeline = %v", got)
			}
			if got := kinds(true); !slices.Equal(got, []string{"status", "message"}) {
				t.Fatalf("citizen timeline = %v", got)
			}
		})

		t.Run("events_and_cursors", func(t *testing.T) {
			all, err := s.Events(ctx, 0, 100000)
			if err != nil || len(all) < 2 {
				t.Fatalf("events: %d, %v", len(all), err)
			}
			if !slices.IsSortedFunc(all, func(a, b intake.Event) int { return cmp.Compare(a.Seq, b.Seq) }) {
				t.Fatal("events out of order")
			}
			after, err := s.Events(ctx, all[0].Seq, 1)
			if err != nil || len(after) != 1 || after[0].Seq != all[1].Seq {
				t.Fatalf("events after %d = %+v, %v", all[0].Seq, after, err)
			}
			if n, err := s.Cursor(ctx, "test"); n != 0 || err != nil {
				t.Fatalf("unknown cursor = %d, %v", n, err)
			}
			for _, n := range []int64{42, 7} {
				if err := s.SetCursor(ctx, "test", n); err != nil {
					t.Fatal(err)
				}
				if got, err := s.Cursor(ctx, "test"); got != n || err != nil {
					t.Fatalf("cursor = %d, %v, want %d", got, err, n)
				}
			}
		})

		t.Run("the_queue", func(t *testing.T) { queue(t, s) })
	})
}

// queue checks the staff queue: order, pages and every filter.
func queue(t *testing.T, s *intakestore.Store) {
	ctx := context.Background()
	agency := core.NewID()
	cat, other := newCategory(t, s, agency), newCategory(t, s, agency)
	staff := core.NewID()
	subjects := []string{"Bygglov för altan", "ÖVERKLAGANDE av beslut", "100% klart?", "Fråga_om_avgift", "Altan igen", "Ärende om buller"}
	var all []intake.Case
	for i := range 18 {
		category := cat
		if i%3 == 0 {
			category = other
		}
		// Three cases per creation time: ties on the deadline.
		c := newCase(category, t0.Add(time.Duration(i/3)*time.Hour), subjects[i%len(subjects)])
		switch i % 6 {
		case 1:
			c.Status, c.AssigneeID = intake.Assigned, staff
		case 2:
			c.Status = intake.Closed
		case 4:
			contact := t0
			c.FirstContactAt = &contact
		}
		all = append(all, create(t, s, c, "QUE"))
	}
	// Another agency's case never shows.
	create(t, s, newCase(newCategory(t, s, core.NewID()), t0, "Bygglov för altan"), "QUX")

	order := func(cs []intake.Case) []string {
		cs = slices.Clone(cs)
		slices.SortFunc(cs, func(a, b intake.Case) int {
			return cmp.Or(a.ResolutionDue.Compare(b.ResolutionDue), strings.Compare(a.ID, b.ID))
		})
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	where := func(keep func(intake.Case) bool) []intake.Case {
		var out []intake.Case
		for _, c := range all {
			if keep(c) {
				out = append(out, c)
			}
		}
		return out
	}
	now := t0.Add(3 * 24 * time.Hour) // past every first-contact deadline, before every resolution deadline
	tests := []struct {
		name string
		f    intake.CaseFilter
		want []intake.Case
	}{
		{"all_of_the_agency", intake.CaseFilter{}, all},
		{"status", intake.CaseFilter{Status: intake.Closed}, where(func(c intake.Case) bool { return c.Status == intake.Closed })},
		{"assignee", intake.CaseFilter{Assignee: staff}, where(func(c intake.Case) bool { return c.AssigneeID == staff })},
		{"unassigned", intake.CaseFilter{Assignee: "none"}, where(func(c intake.Case) bool { return c.AssigneeID == "" })},
		{"category", intake.CaseFilter{CategoryID: other.ID}, where(func(c intake.Case) bool { return c.CategoryID == other.ID })},
		{"overdue_is_open_and_uncontacted", intake.CaseFilter{Overdue: true}, where(func(c intake.Case) bool {
			return c.Status.Open() && c.FirstContactAt == nil
		})},
		{"reference", intake.CaseFilter{Query: all[7].Reference}, all[7:8]},
		{"reference_any_case", intake.CaseFilter{Query: strings.ToLower(all[7].Reference)}, all[7:8]},
		{"subject_any_case", intake.CaseFilter{Query: "aLTAN"}, where(func(c intake.Case) bool { return strings.Contains(strings.ToLower(c.Subject), "altan") })},
		{"subject_swedish_letters", intake.CaseFilter{Query: "överklagande"}, where(func(c intake.Case) bool { return strings.HasPrefix(c.Subject, "ÖVER") })},
		{"subject_swedish_capitals", intake.CaseFilter{Query: "ÄRENDE"}, where(func(c intake.Case) bool { return strings.HasPrefix(c.Subject, "Ärende") })},
		{"percent_is_literal", intake.CaseFilter{Query: "%"}, where(func(c intake.Case) bool { return strings.Contains(c.Subject, "%") })},
		{"underscore_is_literal", intake.CaseFilter{Query: "_om_"}, where(func(c intake.Case) bool { return strings.Contains(c.Subject, "_om_") })},
		{"citizen", intake.CaseFilter{CitizenID: all[4].CitizenID}, all[4:5]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if f.CitizenID == "" {
				f.AgencyID = agency
			}
			want := order(tt.want)
			if len(want) == 0 {
				t.Fatal("the test expects nothing: it could not fail")
			}
			for _, limit := range []int{1, 4, 100} {
				var got []string
				var after intake.CaseCursor
				for pages := 0; ; pages++ {
					if pages > 40 {
						t.Fatal("the cursor does not advance")
					}
					list, err := s.ListCases(ctx, f, after, limit, now)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range list {
						got = append(got, c.ID)
					}
					if len(list) < limit {
						break
					}
					last := list[len(list)-1]
					after = intake.CaseCursor{Due: last.ResolutionDue, ID: last.ID}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("pages of %d = %v\nwant %v", limit, got, want)
				}
			}
		})
	}
}
