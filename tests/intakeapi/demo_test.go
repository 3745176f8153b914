package intakeapi_test

import (
	"context"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/demo"
)

// intakeTables are what the intake demo writes, with auth's citizens.
var intakeTables = []string{"intake_categories", "intake_agencies", "intake_cases", "intake_case_events", "intake_events", "intake_reference_counters", "auth_citizens"}

func demoLoadsCategoriesAndCasesOnce(t *testing.T, e *env) {
	ctx := context.Background()
	load := func() {
		t.Helper()
		stores := demo.Stores{Directory: bookingstore.New(e.d), Accounts: authstore.New(e.d), Schedules: bookingstore.New(e.d),
			Citizens: authstore.New(e.d), Intake: intakestore.New(e.d)}
		if _, err := demo.Load(ctx, stores, demo.Secrets{Password: e.password, ClientSecret: "tbs_unused"}); err != nil {
			t.Fatalf("load the demo: %v", err)
		}
	}
	counts := func() map[string]int {
		t.Helper()
		out := map[string]int{}
		for _, table := range intakeTables {
			out[table] = e.count(t, "SELECT count(*) FROM "+table)
		}
		return out
	}
	load()
	first := counts()
	anna := e.signInCitizen(t, "anna.andersson@example.se")
	if anna.ID != demo.AnnaID {
		t.Fatalf("Anna signed in as %s, the demo's Anna is %s", anna.ID, demo.AnnaID)
	}
	mine := e.list(t, anna.Token, "").Items
	rows := map[string]map[string]any{}
	var statuses []string
	for _, c := range mine {
		statuses = append(statuses, c.Status)
		rows[c.ID] = e.caseRow(t, c.ID)
		if !strings.HasPrefix(c.Reference, "EXB-") && !strings.HasPrefix(c.Reference, "VCE-") {
			t.Fatalf("demo reference %s", c.Reference)
		}
	}
	slices.Sort(statuses)
	if want := []string{"assigned", "resolved", "submitted", "waiting_for_citizen"}; !slices.Equal(statuses, want) {
		t.Fatalf("Anna's cases are %v, want %v", statuses, want)
	}

	load()
	if again := counts(); !maps.Equal(again, first) {
		t.Fatalf("loading again changed the counts: %v → %v", first, again)
	}
	for id, row := range rows {
		if again := e.caseRow(t, id); !reflect.DeepEqual(again, row) {
			t.Fatalf("loading again changed case %s", id)
		}
	}

	t.Run("both_agencies_have_categories_routed_to_their_meeting_types", func(t *testing.T) {
		for _, agency := range []string{exempelby, vardcentral} {
			r := e.call(t, "GET", "/v1/agencies/"+agency+"/case-categories", "", nil)
			wantStatus(t, r, http.StatusOK)
			var cats struct {
				Items []struct {
					Name struct {
						SV string `json:"sv"`
					} `json:"name"`
					Description struct {
						SV string `json:"sv"`
					} `json:"description"`
					MeetingTypeIDs []string `json:"meeting_type_ids"`
					ResolutionDays int      `json:"resolution_days"`
					IsComplaint    bool     `json:"is_complaint"`
				} `json:"items"`
			}
			decode(t, r, &cats)
			mt := e.call(t, "GET", "/v1/agencies/"+agency+"/meeting-types", "", nil)
			wantStatus(t, mt, http.StatusOK)
			var types struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
			}
			decode(t, mt, &types)
			complaints := 0
			for _, c := range cats.Items {
				for _, id := range c.MeetingTypeIDs {
					if !slices.ContainsFunc(types.Items, func(x struct {
						ID string `json:"id"`
					}) bool {
						return x.ID == id
					}) {
						t.Fatalf("%s routes to %s, not a meeting type of the agency", c.Name.SV, id)
					}
				}
				if c.IsComplaint {
					complaints++
					if c.Name.SV != "Klagomål och synpunkter" || !strings.Contains(c.Description.SV, "30 dagar") || c.ResolutionDays != 30 {
						t.Fatalf("complaints category = %+v", c)
					}
				}
			}
			if complaints != 1 || len(cats.Items) < 4 {
				t.Fatalf("agency %s: %d categories, %d for complaints", agency, len(cats.Items), complaints)
			}
		}
	})

	t.Run("the_demo_cases_behave_like_any_other", func(t *testing.T) {
		var waiting, assigned caseJSON
		for _, c := range mine {
			switch c.Status {
			case "waiting_for_citizen":
				waiting = c
			case "assigned":
				assigned = c
			}
		}
		if got := ids(e.list(t, e.hanna, "assignee=me").Items); !slices.Contains(got, assigned.ID) {
			t.Fatalf("Hanna's own queue %v lacks the demo case assigned to her", got)
		}
		wantStatus(t, e.call(t, "POST", "/v1/cases/"+waiting.ID+"/messages", anna.Token, map[string]any{"body": "Ungefär en timme, och jag tar ingen medicin."}), http.StatusCreated)
		if got := e.getCase(t, anna.Token, waiting.ID); got.Status != "assigned" || got.FirstContactAt == nil {
			t.Fatalf("after Anna's answer the case is %s, first contact %v", got.Status, got.FirstContactAt)
		}
	})
}

func TestDemo(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		demoLoadsCategoriesAndCasesOnce(t, e)
	})
}
