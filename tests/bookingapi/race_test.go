package bookingapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
)

// race sends the n requests build makes at once — they all wait for one
// signal — and returns the answers in order. Goroutines cannot stop the
// test, so transport failures come back as errors.
func (e *apptEnv) race(t *testing.T, n int, build func(i int) *http.Request) []response {
	t.Helper()
	reqs := make([]*http.Request, n)
	for i := range n {
		reqs[i] = build(i)
	}
	out := make([]response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	startSignal := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-startSignal
			res, err := e.srv.Client().Do(reqs[i])
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			out[i], errs[i] = response{Status: res.StatusCode, Header: res.Header, Body: body}, err
		}()
	}
	close(startSignal)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	return out
}

// firstOther returns the body of an answer neither 201 nor 409, if any.
func firstOther(byStatus map[int][]response) string {
	for status, rs := range byStatus {
		if status != http.StatusCreated && status != http.StatusConflict {
			return string(rs[0].Body)
		}
	}
	return "none"
}

func byStatus(rs []response) map[int][]response {
	out := map[int][]response{}
	for _, r := range rs {
		out[r.Status] = append(out[r.Status], r)
	}
	return out
}

func statusCounts(rs []response) map[int]int {
	out := map[int]int{}
	for _, r := range rs {
		out[r.Status]++
	}
	return out
}

// The races of bookings, on one server per backend, each on days of its own.
func TestConcurrentBookings(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)

		// Three win, each with another staff member; 47 get a 409 that
		// points to fresh availability; and no staff member's blocks overlap.
		t.Run("fifty bookings of one slot with three free staff members", func(t *testing.T) {
			const n = 50
			slot := at(2, 10, 0)
			if free := e.freeStaff(t, slot, "video"); len(free) != len(e.staff) {
				t.Fatalf("free before = %v", free)
			}
			answers := e.race(t, n, func(i int) *http.Request {
				return e.request(t, "POST", "/v1/appointments", e.client, e.bookBody(slot, "video",
					"citizen", map[string]any{"personal_identity_number": personalNumber(200 + i)}))
			})
			got := byStatus(answers)
			if len(got[http.StatusCreated]) != len(e.staff) || len(got[http.StatusConflict]) != n-len(e.staff) {
				t.Fatalf("answers by status = %v, want %d × 201 and %d × 409; first unexpected: %s",
					statusCounts(answers), len(e.staff), n-len(e.staff), firstOther(got))
			}
			staff := map[string]bool{}
			for _, r := range got[http.StatusCreated] {
				a := wantAppointment(t, r, http.StatusCreated)
				staff[a.StaffID] = true
			}
			if len(staff) != len(e.staff) {
				t.Fatalf("winners' staff = %v, want three different", staff)
			}
			for _, r := range got[http.StatusConflict] {
				wantTaken(t, r)
			}
			if n := e.overlaps(t); n != 0 {
				t.Fatalf("%d overlapping pairs of blocks", n)
			}
			if n := e.count(t, "SELECT count(*) FROM booking_appointments"); n != len(e.staff) {
				t.Fatalf("%d appointments stored", n)
			}
			if n := e.count(t, "SELECT count(*) FROM booking_events WHERE type = 'appointment.booked'"); n != len(e.staff) {
				t.Fatalf("%d booked events", n)
			}
			if d.Dialect == db.Postgres {
				if n := e.count(t, `SELECT count(*) FROM pg_constraint WHERE conrelid = 'booking_blocks'::regclass AND contype = 'x'`); n != 1 {
					t.Fatalf("%d exclusion constraints on booking_blocks, want 1", n)
				}
			}
			if free := e.freeStaff(t, slot, "video"); len(free) != 0 {
				t.Fatalf("free after = %v", free)
			}
		})

		// One citizen double-clicking: the maximum of active bookings holds
		// under concurrency too.
		t.Run("one citizen's ten concurrent bookings keep the maximum of two", func(t *testing.T) {
			anna := e.signInCitizen(t, "anna@example.se")
			const n = 10
			answers := e.race(t, n, func(i int) *http.Request {
				return e.request(t, "POST", "/v1/appointments", anna.Token, e.bookBody(at(15+i/5, 9+i%5, 0), "video"))
			})
			got := statusCounts(answers)
			if got[http.StatusCreated] != 2 || got[http.StatusConflict] != n-2 {
				t.Fatalf("answers by status = %v, want 2 × 201 (the maximum) and %d × 409", got, n-2)
			}
			if k := e.count(t, "SELECT count(*) FROM booking_appointments WHERE citizen_id = ?", anna.ID); k != 2 {
				t.Fatalf("%d appointments stored for the citizen", k)
			}
		})

		// Two staff members' appointments moved to each other at the same
		// moment: each move frees time of one and takes time of the other.
		// Neither may fail (before the fix, about one in ten such pairs
		// deadlocked on PostgreSQL and answered 503), and no blocks overlap.
		t.Run("moves between two staff members in opposite directions at once", func(t *testing.T) {
			s1, s2 := e.staff[0], e.staff[1]
			days := []int{3, 4, 5, 8, 9, 10, 11}
			statuses := map[int]int{}
			for round := range 3 * len(days) {
				day, hour := days[round/3], 8+(round%3)*2
				book := func(minute int, staff string, n int) appointment {
					return e.book(t, e.workerA, e.bookBody(at(day, hour, minute), "video", "staff_id", staff,
						"citizen", map[string]any{"personal_identity_number": personalNumber(300 + 2*round + n)}))
				}
				a1, a2 := book(0, s1, 0), book(30, s2, 1)
				answers := e.race(t, 2, func(i int) *http.Request {
					a, to, staff := a1, at(day, hour+1, 0), s2
					if i == 1 {
						a, to, staff = a2, at(day, hour+1, 30), s1
					}
					return e.request(t, "POST", "/v1/appointments/"+a.ID+"/reschedule", e.workerA,
						map[string]any{"start": to.Format(time.RFC3339), "staff_id": staff})
				})
				for _, r := range answers {
					statuses[r.Status]++
				}
			}
			if statuses[http.StatusOK] != 6*len(days) {
				t.Fatalf("answers by status = %v, want every move to succeed", statuses)
			}
			if n := e.overlaps(t); n != 0 {
				t.Fatalf("%d overlapping pairs of blocks", n)
			}
		})
	})
}

