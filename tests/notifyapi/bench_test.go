package notifyapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

// BenchmarkBookingToInbox measures, per booking, the time from the booking's
// commit (POST /v1/appointments has answered) to its invitations arriving at
// the SMTP server, with the pump and the sender stepped in a tight loop: the
// work itself, without the binary's polling intervals (1 s for the pump, 2 s
// for the sender), which add up to 3 s in the worst case. Run it as
//
//	TIDBOK_TEST_POSTGRES_URL=... go test ./tests/notifyapi -run '^$' -bench BookingToInbox -benchtime 100x
//
// It reports the 50th and 99th percentile for the citizen's invitation and
// the 99th for both invitations of a booking (citizen and staff member).
func BenchmarkBookingToInbox(b *testing.B) {
	backends := []struct {
		name string
		open func(testing.TB) *db.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}}
	for _, backend := range backends {
		b.Run(backend.name, func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, backend.open(b))
			slots := e.freeSlots(b, b.N)
			var citizenLatency, bothLatency []time.Duration
			b.ResetTimer()
			for i := range b.N {
				who := fmt.Sprintf("bench%04d@example.se", i)
				a := e.book(b, slots[i], map[string]string{"email": who})
				committed := time.Now()
				uid := calendar.UID(a.ID)
				var arrived map[string]time.Time
				for steps := 0; len(arrived) < 2; steps++ {
					if steps == 100 {
						b.Fatalf("booking %d: invitations did not arrive: %d mails, stored %+v", i, e.smtp.Count(), e.messages(b, ""))
					}
					for _, p := range e.server.Pumps {
						if !strings.HasPrefix(p.Name, "notify<-") {
							continue // webhooks' pumps run beside notify's, in goroutines of their own
						}
						if _, err := p.Poll(ctx); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := e.server.Sender.SendDue(ctx, 50); err != nil {
						b.Fatal(err)
					}
					arrived = arrivalTimes(b, e, uid)
				}
				citizenLatency = append(citizenLatency, arrived[who].Sub(committed))
				bothLatency = append(bothLatency, max(arrived[who].Sub(committed), arrived[bertilEmail].Sub(committed)))
			}
			b.StopTimer()
			b.ReportMetric(percentile(citizenLatency, 50), "p50-ms")
			b.ReportMetric(percentile(citizenLatency, 99), "p99-ms")
			b.ReportMetric(percentile(bothLatency, 99), "both-p99-ms")
		})
	}
}

// arrivalTimes is when each recipient's invitation with uid arrived.
func arrivalTimes(t testing.TB, e *env, uid string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	all := e.smtp.All()
	// The newest messages are the ones waited for: look from the end.
	for k := len(all) - 1; k >= 0 && k >= len(all)-10; k-- {
		if ev := all[k].Invite(t); ev != nil && ev.UID == uid {
			out[all[k].Recipient()] = all[k].At
		}
	}
	return out
}

// percentile is the p-th percentile of ds in milliseconds (nearest rank).
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 · n)
	return float64(s[max(rank, 1)-1].Microseconds()) / 1000
}
