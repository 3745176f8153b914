package bookingapi_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/demo"
)

// The demo books a few appointments and call-backs in the future, and has a
// history of meetings two weeks ago, through booking's store; loading it
// again changes nothing.
func TestDemoAppointments(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		stores := demo.Stores{Directory: bookingstore.New(d), Accounts: authstore.New(d), Schedules: bookingstore.New(d),
			Appointments: bookingstore.New(d), Citizens: authstore.New(d)}
		secrets := demo.Secrets{Password: "demo-" + time.Now().Format("150405.000"), ClientSecret: "tbs_demo-secret-for-the-test"}
		before := time.Now()
		creds, err := demo.Load(ctx, stores, secrets)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		first := e.rowCounts(t)
		if first["booking_appointments"] != 5+4 || first["booking_callbacks"] != 2+1 || first["booking_events"] != 7+5 {
			t.Fatalf("after the first load: %v, want 5 appointments and 2 call-backs ahead, 4 and 1 past, and their 12 events", first)
		}
		if _, err := demo.Load(ctx, stores, secrets); err != nil {
			t.Fatalf("load again: %v", err)
		}
		if again := e.rowCounts(t); !mapsEqual(first, again) {
			t.Fatalf("rows after the first load %v, after the second %v", first, again)
		}
		if n := e.count(t, "SELECT count(*) FROM booking_appointments WHERE status = 'booked' AND starts_at <= ?", before.UTC()); n != 0 {
			t.Fatalf("%d booked demo appointments are not in the future", n)
		}
		if n := e.count(t, "SELECT count(*) FROM booking_appointments WHERE status <> 'booked' AND starts_at >= ?", before.AddDate(0, 0, -14).UTC()); n != 0 {
			t.Fatalf("%d past demo appointments are less than two weeks old", n)
		}
		if n := e.overlaps(t); n != 0 {
			t.Fatalf("%d overlapping blocks", n)
		}

		t.Run("a demo citizen signs in and sees their appointments", func(t *testing.T) {
			anna := e.signInCitizen(t, "anna.andersson@example.se")
			if anna.ID != demo.AnnaID {
				t.Fatalf("signed in as %s, want the demo's Anna %s", anna.ID, demo.AnnaID)
			}
			var page struct {
				Items []appointment `json:"items"`
			}
			r := e.call(t, "GET", "/v1/appointments", anna.Token, nil)
			wantStatus(t, r, http.StatusOK)
			decode(t, r, &page)
			if len(page.Items) != 2 {
				t.Fatalf("Anna sees %d appointments, want 2", len(page.Items))
			}
		})

		t.Run("the demo client lists its agency's appointments and call-back queue", func(t *testing.T) {
			token := e.clientToken(t, creds.Clients[0].ClientID, creds.Clients[0].ClientSecret)
			var page struct {
				Items []appointment `json:"items"`
			}
			r := e.call(t, "GET", "/v1/appointments", token, nil)
			wantStatus(t, r, http.StatusOK)
			decode(t, r, &page)
			if len(page.Items) != 3+3 {
				t.Fatalf("Exempelby lists %d appointments, want 3 ahead and 3 past", len(page.Items))
			}
			var queue struct {
				Items []callbackAnswer `json:"items"`
			}
			r = e.call(t, "GET", "/v1/callbacks", token, nil)
			wantStatus(t, r, http.StatusOK)
			decode(t, r, &queue)
			if len(queue.Items) != 1 || queue.Items[0].Status != "waiting" {
				t.Fatalf("Exempelby's queue = %+v", queue.Items)
			}
		})

		t.Run("the demo has statistics to show", func(t *testing.T) {
			now := time.Now().In(stockholm)
			st := e.statistics(t, e.clientToken(t, creds.Clients[0].ClientID, creds.Clients[0].ClientSecret), url.Values{
				"from": {now.AddDate(0, 0, -40).Format(time.DateOnly)}, "to": {now.AddDate(0, 0, 40).Format(time.DateOnly)}})
			tot := st.Totals
			if tot.Upcoming != 3 || tot.Fulfilled != 3 || tot.FulfilledByCallback != 1 || tot.NoShow != 1 || rateOf(tot.NoShowRate) != 0.3333 {
				t.Fatalf("Exempelby's statistics = %+v", tot)
			}
		})
	})
}