// callbackBody asks for a call-back for a citizen given by number, in a
// window from now to four hours on.
func (e *apptEnv) callbackBody(i int) map[string]any {
	now := e.clock.Now()
	return map[string]any{"agency_id": e.agencyA, "topic": fmt.Sprintf("Fråga %d", i), "phone": "070-555 00 " + fmt.Sprintf("%02d", i%100),
		"earliest": now.Format(time.RFC3339), "latest": now.Add(4 * time.Hour).Format(time.RFC3339),
		"citizen": map[string]any{"personal_identity_number": personalNumber(500 + i)}}
}

// callers are staff of agency A who take calls, signed in.
func (e *apptEnv) callers(t *testing.T, n int) []string {
	t.Helper()
	out := []string{e.workerA}
	for i := 1; i < n; i++ {
		out = append(out, e.login(t, e.seedStaff(t, fmt.Sprintf("caller%d@a.test", i), core.RoleCaseworker, e.agencyA)))
	}
	return out
}

type callbackAnswer struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Position int    `json:"queue_position"`
	Estimate string `json:"estimated_call_at"`
	Claimed  string `json:"claimed_by"`
	Language string `json:"language"`
}

func TestConcurrentCallbackClaims(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		callers := e.callers(t, 5)

		t.Run("twenty claims of one request: exactly one wins", func(t *testing.T) {
			var cb callbackAnswer
			decode(t, e.call(t, "POST", "/v1/callbacks", e.client, e.callbackBody(1)), &cb)
			answers := e.race(t, 20, func(i int) *http.Request {
				return e.request(t, "POST", "/v1/callbacks/"+cb.ID+"/claim", callers[i%len(callers)], nil)
			})
			got := byStatus(answers)
			if len(got[http.StatusOK]) != 1 || len(got[http.StatusConflict]) != 19 {
				t.Fatalf("answers by status = %v, want 1 × 200 and 19 × 409", statusCounts(answers))
			}
			if evs := e.events(t, cb.ID); len(evs) != 2 || evs[1].Type != "callback.claimed" {
				t.Fatalf("events = %v", eventTypes(evs))
			}
		})

		t.Run("twenty claim-next calls with five waiting: five distinct winners, fifteen 404", func(t *testing.T) {
			waiting := map[string]bool{}
			for i := range 5 {
				var cb callbackAnswer
				r := e.call(t, "POST", "/v1/callbacks", e.client, e.callbackBody(10+i))
				wantStatus(t, r, http.StatusCreated)
				decode(t, r, &cb)
				waiting[cb.ID] = true
			}
			answers := e.race(t, 20, func(i int) *http.Request {
				return e.request(t, "POST", "/v1/callbacks/claim-next", callers[i%len(callers)], nil)
			})
			got := byStatus(answers)
			if len(got[http.StatusOK]) != 5 || len(got[http.StatusNotFound]) != 15 {
				t.Fatalf("answers by status = %v, want 5 × 200 and 15 × 404", statusCounts(answers))
			}
			won := map[string]bool{}
			for _, r := range got[http.StatusOK] {
				var cb callbackAnswer
				if err := json.Unmarshal(r.Body, &cb); err != nil {
					t.Fatal(err)
				}
				if !waiting[cb.ID] || won[cb.ID] || cb.Status != "claimed" {
					t.Fatalf("claimed %+v: not one of the five, or twice", cb)
				}
				won[cb.ID] = true
			}
			for _, r := range got[http.StatusNotFound] {
				wantProblem(t, r, http.StatusNotFound)
			}
			if n := e.count(t, "SELECT count(*) FROM booking_events WHERE type = 'callback.claimed'"); n != 1+5 {
				t.Fatalf("%d claimed events, want 6", n)
			}
		})
	})
}

func TestConcurrentHoldsOfOneCitizen(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		dora := e.signInCitizen(t, "dora@example.se")
		// Ten different times at once: the limit holds under concurrency.
		rs := e.race(t, 10, func(i int) *http.Request {
			return e.request(t, "POST", "/v1/availability/holds", dora.Token, map[string]any{
				"meeting_type_id": e.meetingType, "mode": "video", "start": at(2, 9+i/2, 30*(i%2)).Format(time.RFC3339)})
		})
		got := byStatus(rs)
		if len(got[http.StatusCreated]) != booking.DefaultMaxCitizenHolds || len(got[http.StatusConflict]) != 10-booking.DefaultMaxCitizenHolds {
			counts := map[int]int{}
			for s, list := range got {
				counts[s] = len(list)
			}
			t.Fatalf("answers by status = %v, want %d × 201 and the rest 409", counts, booking.DefaultMaxCitizenHolds)
		}
	})
}
