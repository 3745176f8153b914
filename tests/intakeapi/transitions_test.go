package intakeapi_test

import (
	"net/http"
	"slices"
	"testing"
)

var statuses = []string{"submitted", "triaged", "assigned", "scheduled", "in_progress", "waiting_for_citizen", "resolved", "closed", "withdrawn"}

// staffMoves is every move staff may make with POST /v1/cases/{id}/status,
// written out from the case life cycle: the chain submitted → triaged → assigned →
// scheduled → in_progress → resolved → closed (assigning and resolving may
// skip ahead, a meeting may be planned again), waiting_for_citizen from any
// open status and back to where the case was or onwards, and a resolved
// case reopened. withdrawn is never a staff move. Every other pair is 409.
var staffMoves = map[string][]string{
	"submitted":   {"triaged", "assigned", "waiting_for_citizen", "resolved"},
	"triaged":     {"assigned", "waiting_for_citizen", "resolved"},
	"assigned":    {"scheduled", "in_progress", "waiting_for_citizen", "resolved"},
	"scheduled":   {"assigned", "in_progress", "waiting_for_citizen", "resolved"},
	"in_progress": {"scheduled", "waiting_for_citizen", "resolved"},
	// The test's waiting cases were submitted when asked: back is submitted.
	"waiting_for_citizen": {"submitted", "triaged", "assigned", "scheduled", "in_progress", "resolved"},
	"resolved":            {"closed", "in_progress"},
}

// reach is the legal way to each status from submitted; withdrawn is the
// citizen's own act.
var reach = map[string][]string{
	"submitted":           nil,
	"triaged":             {"triaged"},
	"assigned":            {"assigned"},
	"scheduled":           {"assigned", "scheduled"},
	"in_progress":         {"assigned", "in_progress"},
	"waiting_for_citizen": {"waiting_for_citizen"},
	"resolved":            {"resolved"},
	"closed":              {"resolved", "closed"},
}

func everyStatusPair(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	for _, from := range statuses {
		for _, to := range statuses {
			legal := slices.Contains(staffMoves[from], to)
			name := from + "→" + to + "_is_refused"
			if legal {
				name = from + "→" + to + "_is_recorded"
			}
			t.Run(name, func(t *testing.T) {
				c := e.submitFor(t, anna.ID, "Bygglov "+from+" till "+to)
				if from == "withdrawn" {
					wantCase(t, e.call(t, "POST", "/v1/cases/"+c.ID+"/withdraw", anna.Token, map[string]string{"reason": "Löst på annat sätt"}), http.StatusOK)
				}
				for _, s := range reach[from] {
					e.setStatus(t, e.hanna, c.ID, s)
				}
				before := e.written(t, c.ID)
				if got := before.row["status"]; got != from {
					t.Fatalf("case is %v, want %s before the move", got, from)
				}
				r := e.call(t, "POST", "/v1/cases/"+c.ID+"/status", e.hanna, map[string]any{"status": to, "note": "Flyttad", "visible_to_citizen": true})
				after := e.written(t, c.ID)
				if !legal {
					wantProblem(t, r, http.StatusConflict)
					if !after.equal(before) {
						t.Fatalf("a refused move wrote: before %+v, after %+v", before, after)
					}
					return
				}
				moved := wantCase(t, r, http.StatusOK)
				if moved.Status != to || after.row["status"] != to {
					t.Fatalf("status = %s (stored %v), want %s", moved.Status, after.row["status"], to)
				}
				if after.entries != before.entries+1 || after.events != before.events+1 {
					t.Fatalf("entries %d → %d, events %d → %d: want one more of each", before.entries, after.entries, before.events, after.events)
				}
				tl := e.timeline(t, e.hanna, c.ID)
				last := tl[len(tl)-1]
				if last.Kind != "status" || last.StatusFrom != from || last.StatusTo != to || last.Body != "Flyttad" || last.Actor != "staff:"+hannaID {
					t.Fatalf("last timeline entry = %+v", last)
				}
				evs := e.outboxOf(t, c.ID)
				ev := evs[len(evs)-1]
				if ev.Type != "case.status_changed" || ev.Payload.Case.Status != to || ev.Payload.Entry == nil ||
					ev.Payload.Entry.StatusFrom != from || ev.Payload.Entry.StatusTo != to || ev.Payload.Case.Reference != c.Reference {
					t.Fatalf("last event = %+v", ev)
				}
			})
		}
	}
}

