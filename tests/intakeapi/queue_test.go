package intakeapi_test

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// queueWorld is a dozen cases of Exempelby with ties on deadlines, three
// assignees, several statuses and Swedish subjects, and one of Vårdcentralen.
type queueWorld struct {
	all               []caseJSON // Exempelby's, as submitted
	byName            map[string]caseJSON
	bo                citizen
	vardcentralCaseID string
}

func buildQueue(t *testing.T, e *env) queueWorld {
	t.Helper()
	anna := e.signInCitizen(t, "anna@example.se")
	bo := e.signInCitizen(t, "bo@example.se")
	w := queueWorld{byName: map[string]caseJSON{}, bo: bo}
	add := func(name string, c caseJSON) {
		w.all = append(w.all, c)
		w.byName[name] = c
	}
	social := func(subject string) caseJSON {
		return e.submit(t, e.hanna, submitBody(exempelby, e.socialCat, subject, "citizen", map[string]string{"personal_identity_number": "198112189876"}))
	}
	add("altan", e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för altan")))
	add("appeal", e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Överklagande av bygglov")))
	add("support", social("Ansökan om försörjningsstöd"))
	e.clock.Advance(time.Hour)
	add("fence", e.submit(t, bo.Token, submitBody(exempelby, e.permitCat, "Altan och staket")))
	add("percent", e.submit(t, bo.Token, submitBody(exempelby, e.permitCat, "100% rabatt på bygglovet?")))
	add("rent", social("ÄRENDE OM HYRA"))
	e.clock.Advance(day)
	for _, n := range []string{"n1", "n2", "n3", "n4", "n5", "n6"} {
		add(n, e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov nummer "+n)))
	}
	w.vardcentralCaseID = e.submit(t, e.sara(t), submitBody(vardcentral, e.careCat, "Bygglov för vårdcentralen?", "citizen", map[string]string{"id": anna.ID})).ID

	for name, staff := range map[string]string{"altan": hannaID, "n1": hannaID, "fence": adamID} {
		wantCase(t, e.call(t, "POST", "/v1/cases/"+w.byName[name].ID+"/assign", e.hanna, map[string]string{"staff_id": staff}), http.StatusOK)
	}
	e.setStatus(t, e.hanna, w.byName["appeal"].ID, "triaged")
	e.setStatus(t, e.hanna, w.byName["n2"].ID, "resolved")
	e.setStatus(t, e.hanna, w.byName["n3"].ID, "waiting_for_citizen")
	return w
}

// queueOrder sorts cases as the queue does: soonest resolution deadline
// first, ties by id.
func queueOrder(cs []caseJSON) []string {
	s := slices.Clone(cs)
	slices.SortFunc(s, func(a, b caseJSON) int {
		return cmp.Or(a.ResolutionDue.Compare(b.ResolutionDue), strings.Compare(a.ID, b.ID))
	})
	return ids(s)
}

func (w queueWorld) pick(names ...string) []caseJSON {
	var out []caseJSON
	for _, n := range names {
		out = append(out, w.byName[n])
	}
	return out
}

// refStartsOtherwise names the cases whose reference does not start with p.
func refStartsOtherwise(w queueWorld, p string) []string {
	var out []string
	for n, c := range w.byName {
		if !strings.HasPrefix(c.Reference, p) {
			out = append(out, n)
		}
	}
	return out
}

func (w queueWorld) except(names ...string) []caseJSON {
	var out []caseJSON
	for _, c := range w.all {
		if !slices.ContainsFunc(names, func(n string) bool { return w.byName[n].ID == c.ID }) {
			out = append(out, c)
		}
	}
	return out
}

// walk follows next_cursor from the first page to the last.
func (e *env) walk(t *testing.T, token, query string, limit int) []string {
	t.Helper()
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatal("more than 50 pages: the cursor does not advance")
		}
		q, _ := url.ParseQuery(query)
		q.Set("limit", strconv.Itoa(limit))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		p := e.list(t, token, q.Encode())
		if len(p.Items) > limit {
			t.Fatalf("page of %d items with limit %d", len(p.Items), limit)
		}
		got = append(got, ids(p.Items)...)
		if p.NextCursor == "" {
			return got
		}
		cursor = p.NextCursor
	}
}

func theQueueFiltersSortsAndPages(t *testing.T, e *env) {
	w := buildQueue(t, e)
	ref := w.byName["support"].Reference
	tests := []struct {
		name  string
		query string
		want  []caseJSON
	}{
		{"default_lists_the_agencys_cases", "", w.all},
		{"status_narrows", "status=triaged", w.pick("appeal")},
		{"status_assigned_after_assignment", "status=assigned", w.pick("altan", "n1", "fence")},
		{"assignee_me_is_the_caller", "assignee=me", w.pick("altan", "n1")},
		{"assignee_by_id", "assignee=" + adamID, w.pick("fence")},
		{"assignee_none_is_unassigned", "assignee=none", w.except("altan", "n1", "fence")},
		{"category_narrows", "category=" + e.socialCat, w.pick("support", "rent")},
		{"q_reference_is_exact", "q=" + ref, w.pick("support")},
		{"q_reference_in_lower_case", "q=" + strings.ToLower(ref), w.pick("support")},
		{"q_piece_of_a_reference", "q=" + ref[strings.Index(ref, "-")+1:], w.pick("support")},
		{"q_start_of_a_reference", "q=" + strings.ToLower(ref[:len(ref)-1]), w.except(refStartsOtherwise(w, ref[:len(ref)-1])...)},
		{"q_subject_substring_any_case", "q=ALTAN", w.pick("altan", "fence")},
		{"q_swedish_letters_fold", "q=överklagande", w.pick("appeal")},
		{"q_swedish_capitals_fold", "q=ärende", w.pick("rent")},
		{"q_percent_is_literal", "q=" + url.QueryEscape("%"), w.pick("percent")},
		{"q_underscore_is_literal", "q=_", nil},
		{"q_and_status_combine", "q=bygglov&status=waiting_for_citizen", w.pick("n3")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := queueOrder(tt.want)
			p := e.list(t, e.hanna, tt.query)
			if got := ids(p.Items); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("GET /v1/cases?%s = %v\nwant %v", tt.query, got, want)
			}
			for _, limit := range []int{1, 5} {
				if got := e.walk(t, e.hanna, tt.query, limit); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("pages of %d of ?%s = %v\nwant %v", limit, tt.query, got, want)
				}
			}
		})
	}

	t.Run("overdue_filters_by_the_category_targets", func(t *testing.T) {
		// A day and two hours after the first cases: both social cases
		// (one day to first contact) are overdue, until one is contacted.
		e.clock.Advance(2 * time.Hour)
		wantStatus(t, e.call(t, "POST", "/v1/cases/"+w.byName["support"].ID+"/messages", e.hanna, map[string]any{"body": "Vi ringer dig i morgon."}), http.StatusCreated)
		if got := ids(e.list(t, e.hanna, "overdue=true").Items); !slices.Equal(got, []string{w.byName["rent"].ID}) {
			t.Fatalf("overdue = %v, want only the uncontacted social case", got)
		}
	})

	t.Run("others_see_their_own_queue", func(t *testing.T) {
		if got := ids(e.list(t, w.bo.Token, "").Items); !slices.Equal(got, queueOrder(w.pick("fence", "percent"))) {
			t.Fatalf("Bo's cases = %v", got)
		}
		if got := ids(e.list(t, e.sara(t), "").Items); !slices.Equal(got, []string{w.vardcentralCaseID}) {
			t.Fatalf("Vårdcentralen's queue = %v", got)
		}
		if got := ids(e.list(t, e.client, "").Items); !slices.Equal(got, queueOrder(w.all)) {
			t.Fatalf("the client's queue = %v", got)
		}
		if got := ids(e.list(t, e.sysadmin(t), "agency_id="+exempelby).Items); !slices.Equal(got, queueOrder(w.all)) {
			t.Fatalf("the system admin's view of Exempelby = %v", got)
		}
		wantProblem(t, e.call(t, "GET", "/v1/cases", e.sysadmin(t), nil), http.StatusBadRequest, "agency_id")
		wantProblem(t, e.call(t, "GET", "/v1/cases?agency_id="+exempelby, e.sara(t), nil), http.StatusForbidden)
		wantProblem(t, e.call(t, "GET", "/v1/cases?assignee=me", w.bo.Token, nil), http.StatusBadRequest, "assignee")
		wantProblem(t, e.call(t, "GET", "/v1/cases?assignee=me", e.client, nil), http.StatusBadRequest, "assignee")
	})
}

func TestQueue(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		theQueueFiltersSortsAndPages(t, e)
	})
}
