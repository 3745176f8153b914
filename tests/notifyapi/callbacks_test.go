package notifyapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

// After three unanswered calls the citizen is told we could not reach them,
// once, in their language.
func TestUnreachableCallbackTellsTheCitizen(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.signInCitizen(t, "ringmig@example.se", "sv")
		now := e.clock.Now()
		r := e.call(t, "POST", "/v1/callbacks", c.Token, map[string]string{
			"agency_id": exempelby, "topic": "Fråga om bygglov", "phone": "070-123 45 67",
			"earliest": now.Format(time.RFC3339), "latest": now.Add(3 * time.Hour).Format(time.RFC3339),
		})
		id := wantCreated(t, r)
		for i := 0; i < 3; i++ {
			wantStatus(t, e.call(t, "POST", "/v1/callbacks/"+id+"/claim", e.staff, nil), http.StatusOK)
			wantStatus(t, e.call(t, "POST", "/v1/callbacks/"+id+"/no-answer", e.staff, nil), http.StatusOK)
		}
		e.deliver(t)
		e.deliver(t) // a second round sends nothing more
		var told int
		for _, m := range e.mailTo("ringmig@example.se") {
			if m.Subject == "Vi nådde dig inte på telefon" {
				told++
			}
		}
		if told != 1 {
			t.Fatalf("the citizen was told %d times, want once", told)
		}
	})
}