func onlyTheCitizenWithdrawsAndOnlyWhileOpen(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	bo := e.signInCitizen(t, "bo@example.se")
	c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för garage"))
	withdraw := func(token string) response {
		return e.call(t, "POST", "/v1/cases/"+c.ID+"/withdraw", token, map[string]string{"reason": "Behövs inte längre"})
	}
	before := e.written(t, c.ID)
	wantProblem(t, withdraw(e.hanna), http.StatusForbidden)
	wantProblem(t, withdraw(e.client), http.StatusForbidden)
	wantProblem(t, withdraw(bo.Token), http.StatusNotFound)
	wantProblem(t, e.call(t, "POST", "/v1/cases/"+c.ID+"/status", e.hanna, map[string]any{"status": "withdrawn"}), http.StatusConflict)
	if after := e.written(t, c.ID); !after.equal(before) {
		t.Fatalf("refused withdrawals wrote: %+v → %+v", before, after)
	}

	e.setStatus(t, e.hanna, c.ID, "assigned")
	w := wantCase(t, withdraw(anna.Token), http.StatusOK)
	if w.Status != "withdrawn" {
		t.Fatalf("status = %s, want withdrawn", w.Status)
	}
	tl := e.timeline(t, anna.Token, c.ID)
	if last := tl[len(tl)-1]; last.StatusFrom != "assigned" || last.StatusTo != "withdrawn" || last.Body != "Behövs inte längre" || last.Actor != "citizen:"+anna.ID {
		t.Fatalf("last entry the citizen sees = %+v", last)
	}
	if evs := e.outboxOf(t, c.ID); evs[len(evs)-1].Type != "case.withdrawn" {
		t.Fatalf("last event = %s, want case.withdrawn", evs[len(evs)-1].Type)
	}
	wantProblem(t, withdraw(anna.Token), http.StatusConflict)

	resolved := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för carport"))
	e.setStatus(t, e.hanna, resolved.ID, "resolved")
	wantProblem(t, e.call(t, "POST", "/v1/cases/"+resolved.ID+"/withdraw", anna.Token, nil), http.StatusConflict)
}

func aCitizenReplyReturnsTheCaseToWhereItWas(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	for _, from := range []string{"submitted", "triaged", "assigned", "scheduled", "in_progress"} {
		t.Run("from_"+from, func(t *testing.T) {
			c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov, väntar från "+from))
			for _, s := range reach[from] {
				e.setStatus(t, e.hanna, c.ID, s)
			}
			e.setStatus(t, e.hanna, c.ID, "waiting_for_citizen", "note", "Skicka ritningarna, tack.", "visible_to_citizen", true)
			// A message from staff while waiting keeps the case waiting.
			wantStatus(t, e.call(t, "POST", "/v1/cases/"+c.ID+"/messages", e.hanna, map[string]any{"body": "Påminnelse: ritningarna."}), http.StatusCreated)
			if got := e.getCase(t, e.hanna, c.ID).Status; got != "waiting_for_citizen" {
				t.Fatalf("after a staff message the case is %s", got)
			}
			wantStatus(t, e.call(t, "POST", "/v1/cases/"+c.ID+"/messages", anna.Token, map[string]any{"body": "Här är ritningarna."}), http.StatusCreated)
			back := e.getCase(t, anna.Token, c.ID)
			if back.Status != from {
				t.Fatalf("after the reply the case is %s, want %s", back.Status, from)
			}
			tl := e.timeline(t, anna.Token, c.ID)
			reply, moved := tl[len(tl)-2], tl[len(tl)-1]
			if reply.Kind != "message" || reply.Body != "Här är ritningarna." || moved.StatusFrom != "waiting_for_citizen" || moved.StatusTo != from {
				t.Fatalf("timeline ends %+v, %+v", reply, moved)
			}
			evs := e.outboxOf(t, c.ID)
			if ev := evs[len(evs)-1]; ev.Type != "case.message_from_citizen" || ev.Payload.Case.Status != from {
				t.Fatalf("last event = %s with case status %s, want case.message_from_citizen with %s", ev.Type, ev.Payload.Case.Status, from)
			}
		})
	}
}

func TestStatuses(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("every_status_pair", func(t *testing.T) { everyStatusPair(t, e) })
		t.Run("only_the_citizen_withdraws_and_only_while_open", func(t *testing.T) { onlyTheCitizenWithdrawsAndOnlyWhileOpen(t, e) })
		t.Run("a_citizen_reply_returns_the_case_to_where_it_was", func(t *testing.T) { aCitizenReplyReturnsTheCaseToWhereItWas(t, e) })
	})
}
