package intakeapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/services/booking"
)

func fiftyConcurrentSubmissionsGetFiftyReferences(t *testing.T, e *env) {
	citizens := []citizen{e.signInCitizen(t, "anna@example.se"), e.signInCitizen(t, "bo@example.se"), e.signInCitizen(t, "cecilia@example.se")}
	const n = 50
	refs := make([]string, n)
	statuses := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-ready
			subject := fmt.Sprintf("Bygglov nummer %d", i)
			var r response
			switch i % 5 {
			case 3: // staff on a citizen's behalf
				r = e.call(t, "POST", "/v1/cases", e.hanna, submitBody(exempelby, e.permitCat, subject, "citizen", map[string]string{"id": citizens[0].ID}))
			case 4: // the agency's case system, citizen by e-mail
				r = e.call(t, "POST", "/v1/cases", e.client, submitBody(exempelby, e.permitCat, subject, "citizen", map[string]string{"email": fmt.Sprintf("person%d@example.se", i)}))
			default:
				r = e.call(t, "POST", "/v1/cases", citizens[i%3].Token, submitBody(exempelby, e.permitCat, subject))
			}
			statuses[i], bodies[i] = r.Status, string(r.Body)
			if r.Status == http.StatusCreated {
				var c caseJSON
				decode(t, r, &c)
				refs[i] = c.Reference
			}
		})
	}
	close(ready)
	wg.Wait()
	for i := range n {
		if statuses[i] != http.StatusCreated {
			t.Fatalf("submission %d: status %d: %s", i, statuses[i], bodies[i])
		}
	}
	var want []string
	for i := 1; i <= n; i++ {
		want = append(want, fmt.Sprintf("EXB-2026-%06d", i))
	}
	slices.Sort(refs)
	if !slices.Equal(refs, want) {
		t.Fatalf("references = %v\nwant %v", refs, want)
	}
	if got := e.count(t, `SELECT count(DISTINCT reference) FROM intake_cases WHERE agency_id = ?`, exempelby); got != n {
		t.Fatalf("%d distinct references stored, want %d", got, n)
	}
	// Another agency counts on its own.
	if c := e.submit(t, e.sara(t), submitBody(vardcentral, e.careCat, "Ont i knät", "citizen", map[string]string{"id": citizens[0].ID})); c.Reference != "VCE-2026-000001" {
		t.Fatalf("first Vårdcentralen reference = %s", c.Reference)
	}
}

func theReferenceYearIsTheAgencysYear(t *testing.T, e *env) {
	numbered := e.count(t, `SELECT count(*) FROM intake_cases WHERE reference LIKE 'EXB-2026-%'`)
	e.clock.Set(time.Date(2026, 12, 31, 23, 59, 0, 0, stockholm))
	anna := e.signInCitizen(t, "anna@example.se")
	if c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Nyårsafton")); c.Reference != fmt.Sprintf("EXB-2026-%06d", numbered+1) {
		t.Fatalf("reference on New Year's Eve = %s after %d of 2026", c.Reference, numbered)
	}
	// Half past midnight in Stockholm is still 2026 in UTC.
	e.clock.Set(time.Date(2027, 1, 1, 0, 30, 0, 0, stockholm))
	if c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Nyårsdagen")); c.Reference != "EXB-2027-000001" {
		t.Fatalf("reference half an hour into 2027 in Stockholm = %s", c.Reference)
	}
}

