package intakeapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

const day = 24 * time.Hour

// wantFirstContact checks first_contact_at: nil when want is zero.
func wantFirstContact(t *testing.T, c caseJSON, want time.Time, what string) {
	t.Helper()
	switch {
	case want.IsZero() && c.FirstContactAt != nil:
		t.Fatalf("%s set first contact to %s", what, c.FirstContactAt)
	case !want.IsZero() && (c.FirstContactAt == nil || !sameInstant(*c.FirstContactAt, want)):
		t.Fatalf("after %s first contact = %v, want %s", what, c.FirstContactAt, want)
	}
}

// TestFirstContactIsSetOnceByTheDocumentedRule follows handling.go: first
// contact is the agency's first citizen-visible message or status note, a
// meeting staff book (booking_test.go), or the case moving to in progress.
func firstContactIsSetOnceByTheDocumentedRule(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	message := func(token, id string, body map[string]any) {
		t.Helper()
		wantStatus(t, e.call(t, "POST", "/v1/cases/"+id+"/messages", token, body), http.StatusCreated)
	}
	notContact := []struct {
		name string
		act  func(id string)
	}{
		{"citizen_message", func(id string) { message(anna.Token, id, map[string]any{"body": "Hej, hur går det?"}) }},
		{"internal_note", func(id string) {
			message(e.hanna, id, map[string]any{"body": "Ring byggnadsinspektören", "internal": true})
		}},
		{"status_with_internal_note", func(id string) { e.setStatus(t, e.hanna, id, "triaged", "note", "Rutinärende") }},
		{"visible_status_without_note", func(id string) { e.setStatus(t, e.hanna, id, "triaged", "visible_to_citizen", true) }},
		{"assignment", func(id string) {
			wantCase(t, e.call(t, "POST", "/v1/cases/"+id+"/assign", e.hanna, map[string]string{"staff_id": hannaID}), http.StatusOK)
		}},
	}
	for _, tt := range notContact {
		t.Run(tt.name+"_is_not_first_contact", func(t *testing.T) {
			c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov "+tt.name))
			tt.act(c.ID)
			wantFirstContact(t, e.getCase(t, e.hanna, c.ID), time.Time{}, tt.name)
		})
	}
	contact := []struct {
		name string
		act  func(id string)
	}{
		{"visible_message", func(id string) { message(e.hanna, id, map[string]any{"body": "Vi har tagit emot ditt ärende."}) }},
		{"visible_status_note", func(id string) {
			e.setStatus(t, e.hanna, id, "waiting_for_citizen", "note", "Skicka ritningarna.", "visible_to_citizen", true)
		}},
		{"in_progress", func(id string) {
			e.setStatus(t, e.hanna, id, "assigned")
			e.clock.Advance(time.Hour)
			e.setStatus(t, e.hanna, id, "in_progress")
		}},
	}
	for _, tt := range contact {
		t.Run(tt.name+"_is_first_contact_once", func(t *testing.T) {
			c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov "+tt.name))
			e.clock.Advance(3 * time.Hour)
			tt.act(c.ID)
			at := e.clock.Now()
			wantFirstContact(t, e.getCase(t, e.hanna, c.ID), at, tt.name)
			// Later contact never moves it.
			e.clock.Advance(time.Hour)
			message(e.hanna, c.ID, map[string]any{"body": "En fråga till."})
			e.setStatus(t, e.hanna, c.ID, "resolved", "note", "Klart.", "visible_to_citizen", true)
			e.setStatus(t, e.hanna, c.ID, "in_progress")
			wantFirstContact(t, e.getCase(t, e.hanna, c.ID), at, "later contact")
			if stored := e.caseRow(t, c.ID)["first_contact_at"]; stored == nil {
				t.Fatal("first_contact_at is not stored")
			}
		})
	}
}

