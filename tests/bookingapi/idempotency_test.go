package bookingapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		post := func(t *testing.T, path, key string, body any) response {
			t.Helper()
			return e.call(t, "POST", path, anna.Token, body, "Idempotency-Key", key)
		}

		t.Run("a retry with the same key and body gets the first answer and books nothing more", func(t *testing.T) {
			key := core.NewID()
			body := e.bookBody(at(2, 9, 0), "video")
			first := post(t, "/v1/appointments", key, body)
			a := wantAppointment(t, first, http.StatusCreated)
			before := e.rowCounts(t)
			again := post(t, "/v1/appointments", key, body)
			if again.Status != http.StatusCreated || !bytes.Equal(again.Body, first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("retry = %d %s (replayed %q), want the first answer %s", again.Status, again.Body, again.Header.Get("Idempotent-Replayed"), first.Body)
			}
			if again.Header.Get("ETag") != a.etag || again.Header.Get("Location") != "/v1/appointments/"+a.ID {
				t.Fatalf("replayed headers ETag %q Location %q", again.Header.Get("ETag"), again.Header.Get("Location"))
			}
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
		})

		t.Run("the same key with another body is 422", func(t *testing.T) {
			key := core.NewID()
			wantStatus(t, post(t, "/v1/appointments", key, e.bookBody(at(2, 10, 0), "video")), http.StatusCreated)
			before := e.rowCounts(t)
			wantProblem(t, post(t, "/v1/appointments", key, e.bookBody(at(2, 10, 30), "video")), http.StatusUnprocessableEntity)
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
		})

		t.Run("a retried cancellation answers as the first did instead of 409", func(t *testing.T) {
			a := e.book(t, e.workerA, e.bookBody(at(3, 9, 0), "video", "citizen", map[string]any{"personal_identity_number": personalNumber(3)}))
			key := core.NewID()
			path := "/v1/appointments/" + a.ID + "/cancel"
			first := e.call(t, "POST", path, e.workerA, map[string]string{"reason": "Sjuk"}, "Idempotency-Key", key)
			wantStatus(t, first, http.StatusOK)
			again := e.call(t, "POST", path, e.workerA, map[string]string{"reason": "Sjuk"}, "Idempotency-Key", key)
			if again.Status != http.StatusOK || !bytes.Equal(again.Body, first.Body) {
				t.Fatalf("retry = %d %s", again.Status, again.Body)
			}
			if evs := e.events(t, a.ID); len(evs) != 2 {
				t.Fatalf("events = %v, want booked and one cancelled", eventTypes(evs))
			}
			// Without the key the second cancellation is what it is: a conflict.
			wantProblem(t, e.call(t, "POST", path, e.workerA, map[string]string{"reason": "Sjuk"}), http.StatusConflict)
		})

		t.Run("a retried claim-next gets the same request instead of claiming a second", func(t *testing.T) {
			for i := range 2 {
				wantStatus(t, e.call(t, "POST", "/v1/callbacks", e.client, e.callbackBody(80+i)), http.StatusCreated)
			}
			key := core.NewID()
			var first, again callbackAnswer
			decode(t, e.call(t, "POST", "/v1/callbacks/claim-next", e.workerA, nil, "Idempotency-Key", key), &first)
			decode(t, e.call(t, "POST", "/v1/callbacks/claim-next", e.workerA, nil, "Idempotency-Key", key), &again)
			if first.ID == "" || again.ID != first.ID {
				t.Fatalf("claimed %s, then %s on the retry", first.ID, again.ID)
			}
			if n := e.count(t, "SELECT count(*) FROM booking_callbacks WHERE status = 'claimed'"); n != 1 {
				t.Fatalf("%d requests claimed, want 1", n)
			}
		})

		t.Run("twenty concurrent requests with one key create one appointment", func(t *testing.T) {
			const n = 20
			key := core.NewID()
			body := e.bookBody(at(4, 9, 0), "video", "citizen", map[string]any{"personal_identity_number": personalNumber(4)})
			before := e.count(t, "SELECT count(*) FROM booking_appointments")
			answers := e.race(t, n, func(int) *http.Request {
				return e.request(t, "POST", "/v1/appointments", e.client, body, "Idempotency-Key", key)
			})
			ids := map[string]bool{}
			for _, r := range answers {
				ids[wantAppointment(t, r, http.StatusCreated).ID] = true
			}
			if len(ids) != 1 {
				t.Fatalf("%d different appointments in the answers, want one: %v", len(ids), ids)
			}
			if after := e.count(t, "SELECT count(*) FROM booking_appointments"); after != before+1 {
				t.Fatalf("appointments %d → %d, want one more", before, after)
			}
		})

		t.Run("keys belong to the caller: another caller's same key is a new request", func(t *testing.T) {
			key := core.NewID()
			body := e.bookBody(at(5, 9, 0), "video")
			cecilia := e.signInCitizen(t, "cecilia@example.se")
			a := wantAppointment(t, e.call(t, "POST", "/v1/appointments", cecilia.Token, body, "Idempotency-Key", key), http.StatusCreated)
			bo := e.signInCitizen(t, "bo@example.se")
			b := wantAppointment(t, e.call(t, "POST", "/v1/appointments", bo.Token, body, "Idempotency-Key", key), http.StatusCreated)
			if a.ID == b.ID || b.CitizenID != bo.ID {
				t.Fatalf("Bo got %+v after Cecilia's %+v with the same key", b, a)
			}
		})
	})
}