func referencePrefixesBelongToOneAgency(t *testing.T, e *env) {
	wantProblem(t, e.call(t, "PUT", "/v1/agencies/"+vardcentral+"/case-settings", e.adminB(t), map[string]string{"reference_prefix": "EXB"}), http.StatusConflict)
	wantProblem(t, e.call(t, "PUT", "/v1/agencies/"+vardcentral+"/case-settings", e.adminB(t), map[string]string{"reference_prefix": "ex"}), http.StatusBadRequest, "reference_prefix")
	wantProblem(t, e.call(t, "PUT", "/v1/agencies/"+exempelby+"/case-settings", e.adminB(t), map[string]string{"reference_prefix": "EXA"}), http.StatusForbidden)

	// Two agencies whose names give the same default prefix still get
	// references of their own.
	store := bookingstore.New(e.d)
	var agencies []string
	for _, name := range []string{"Region Norrland", "Region Norrbotten"} {
		a := booking.Agency{ID: core.NewID(), Name: name, OrgNumber: "232100-00" + fmt.Sprint(10+len(agencies)), Kind: booking.Region,
			TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish, CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if err := store.SaveAgency(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		agencies = append(agencies, a.ID)
	}
	anna := e.signInCitizen(t, "anna@example.se")
	var refs []string
	for _, agency := range agencies {
		cat := e.newCategory(t, e.sysadmin(t), agency, map[string]any{"name": map[string]string{"sv": "Allmänt", "en": "General"},
			"first_contact_days": 3, "resolution_days": 30})
		for range 2 {
			refs = append(refs, e.submit(t, anna.Token, submitBody(agency, cat, "Fråga")).Reference)
		}
	}
	if refs[0] != "REG-2026-000001" || refs[1] != "REG-2026-000002" || refs[2][:4] == "REG-" || refs[2][len(refs[2])-6:] != "000001" {
		t.Fatalf("references of two agencies named Region … = %v", refs)
	}
}

func aRetriedSubmissionOpensOneCase(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	key := "retry-" + core.NewID()
	body := submitBody(exempelby, e.permitCat, "Bygglov för växthus")
	before := e.count(t, `SELECT count(*) FROM intake_cases`)
	first := wantCase(t, e.call(t, "POST", "/v1/cases", anna.Token, body, "Idempotency-Key", key), http.StatusCreated)
	r := e.call(t, "POST", "/v1/cases", anna.Token, body, "Idempotency-Key", key)
	again := wantCase(t, r, http.StatusCreated)
	if again.ID != first.ID || again.Reference != first.Reference || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry answered %s (%s), replayed %q; the first %s", again.ID, again.Reference, r.Header.Get("Idempotent-Replayed"), first.ID)
	}
	if got := e.count(t, `SELECT count(*) FROM intake_cases`); got != before+1 {
		t.Fatalf("%d cases opened, want 1", got-before)
	}
	wantStatus(t, e.call(t, "POST", "/v1/cases", anna.Token, submitBody(exempelby, e.permitCat, "Något annat"), "Idempotency-Key", key), http.StatusUnprocessableEntity)
}

func theLanguageIsTheCallersOrSwedish(t *testing.T, e *env) {
	tests := []struct {
		name   string
		header []string
		body   []any
		want   string
	}{
		{"no_accept_language_is_swedish", nil, nil, "sv"},
		{"accept_language_english", []string{"Accept-Language", "en-GB,en;q=0.9"}, nil, "en"},
		{"the_body_wins", []string{"Accept-Language", "en"}, []any{"language", "sv"}, "sv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := submitBody(exempelby, e.permitCat, "Språk", append([]any{"citizen", map[string]string{"email": "sprak@example.se"}}, tt.body...)...)
			c := wantCase(t, e.call(t, "POST", "/v1/cases", e.client, body, tt.header...), http.StatusCreated)
			if got := c.raw["language"]; got != tt.want {
				t.Fatalf("language = %v, want %s", got, tt.want)
			}
		})
	}
}

// TestSubmissions: the race first, on fresh counters; the new year last,
// as it moves the clock to December.
func TestSubmissions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("fifty_concurrent_submissions_get_fifty_references", func(t *testing.T) { fiftyConcurrentSubmissionsGetFiftyReferences(t, e) })
		t.Run("reference_prefixes_belong_to_one_agency", func(t *testing.T) { referencePrefixesBelongToOneAgency(t, e) })
		t.Run("a_retried_submission_opens_one_case", func(t *testing.T) { aRetriedSubmissionOpensOneCase(t, e) })
		t.Run("the_language_is_the_callers_or_swedish", func(t *testing.T) { theLanguageIsTheCallersOrSwedish(t, e) })
		t.Run("the_reference_year_is_the_agencys_year", func(t *testing.T) { theReferenceYearIsTheAgencysYear(t, e) })
	})
}