func deadlinesResolutionAndOverdue(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	submitted := e.clock.Now()
	c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för balkong"))
	other := e.submit(t, e.hanna, submitBody(exempelby, e.socialCat, "Ekonomiskt bistånd", "citizen", map[string]string{"personal_identity_number": "198112189876"}))
	if !sameInstant(c.FirstContactDue, submitted.Add(2*day)) || !sameInstant(c.ResolutionDue, submitted.Add(28*day)) {
		t.Fatalf("due %s and %s, want 2 and 28 days after %s", c.FirstContactDue, c.ResolutionDue, submitted)
	}
	overdueIDs := func() []string {
		t.Helper()
		p := e.list(t, e.hanna, "overdue=true")
		for _, x := range p.Items {
			if !x.Overdue {
				t.Fatalf("overdue=true listed %s, which is not overdue", x.Reference)
			}
		}
		return ids(p.Items)
	}
	wantOverdue := func(want bool, why string) {
		t.Helper()
		if got := e.getCase(t, e.hanna, c.ID).Overdue; got != want {
			t.Fatalf("%s: overdue = %v, want %v", why, got, want)
		}
		if listed := slices.Contains(overdueIDs(), c.ID); listed != want {
			t.Fatalf("%s: in ?overdue=true = %v, want %v", why, listed, want)
		}
	}
	wantOverdue(false, "just submitted")
	e.clock.Set(c.FirstContactDue)
	wantOverdue(false, "at the first-contact deadline")
	e.clock.Set(c.FirstContactDue.Add(time.Second))
	wantOverdue(true, "past the first-contact deadline without contact")

	contacted := e.clock.Advance(time.Hour)
	wantStatus(t, e.call(t, "POST", "/v1/cases/"+c.ID+"/messages", e.hanna, map[string]any{"body": "Vi återkommer."}), http.StatusCreated)
	wantOverdue(false, "contacted late, resolution not yet due")
	wantFirstContact(t, e.getCase(t, e.hanna, c.ID), contacted, "a late message")

	e.clock.Set(c.ResolutionDue.Add(time.Second))
	wantOverdue(true, "past the resolution deadline")

	resolvedAt := e.clock.Advance(time.Minute)
	r := e.setStatus(t, e.hanna, c.ID, "resolved", "note", "Bygglov beviljat.", "visible_to_citizen", true)
	if r.ResolvedAt == nil || !sameInstant(*r.ResolvedAt, resolvedAt) || r.Overdue {
		t.Fatalf("resolved: resolved_at %v, want %s; overdue %v", r.ResolvedAt, resolvedAt, r.Overdue)
	}
	wantOverdue(false, "resolved")

	// Reopened, it is overdue again and no longer resolved; resolved
	// again, it keeps the new time; closed, it keeps that.
	e.clock.Advance(time.Hour)
	if r := e.setStatus(t, e.hanna, c.ID, "in_progress"); r.ResolvedAt != nil || !r.Overdue {
		t.Fatalf("reopened: resolved_at %v, overdue %v", r.ResolvedAt, r.Overdue)
	}
	again := e.clock.Advance(time.Hour)
	e.setStatus(t, e.hanna, c.ID, "resolved")
	e.clock.Advance(time.Hour)
	closed := e.setStatus(t, e.hanna, c.ID, "closed")
	if closed.ResolvedAt == nil || !sameInstant(*closed.ResolvedAt, again) || closed.ClosedAt == nil || !sameInstant(*closed.ClosedAt, e.clock.Now()) {
		t.Fatalf("closed: resolved_at %v (want %s), closed_at %v", closed.ResolvedAt, again, closed.ClosedAt)
	}
	// The social case, never contacted, is overdue all along.
	if got := overdueIDs(); !slices.Contains(got, other.ID) || slices.Contains(got, c.ID) {
		t.Fatalf("overdue=true = %v, want %s and not the closed %s", got, other.ID, c.ID)
	}
}

func TestTimings(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("first_contact_is_set_once_by_the_documented_rule", func(t *testing.T) { firstContactIsSetOnceByTheDocumentedRule(t, e) })
		t.Run("deadlines_resolution_and_overdue", func(t *testing.T) { deadlinesResolutionAndOverdue(t, e) })
	})
}
