package intakestore_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/services/intake"
)

// searchIDs reads every page of the agency's queue for q, pageSize at a time.
func searchIDs(t *testing.T, s *intakestore.Store, agency, q string, pageSize int) []string {
	t.Helper()
	var got []string
	var after intake.CaseCursor
	for pages := 0; ; pages++ {
		if pages > 40 {
			t.Fatal("the cursor does not advance")
		}
		list, err := s.ListCases(context.Background(), intake.CaseFilter{AgencyID: agency, Query: q}, after, pageSize, t0)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		for _, c := range list {
			if c.AgencyID != agency {
				t.Fatalf("search %q found case %s of agency %s", q, c.Reference, c.AgencyID)
			}
			got = append(got, c.ID)
		}
		if len(list) < pageSize {
			return got
		}
		last := list[len(list)-1]
		after = intake.CaseCursor{Due: last.ResolutionDue, ID: last.ID}
	}
}

func TestSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := intakestore.New(d)
		ctx := context.Background()
		agency, neighbour := core.NewID(), core.NewID()
		cat, theirs := newCategory(t, s, agency), newCategory(t, s, neighbour)
		subjects := []string{"Bygglov för altan", "Skärgårdsbåt och brygga", "BULLER från fläkt", "Åkermark och dike",
			"Fråga om bygglovet", "Överklagande av beslut", "Skolskjuts", "Färdtjänst 2026", "Buller på natten",
			"Bygglov för carport", "Avfall", "Strandskydd vid brygga", `Brev med "citat" AND (parentes)* NEAR: {x}`}
		var cases []intake.Case
		for i, subject := range subjects {
			cases = append(cases, create(t, s, newCase(cat, t0.Add(time.Duration(i%4)*time.Hour), subject), "SOK"))
		}
		// The neighbour has the same words and references that differ only
		// in the prefix: a search never finds them.
		for i, subject := range subjects {
			create(t, s, newCase(theirs, t0.Add(time.Duration(i)*time.Hour), subject), "SOL")
		}
		ids := func(keep func(c intake.Case) bool) []string {
			var out []string
			for _, c := range cases {
				if keep(c) {
					out = append(out, c.ID)
				}
			}
			slices.Sort(out)
			return out
		}
		subject := func(piece string) func(c intake.Case) bool {
			return func(c intake.Case) bool { return strings.Contains(strings.ToLower(c.Subject), piece) }
		}
		reference := func(piece string) func(c intake.Case) bool {
			return func(c intake.Case) bool { return strings.Contains(c.Reference, piece) }
		}

		tests := []struct {
			name string
			q    string
			want []string
		}{
			{"a_word_of_the_subject", "brygga", ids(subject("brygga"))},
			{"the_start_of_a_word", "bygg", ids(subject("bygg"))},
			{"a_piece_inside_a_word", "glov", ids(subject("glov"))},
			{"words_together", "bygglov för", ids(subject("bygglov för"))},
			{"any_case", "BuLLeR", ids(subject("buller"))},
			{"swedish_letters_in_capitals", "SKÄRGÅRD", ids(subject("skärgård"))},
			{"swedish_capitals_in_the_subject", "överklagande", ids(subject("överklagande"))},
			{"two_letters", "åk", ids(subject("åk"))},
			{"a_whole_reference", cases[10].Reference, ids(reference(cases[10].Reference))},
			{"a_reference_in_lower_case", strings.ToLower(cases[3].Reference), ids(reference(cases[3].Reference))},
			{"the_start_of_a_reference", "sok-2026-00001", ids(reference("SOK-2026-00001"))},
			{"the_number_of_a_reference", "000004", ids(reference("000004"))},
			{"digits_in_the_subject_or_the_reference", "2026", ids(func(c intake.Case) bool {
				return strings.Contains(c.Subject, "2026") || strings.Contains(c.Reference, "2026")
			})},
			{"quotes_are_text", `"citat"`, ids(subject(`"citat"`))},
			{"search_syntax_is_text", `and (parentes)* near: {x}`, ids(subject(`and (parentes)* near: {x}`))},
			{"the_prefix_alone_is_no_subject", "SOK", nil},
			{"no_case_holds_it", "solpaneler", nil},
			{"a_word_of_another_agency_only", "solceller", nil},
		}
		findNothing := []string{"SOK", "solpaneler", "solceller"}
		create(t, s, newCase(theirs, t0, "Solceller på taket"), "SOL")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if len(tt.want) == 0 && !slices.Contains(findNothing, tt.q) {
					t.Fatal("the test expects nothing: it could not fail")
				}
				// SQLite reads the trigram table's cases alone when it finds
				// few, else the queue in order: both find the same.
				for _, few := range []int{1000, 1} {
					undo := intakestore.SetSearchFew(few)
					for _, size := range []int{1, 2, 50} {
						got := searchIDs(t, s, agency, tt.q, size)
						slices.Sort(got)
						if !slices.Equal(got, tt.want) {
							undo()
							t.Fatalf("q=%q in pages of %d (few = %d): %d cases %v\nwant %d %v", tt.q, size, few, len(got), got, len(tt.want), tt.want)
						}
					}
					undo()
				}
			})
		}

		t.Run("a_page_with_q_keeps_the_queue_order", func(t *testing.T) {
			var want []intake.Case
			for _, c := range cases {
				if strings.Contains(strings.ToLower(c.Subject), "bygg") || strings.Contains(strings.ToLower(c.Subject), "brygga") {
					want = append(want, c)
				}
			}
			got := searchIDs(t, s, agency, "ygg", 2)
			if len(got) != len(want) || len(want) < 4 {
				t.Fatalf("got %d cases, want %d (at least 4)", len(got), len(want))
			}
			for i := 1; i < len(got); i++ {
				a, b := find(cases, got[i-1]), find(cases, got[i])
				if a.ResolutionDue.After(b.ResolutionDue) || (a.ResolutionDue.Equal(b.ResolutionDue) && a.ID > b.ID) {
					t.Fatalf("case %s before %s: not in deadline order", a.Reference, b.Reference)
				}
			}
		})

		t.Run("a_new_case_is_found_at_once", func(t *testing.T) {
			c := create(t, s, newCase(cat, t0, "Vindkraftverk i skogen"), "SOK")
			if got := searchIDs(t, s, agency, "VINDKRAFT", 50); !slices.Equal(got, []string{c.ID}) {
				t.Fatalf("got %v, want the new case %s", got, c.ID)
			}
			if got := searchIDs(t, s, agency, c.Reference[:len(c.Reference)-1], 50); !slices.Contains(got, c.ID) {
				t.Fatalf("the start of the new reference %s did not find it: %v", c.Reference, got)
			}
		})

		t.Run("a_changed_subject_is_found_by_its_new_words_only", func(t *testing.T) {
			// Nothing in the service changes a subject; a correction made in
			// the database still reaches the search.
			c := create(t, s, newCase(cat, t0, "Grusväg med hål"), "SOK")
			if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE intake_cases SET subject = ?, subject_folded = ?, reference = ? WHERE id = ?`),
				"Asfaltväg med sprickor", "asfaltväg med sprickor", "SOK-2026-999999", c.ID); err != nil {
				t.Fatal(err)
			}
			for q, want := range map[string][]string{"grusväg": nil, "ASFALTVÄG": {c.ID}, "2026-99999": {c.ID}, c.Reference: nil} {
				if got := searchIDs(t, s, agency, q, 50); !slices.Equal(got, want) {
					t.Fatalf("q=%q: got %v, want %v", q, got, want)
				}
			}
		})
	})
}

func find(cases []intake.Case, id string) intake.Case {
	for _, c := range cases {
		if c.ID == id {
			return c
		}
	}
	panic("no case " + id)
}

// TestSearchMigration takes an existing database with cases back to before
// the search index, and forward again: the cases are found.
func TestSearchMigration(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		fsys, err := db.Migrations(d.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		dialect := goose.DialectSQLite3
		if d.Dialect == db.Postgres {
			dialect = goose.DialectPostgres
		}
		p, err := goose.NewProvider(dialect, d.DB.DB, fsys)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 17); err != nil {
			t.Fatalf("migrate down: %v", err)
		}
		s := intakestore.New(d)
		agency := core.NewID()
		cat := newCategory(t, s, agency)
		old := create(t, s, newCase(cat, t0, "Ljusföroreningar vid hamnen"), "BAK")
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("migrate up: %v", err)
		}
		for _, q := range []string{"LJUSFÖRORENING", old.Reference, old.Reference[:len(old.Reference)-2]} {
			if got := searchIDs(t, s, agency, q, 50); !slices.Equal(got, []string{old.ID}) {
				t.Fatalf("q=%q after the migration: got %v, want %s", q, got, old.ID)
			}
		}
	})
}
