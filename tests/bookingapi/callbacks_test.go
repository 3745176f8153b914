package bookingapi_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

func TestCallMeBack(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		bo := e.signInCitizen(t, "bo@example.se")
		request := func(t *testing.T, token string, body map[string]any) callbackAnswer {
			t.Helper()
			r := e.call(t, "POST", "/v1/callbacks", token, body)
			wantStatus(t, r, http.StatusCreated)
			var cb callbackAnswer
			decode(t, r, &cb)
			return cb
		}
		window := func(from, to time.Time) map[string]any {
			return map[string]any{"agency_id": e.agencyA, "meeting_type_id": e.meetingType, "phone": "070-123 45 67",
				"earliest": from.Format(time.RFC3339), "latest": to.Format(time.RFC3339)}
		}
		list := func(t *testing.T, token string) []callbackAnswer {
			t.Helper()
			r := e.call(t, "GET", "/v1/callbacks", token, nil)
			wantStatus(t, r, http.StatusOK)
			var page struct {
				Items []callbackAnswer `json:"items"`
			}
			decode(t, r, &page)
			return page.Items
		}
		act := func(t *testing.T, cb callbackAnswer, verb, token string) response {
			t.Helper()
			return e.call(t, "POST", "/v1/callbacks/"+cb.ID+"/"+verb, token, nil)
		}
		var queue []callbackAnswer

		t.Run("a request gets its queue position and an estimate from the staff's phone hours", func(t *testing.T) {
			// Three staff take calls from 08:00 on a 30-minute grid: the
			// first three in the queue can expect a call at 08:00, the
			// fourth at 08:30.
			wantAt := []time.Time{at(1, 8, 0), at(1, 8, 0), at(1, 8, 0), at(1, 8, 30)}
			for i, want := range wantAt {
				token := anna.Token
				if i%2 == 1 {
					token = bo.Token
				}
				cb := request(t, token, window(at(1, 7, 0), at(1, 12, 0)))
				if cb.Position != i+1 || cb.Status != "waiting" {
					t.Fatalf("request %d: position %d, status %s", i+1, cb.Position, cb.Status)
				}
				if cb.Estimate != want.Format(time.RFC3339) {
					t.Fatalf("request %d: estimated %q, want %s", i+1, cb.Estimate, want.Format(time.RFC3339))
				}
				if evs := e.events(t, cb.ID); !slices.Equal(eventTypes(evs), []string{"callback.requested"}) {
					t.Fatalf("events = %v", eventTypes(evs))
				}
				queue = append(queue, cb)
			}
		})

		t.Run("the call is in the citizen's language unless the request asks for another", func(t *testing.T) {
			var me struct {
				Citizen struct {
					Language string `json:"language"`
				} `json:"citizen"`
			}
			decode(t, e.call(t, "GET", "/v1/me", anna.Token, nil), &me)
			if queue[0].Language != me.Citizen.Language {
				t.Fatalf("language = %q without Accept-Language, want Anna's %q", queue[0].Language, me.Citizen.Language)
			}
			// An integration asks for a citizen it registers (in Swedish, the
			// register's default), then one asks in English.
			body := window(at(2, 9, 0), at(2, 12, 0))
			body["citizen"] = map[string]any{"personal_identity_number": personalNumber(60)}
			for _, c := range []struct{ acceptLanguage, want string }{{"", "sv"}, {"en", "en"}} {
				var header []string
				if c.acceptLanguage != "" {
					header = []string{"Accept-Language", c.acceptLanguage}
				}
				r := e.call(t, "POST", "/v1/callbacks", e.client, body, header...)
				wantStatus(t, r, http.StatusCreated)
				var cb callbackAnswer
				decode(t, r, &cb)
				if cb.Language != c.want {
					t.Fatalf("language = %q with Accept-Language %q, want %s", cb.Language, c.acceptLanguage, c.want)
				}
				wantStatus(t, e.call(t, "POST", "/v1/callbacks/"+cb.ID+"/withdraw", e.client, nil), http.StatusOK)
			}
		})

		t.Run("no estimate when nobody takes calls in the window", func(t *testing.T) {
			cb := request(t, anna.Token, window(at(6, 10, 0), at(6, 14, 0))) // a Saturday
			if cb.Estimate != "" || cb.Position != 5 {
				t.Fatalf("Saturday request = %+v, want position 5 and no estimate", cb)
			}
			queue = append(queue, cb)
		})

		t.Run("staff list the queue in order and claim-next takes its head", func(t *testing.T) {
			got := list(t, e.workerA)
			var ids []string
			for _, cb := range got {
				ids = append(ids, cb.ID)
			}
			want := []string{queue[0].ID, queue[1].ID, queue[2].ID, queue[3].ID, queue[4].ID}
			if !slices.Equal(ids, want) {
				t.Fatalf("queue = %v, want %v", ids, want)
			}
			r := e.call(t, "POST", "/v1/callbacks/claim-next", e.workerA, nil)
			wantStatus(t, r, http.StatusOK)
			var cb callbackAnswer
			decode(t, r, &cb)
			if cb.ID != queue[0].ID || cb.Status != "claimed" {
				t.Fatalf("claimed %+v, want the head %s", cb, queue[0].ID)
			}
			wantProblem(t, act(t, cb, "claim", e.adminA), http.StatusConflict)
		})

		t.Run("only the claimer completes and then the request is closed", func(t *testing.T) {
			wantProblem(t, act(t, queue[0], "complete", e.adminA), http.StatusConflict)
			r := act(t, queue[0], "complete", e.workerA)
			wantStatus(t, r, http.StatusOK)
			var cb callbackAnswer
			decode(t, r, &cb)
			if cb.Status != "completed" {
				t.Fatalf("status = %s", cb.Status)
			}
			for _, verb := range []string{"claim", "complete", "no-answer", "withdraw"} {
				wantProblem(t, act(t, queue[0], verb, e.workerA), http.StatusConflict)
			}
			if evs := e.events(t, queue[0].ID); !slices.Equal(eventTypes(evs), []string{"callback.requested", "callback.claimed", "callback.completed"}) {
				t.Fatalf("events = %v", eventTypes(evs))
			}
			has := func(l []callbackAnswer) bool {
				return slices.ContainsFunc(l, func(c callbackAnswer) bool { return c.ID == queue[0].ID })
			}
			if has(list(t, e.workerA)) {
				t.Fatal("a completed request is still in the staff's queue")
			}
			var done struct {
				Items []callbackAnswer `json:"items"`
			}
			decode(t, e.call(t, "GET", "/v1/callbacks?status=completed", e.workerA, nil), &done)
			if !has(done.Items) {
				t.Fatalf("?status=completed lists %+v", done.Items)
			}
		})

		t.Run("three unanswered calls make the request unreachable", func(t *testing.T) {
			cb := queue[1]
			for attempt := 1; attempt <= 3; attempt++ {
				wantStatus(t, act(t, cb, "claim", e.workerA), http.StatusOK)
				r := act(t, cb, "no-answer", e.workerA)
				wantStatus(t, r, http.StatusOK)
				var got callbackAnswer
				decode(t, r, &got)
				want := "waiting"
				if attempt == 3 {
					want = "unreachable"
				}
				if got.Status != want || got.Attempts != attempt || got.Claimed != "" {
					t.Fatalf("after attempt %d: %+v, want %s", attempt, got, want)
				}
			}
			wantProblem(t, act(t, cb, "claim", e.workerA), http.StatusConflict)
			want := []string{"callback.requested",
				"callback.claimed", "callback.no_answer", "callback.claimed", "callback.no_answer",
				"callback.claimed", "callback.unreachable"}
			evs := e.events(t, cb.ID)
			if !slices.Equal(eventTypes(evs), want) {
				t.Fatalf("events = %v, want %v", eventTypes(evs), want)
			}
			if last := evs[len(evs)-1].Payload.Callback; last.Status != "unreachable" || last.Attempts != 3 {
				t.Fatalf("unreachable event = %+v", last)
			}
		})

		t.Run("a citizen sees and withdraws their own request only", func(t *testing.T) {
			mine := list(t, bo.Token)
			if len(mine) != 2 || mine[0].ID != queue[1].ID || mine[1].ID != queue[3].ID {
				t.Fatalf("Bo sees %+v", mine)
			}
			before := e.rowCounts(t)
			for _, verb := range []string{"withdraw", "claim", "complete", "no-answer"} {
				wantProblem(t, act(t, queue[3], verb, anna.Token), http.StatusNotFound) // Anna and Bo's request
			}
			wantProblem(t, act(t, queue[3], "claim", bo.Token), http.StatusForbidden) // his own: only staff call
			wantProblem(t, act(t, queue[3], "claim", e.client), http.StatusForbidden)
			wantProblem(t, act(t, queue[3], "withdraw", e.adminB), http.StatusNotFound)
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
			r := act(t, queue[3], "withdraw", bo.Token)
			wantStatus(t, r, http.StatusOK)
			var got callbackAnswer
			decode(t, r, &got)
			if got.Status != "withdrawn" {
				t.Fatalf("status = %s", got.Status)
			}
			wantProblem(t, act(t, queue[3], "withdraw", bo.Token), http.StatusConflict)
			if evs := e.events(t, queue[3].ID); !slices.Equal(eventTypes(evs), []string{"callback.requested", "callback.withdrawn"}) {
				t.Fatalf("events = %v", eventTypes(evs))
			}
		})

		t.Run("bad requests write nothing", func(t *testing.T) {
			before := e.rowCounts(t)
			cases := []struct {
				body  map[string]any
				field string
			}{
				{map[string]any{"agency_id": e.agencyA, "phone": "0701234567", "earliest": at(1, 9, 0).Format(time.RFC3339), "latest": at(1, 12, 0).Format(time.RFC3339)}, "topic"},
				{window(at(1, 12, 0), at(1, 9, 0)), "latest"},
				{window(at(1, 6, 0), at(1, 7, 10)), "latest"},
				{window(at(1, 9, 0), at(20, 9, 0)), "latest"},
				{map[string]any{"agency_id": e.agencyA, "topic": "Fråga", "phone": "ring mig", "earliest": at(1, 9, 0).Format(time.RFC3339), "latest": at(1, 12, 0).Format(time.RFC3339)}, "phone"},
			}
			for _, c := range cases {
				wantProblem(t, e.call(t, "POST", "/v1/callbacks", anna.Token, c.body), http.StatusBadRequest, c.field)
			}
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
		})
	})
}
