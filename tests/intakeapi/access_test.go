package intakeapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/core"
)

func whoMayReadAndWriteACase(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	bo := e.signInCitizen(t, "bo@example.se")
	reader := e.newClient(t, core.ScopeCasesRead)
	writer := e.newClient(t, core.ScopeCasesRead, core.ScopeCasesWrite)
	bookingOnly := e.newClient(t, core.ScopeAppointmentsWrite)
	c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för pool"))
	vce := e.submit(t, e.sara(t), submitBody(vardcentral, e.careCat, "Ont i ryggen", "citizen", map[string]string{"id": anna.ID}))

	reads := []struct {
		name   string
		token  string
		caseID string
		want   int
	}{
		{"citizen_reads_own_case", anna.Token, c.ID, http.StatusOK},
		{"citizen_reads_own_case_at_another_agency", anna.Token, vce.ID, http.StatusOK},
		{"another_citizen_is_told_not_found", bo.Token, c.ID, http.StatusNotFound},
		{"staff_read_their_agencys_case", e.hanna, c.ID, http.StatusOK},
		{"admin_reads_their_agencys_case", e.adminA(t), c.ID, http.StatusOK},
		{"staff_of_another_agency_are_told_not_found", e.sara(t), c.ID, http.StatusNotFound},
		{"system_admin_reads_any_case", e.sysadmin(t), vce.ID, http.StatusOK},
		{"client_with_cases_read_reads", reader, c.ID, http.StatusOK},
		{"client_without_cases_read_is_told_not_found", bookingOnly, c.ID, http.StatusNotFound},
		{"client_of_another_agency_is_told_not_found", e.client, vce.ID, http.StatusNotFound},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			audits := e.count(t, `SELECT count(*) FROM auth_audit WHERE action = 'case.read' AND target_id = ?`, tt.caseID)
			for _, path := range []string{"/v1/cases/" + tt.caseID, "/v1/cases/" + tt.caseID + "/events"} {
				r := e.call(t, "GET", path, tt.token, nil)
				if tt.want != http.StatusOK {
					wantProblem(t, r, tt.want)
					continue
				}
				wantStatus(t, r, http.StatusOK)
			}
			want := audits
			if tt.want == http.StatusOK {
				want++ // the case itself; the timeline has its own entry
			}
			if got := e.count(t, `SELECT count(*) FROM auth_audit WHERE action = 'case.read' AND target_id = ?`, tt.caseID); got != want {
				t.Fatalf("case.read audit entries %d → %d, want %d", audits, got, want)
			}
		})
	}
	t.Run("a_read_is_audited_with_who_and_which_case", func(t *testing.T) {
		e.getCase(t, e.hanna, c.ID)
		var row struct {
			ActorKind string `db:"actor_kind"`
			ActorID   string `db:"actor_id"`
			AgencyID  string `db:"agency_id"`
			Target    string `db:"target_kind"`
		}
		if err := e.d.GetContext(t.Context(), &row, e.d.Rebind(`SELECT actor_kind, actor_id, agency_id, target_kind FROM auth_audit
			WHERE action = 'case.read' AND target_id = ? ORDER BY at DESC, id DESC LIMIT 1`), c.ID); err != nil {
			t.Fatal(err)
		}
		if row.ActorKind != "staff" || row.ActorID != hannaID || row.AgencyID != exempelby || row.Target != "case" {
			t.Fatalf("audit entry = %+v", row)
		}
	})

	writes := []struct {
		name  string
		token string
		do    func(token string) response
		want  int
	}{
		{"client_without_cases_write_cannot_submit", reader, func(tok string) response {
			return e.call(t, "POST", "/v1/cases", tok, submitBody(exempelby, e.permitCat, "X", "citizen", map[string]string{"id": anna.ID}))
		}, http.StatusForbidden},
		{"client_with_cases_write_submits", writer, func(tok string) response {
			return e.call(t, "POST", "/v1/cases", tok, submitBody(exempelby, e.permitCat, "Från ärendesystemet", "citizen", map[string]string{"email": "ny@example.se"}))
		}, http.StatusCreated},
		{"client_cannot_submit_for_another_agency", writer, func(tok string) response {
			return e.call(t, "POST", "/v1/cases", tok, submitBody(vardcentral, e.careCat, "X", "citizen", map[string]string{"id": anna.ID}))
		}, http.StatusForbidden},
		{"staff_cannot_submit_for_another_agency", e.sara(t), func(tok string) response {
			return e.call(t, "POST", "/v1/cases", tok, submitBody(exempelby, e.permitCat, "X", "citizen", map[string]string{"id": anna.ID}))
		}, http.StatusForbidden},
		{"citizen_cannot_submit_for_another_citizen", bo.Token, func(tok string) response {
			return e.call(t, "POST", "/v1/cases", tok, submitBody(exempelby, e.permitCat, "X", "citizen", map[string]string{"id": anna.ID}))
		}, http.StatusForbidden},
		{"client_with_cases_read_cannot_move_a_case", reader, func(tok string) response {
			return e.call(t, "POST", "/v1/cases/"+c.ID+"/status", tok, map[string]any{"status": "triaged"})
		}, http.StatusForbidden},
		{"citizen_cannot_move_own_case", anna.Token, func(tok string) response {
			return e.call(t, "POST", "/v1/cases/"+c.ID+"/status", tok, map[string]any{"status": "triaged"})
		}, http.StatusForbidden},
		{"citizen_cannot_set_priority", anna.Token, func(tok string) response {
			return e.call(t, "POST", "/v1/cases/"+c.ID+"/priority", tok, map[string]any{"priority": "urgent"})
		}, http.StatusForbidden},
		{"staff_of_another_agency_cannot_move_it", e.sara(t), func(tok string) response {
			return e.call(t, "POST", "/v1/cases/"+c.ID+"/status", tok, map[string]any{"status": "triaged"})
		}, http.StatusNotFound},
		{"another_citizen_cannot_write_on_it", bo.Token, func(tok string) response {
			return e.call(t, "POST", "/v1/cases/"+c.ID+"/messages", tok, map[string]any{"body": "Hej"})
		}, http.StatusNotFound},
		{"staff_cannot_assign_to_another_agencys_staff", e.hanna, func(tok string) response {
			return e.call(t, "POST", "/v1/cases/"+c.ID+"/assign", tok, map[string]string{"staff_id": saraID})
		}, http.StatusBadRequest},
		{"client_with_cases_write_moves_it", writer, func(tok string) response {
			return e.call(t, "POST", "/v1/cases/"+c.ID+"/status", tok, map[string]any{"status": "triaged"})
		}, http.StatusOK},
	}
	for _, tt := range writes {
		t.Run(tt.name, func(t *testing.T) {
			before := e.written(t, c.ID)
			r := tt.do(tt.token)
			if tt.want >= 400 {
				wantProblem(t, r, tt.want)
				if after := e.written(t, c.ID); !after.equal(before) {
					t.Fatalf("a refused request wrote: %+v → %+v", before, after)
				}
				return
			}
			wantStatus(t, r, tt.want)
		})
	}
}

