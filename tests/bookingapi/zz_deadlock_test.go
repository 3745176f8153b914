package bookingapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db/dbtest"
)

func TestScratchCrossReschedule(t *testing.T) {
	d := dbtest.Postgres(t)
	e := newEnv(t, d)
	s1, s2 := e.staff[0], e.staff[1]
	bad := map[int]int{}
	for round := 0; round < 30; round++ {
		day := 2 + round%4
		base := 8 + (round/4)%4
		a1 := e.book(t, e.workerA, e.bookBody(at(day, base, 0), "video", "staff_id", s1, "citizen", map[string]any{"personal_identity_number": personalNumber(300 + 2*round)}))
		a2 := e.book(t, e.workerA, e.bookBody(at(day, base, 30), "video", "staff_id", s2, "citizen", map[string]any{"personal_identity_number": personalNumber(301 + 2*round)}))
		rs := e.race(t, 2, func(i int) *http.Request {
			if i == 0 {
				return e.request(t, "POST", "/v1/appointments/"+a1.ID+"/reschedule", e.workerA, map[string]any{"start": at(day, base+4, 0).Format(time.RFC3339), "staff_id": s2})
			}
			return e.request(t, "POST", "/v1/appointments/"+a2.ID+"/reschedule", e.workerA, map[string]any{"start": at(day, base+4, 30).Format(time.RFC3339), "staff_id": s1})
		})
		for _, r := range rs {
			bad[r.Status]++
			if r.Status != 200 {
				t.Logf("%d %s", r.Status, r.Body)
			}
		}
	}
	t.Logf("statuses %v", bad)
}