// leaksPIN reports whether body holds Dag's personal identity number, or its
// last four digits as the end of one, in any spelling. (The four digits alone
// can occur inside a random id, so they are looked for only as a number's end.)
func leaksPIN(body []byte) bool {
	for _, spelling := range []string{"19811218-9876", "198112189876", "8112189876", "811218-9876", `-9876"`} {
		if strings.Contains(string(body), spelling) {
			return true
		}
	}
	return false
}

func personalIdentityNumbersAreMaskedAndNotesHidden(t *testing.T, e *env) {
	c := e.submit(t, e.hanna, submitBody(exempelby, e.socialCat, "Ekonomiskt bistånd",
		"citizen", map[string]string{"personal_identity_number": "19811218-9876", "email": "dag@example.se"}))
	dag := e.signInCitizen(t, "dag@example.se")
	if dag.ID != c.CitizenID {
		t.Fatalf("the citizen who signed in is %s, the case's is %s", dag.ID, c.CitizenID)
	}
	for _, token := range []string{e.hanna, e.client, e.sysadmin(t)} {
		r := e.call(t, "GET", "/v1/cases/"+c.ID, token, nil)
		got := wantCase(t, r, http.StatusOK)
		if got.PersonalIdentityNumber == nil || *got.PersonalIdentityNumber != "19811218-****" {
			t.Fatalf("personal_identity_number = %v, want 19811218-****", got.PersonalIdentityNumber)
		}
		if leaksPIN(r.Body) {
			t.Fatalf("the full number leaks: %s", r.Body)
		}
	}
	for _, token := range []string{e.hanna, e.client} {
		if p := e.list(t, token, ""); leaksPIN(mustJSON(t, p)) {
			t.Fatal("the queue leaks the number")
		}
	}
	if got := e.getCase(t, dag.Token, c.ID); got.PersonalIdentityNumber != nil {
		t.Fatalf("the citizen's own view carries personal_identity_number %q", *got.PersonalIdentityNumber)
	}

	wantStatus(t, e.call(t, "POST", "/v1/cases/"+c.ID+"/messages", e.hanna, map[string]any{"body": "Misstänkt felaktig ansökan", "internal": true}), http.StatusCreated)
	e.setStatus(t, e.hanna, c.ID, "triaged", "note", "Kontrollera inkomsterna")
	e.setStatus(t, e.hanna, c.ID, "assigned", "note", "Din handläggare är Hanna.", "visible_to_citizen", true)
	wantStatus(t, e.call(t, "POST", "/v1/cases/"+c.ID+"/messages", dag.Token, map[string]any{"body": "Tack!"}), http.StatusCreated)

	staff := e.timeline(t, e.hanna, c.ID)
	own := e.timeline(t, dag.Token, c.ID)
	bodies := func(es []entryJSON) []string {
		var out []string
		for _, x := range es {
			if x.Body != "" {
				out = append(out, x.Body)
			}
		}
		return out
	}
	if got := bodies(staff); !slices.Equal(got, []string{"Misstänkt felaktig ansökan", "Kontrollera inkomsterna", "Din handläggare är Hanna.", "Tack!"}) {
		t.Fatalf("staff see %v", got)
	}
	if got := bodies(own); !slices.Equal(got, []string{"Din handläggare är Hanna.", "Tack!"}) {
		t.Fatalf("the citizen sees %v", got)
	}
	for _, x := range own {
		if !x.VisibleToCitizen {
			t.Fatalf("the citizen sees an internal entry %+v", x)
		}
	}
	for _, ev := range e.outboxOf(t, c.ID) {
		if ev.Payload.Entry != nil && (strings.Contains(ev.Payload.Entry.Body, "Misstänkt") || strings.Contains(ev.Payload.Entry.Body, "inkomsterna")) {
			t.Fatalf("an internal note left the service in event %s", ev.Type)
		}
	}
}

// TestAccess: who may read and act on a case, what each reader sees of it,
// and the audit log of every read.
func TestAccess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("who_may_read_and_write_a_case", func(t *testing.T) { whoMayReadAndWriteACase(t, e) })
		t.Run("personal_identity_numbers_are_masked_and_notes_hidden", func(t *testing.T) { personalIdentityNumbersAreMaskedAndNotesHidden(t, e) })
	})
}
