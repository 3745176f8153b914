package notifyapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/notify"
)

type deadEvent struct {
	Consumer         string     `json:"consumer"`
	EventID          string     `json:"event_id"`
	Type             string     `json:"type"`
	Attempts         int        `json:"attempts"`
	LastError        string     `json:"last_error"`
	ParkedAt         time.Time  `json:"parked_at"`
	RetryRequestedAt *time.Time `json:"retry_requested_at"`
}

// systemAdmin creates a system administrator and signs them in.
func (e *env) systemAdmin(t *testing.T) string {
	t.Helper()
	boot := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: "bootstrap", Role: core.RoleSystemAdmin})
	email, password := "drift-"+core.NewID()[:8]+"@tidbok.se", "drift-"+core.NewID()
	if _, _, err := e.server.Auth.CreateStaff(boot, auth.NewStaff{Email: email, Name: "Drift", Role: core.RoleSystemAdmin, Password: password}); err != nil {
		t.Fatal(err)
	}
	return e.http.Login(t, email, password)
}

func (e *env) deadEvents(t *testing.T, token, query string) []deadEvent {
	t.Helper()
	r := e.call(t, "GET", "/v1/consumers/dead-events"+query, token, nil)
	wantStatus(t, r, http.StatusOK)
	var list struct {
		Items []deadEvent `json:"items"`
	}
	decode(t, r, &list)
	return list.Items
}

func retryPath(consumer, eventID string) string {
	return "/v1/consumers/dead-events/" + url.PathEscape(consumer) + "/" + eventID + "/retry"
}

func (e *env) pumpNamed(t *testing.T, name string) app.Pump {
	t.Helper()
	for _, p := range e.server.Pumps {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no pump %s", name)
	return app.Pump{}
}

func (e *env) deliveries(t *testing.T, eventID string) int {
	t.Helper()
	var n int
	if err := e.d.GetContext(context.Background(), &n, e.d.Rebind(`SELECT count(*) FROM notify_deliveries WHERE event_id = ?`), eventID); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) deadEventGauge(t *testing.T, consumer string) string {
	t.Helper()
	r := e.call(t, "GET", "/metrics", "", nil)
	wantStatus(t, r, http.StatusOK)
	prefix := fmt.Sprintf("tidbok_consumer_dead_events{consumer=%q} ", consumer)
	for line := range strings.Lines(string(r.Body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			return v
		}
	}
	t.Fatalf("/metrics lacks %s", prefix)
	return ""
}

// An event no consumer can apply is parked instead of holding up every
// event after it; a system admin sees it, mends what was wrong and has it
// applied, once.
func TestPoisonEventIsParkedAndRetried(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, func(c *app.Config) { c.WebhookURLPolicy = notify.URLPolicy{AllowLoopback: true} })
		ctx := context.Background()
		sys := e.systemAdmin(t)
		wantCreated(t, e.call(t, "POST", "/v1/webhooks", e.admin, map[string]any{
			"url": "http://127.0.0.1:9/hook", "event_types": []string{"appointment.booked"}}))

		// A booking event whose payload is not JSON, as a faulty release
		// might write, and after it a meeting booked as usual.
		poison := core.NewID()
		if _, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO booking_events (id, type, aggregate_id, agency_id, payload, occurred_at)
			VALUES (?, 'appointment.booked', ?, ?, '{"appointment": ', ?)`), poison, core.NewID(), exempelby, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		a := e.book(t, e.freeSlots(t, 1)[0], map[string]string{"email": "anna@example.se"})
		booked, err := e.server.Booking.Events(ctx, 0, 100)
		if err != nil || len(booked) < 2 {
			t.Fatalf("booking's events: %d, %v", len(booked), err)
		}
		after := booked[len(booked)-1]
		if after.AggregateID != a.ID {
			t.Fatalf("the last event is not the booking's: %+v", after)
		}

		// Invalid input is permanent: parked at the first attempt, and the
		// booking after it goes to the webhook.
		hooks := e.pumpNamed(t, "webhooks<-booking")
		if _, err := hooks.Poll(ctx); err != nil {
			t.Fatalf("the pump stopped at the poison event: %v", err)
		}
		if n := e.deliveries(t, after.ID); n != 1 {
			t.Fatalf("%d deliveries of the booking after the poison event, want 1", n)
		}
		list := e.deadEvents(t, sys, "")
		if len(list) != 1 || list[0].Consumer != "webhooks<-booking" || list[0].EventID != poison || list[0].Type != "appointment.booked" ||
			list[0].Attempts != 1 || !strings.Contains(list[0].LastError, "payload") || !list[0].ParkedAt.Equal(e.clock.Now()) {
			t.Fatalf("dead events = %+v", list)
		}
		if got := e.deadEventsOf(t, sys, "notify<-booking"); len(got) != 0 {
			t.Fatalf("notify's own consumer, which ignores what it cannot read, parked %+v", got)
		}
		if v := e.deadEventGauge(t, "webhooks<-booking"); v != "1" {
			t.Fatalf("gauge = %s, want 1", v)
		}

		// Mended and retried: applied at the next poll, once.
		if _, err := d.ExecContext(ctx, d.Rebind(`UPDATE booking_events SET payload = '{"appointment": {}}' WHERE id = ?`), poison); err != nil {
			t.Fatal(err)
		}
		r := e.call(t, "POST", retryPath("webhooks<-booking", poison), sys, nil)
		wantStatus(t, r, http.StatusAccepted)
		var retried deadEvent
		decode(t, r, &retried)
		if retried.EventID != poison || retried.RetryRequestedAt == nil || retried.Attempts != 0 {
			t.Fatalf("retry answered %+v", retried)
		}
		for range 2 {
			if _, err := hooks.Poll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n, m := e.deliveries(t, poison), e.deliveries(t, after.ID); n != 1 || m != 1 {
			t.Fatalf("deliveries: %d of the retried event, %d of the next; want 1 each", n, m)
		}
		if list := e.deadEvents(t, sys, ""); len(list) != 0 {
			t.Fatalf("after the retry dead events = %+v", list)
		}
		if v := e.deadEventGauge(t, "webhooks<-booking"); v != "0" {
			t.Fatalf("gauge = %s, want 0", v)
		}
		wantStatus(t, e.call(t, "POST", retryPath("webhooks<-booking", poison), sys, nil), http.StatusNotFound)
	})
}

func (e *env) deadEventsOf(t *testing.T, token, consumer string) []deadEvent {
	t.Helper()
	return e.deadEvents(t, token, "?consumer="+url.QueryEscape(consumer))
}

// The consumers serve every agency and their errors may name any: only
// system admins see or retry their dead events.
func TestDeadEventsAreForSystemAdmins(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sys := e.systemAdmin(t)
		anna := e.signInCitizen(t, "anna@example.se", "sv")
		r := e.call(t, "POST", "/v1/clients", e.admin, map[string]any{"agency_id": exempelby, "name": "Ärendesystem",
			"scopes": []string{core.ScopeAppointmentsRead, core.ScopeWebhooksManage}})
		wantStatus(t, r, http.StatusCreated)
		var c struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		decode(t, r, &c)
		client := e.http.ClientToken(t, c.ClientID, c.ClientSecret)

		retry := retryPath("notify<-booking", core.NewID())
		for _, who := range []struct {
			name, token string
			status      int
		}{
			{"nobody signed in", "", http.StatusUnauthorized},
			{"a citizen", anna.Token, http.StatusForbidden},
			{"a caseworker", e.staff, http.StatusForbidden},
			{"an agency admin", e.admin, http.StatusForbidden},
			{"an agency's client", client, http.StatusForbidden},
		} {
			for _, call := range [][2]string{{"GET", "/v1/consumers/dead-events"}, {"POST", retry}} {
				if r := e.call(t, call[0], call[1], who.token, nil); r.Status != who.status {
					t.Errorf("%s: %s %s = %d, want %d: %s", who.name, call[0], call[1], r.Status, who.status, r.Body)
				}
			}
		}

		// A system admin's bad input names its field; unknown events are
		// not found.
		for _, c := range []struct {
			method, path, field string
		}{
			{"GET", "/v1/consumers/dead-events?limit=0", "limit"},
			{"GET", "/v1/consumers/dead-events?limit=201", "limit"},
			{"GET", "/v1/consumers/dead-events?consumer=nobody", "consumer"},
			{"POST", retryPath("notify<-booking", "not-an-id"), "event_id"},
		} {
			r := e.call(t, c.method, c.path, sys, nil)
			wantStatus(t, r, http.StatusBadRequest)
			if !strings.Contains(string(r.Body), `"`+c.field+`"`) {
				t.Errorf("%s %s: the problem does not name %s: %s", c.method, c.path, c.field, r.Body)
			}
		}
		wantStatus(t, e.call(t, "POST", retryPath("nobody", core.NewID()), sys, nil), http.StatusNotFound)
		wantStatus(t, e.call(t, "POST", retry, sys, nil), http.StatusNotFound)
		if list := e.deadEvents(t, sys, "?consumer="+url.QueryEscape(app.BookingToIntake)); len(list) != 0 {
			t.Fatalf("dead events of intake's consumer: %+v", list)
		}
	})
}

// The hourly pruning deletes the records of events consumed before its
// cutoff, and only those.
func TestPruningConsumedRecords(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.book(t, e.freeSlots(t, 1)[0], map[string]string{"email": "anna@example.se"})
		e.pump(t)
		count := func() int {
			t.Helper()
			var n int
			if err := d.GetContext(ctx, &n, `SELECT count(*) FROM notify_consumed`); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		if before == 0 {
			t.Fatal("the pumps recorded nothing consumed")
		}
		if n, err := e.server.PruneConsumed(ctx, time.Now().Add(-app.ConsumedRetention)); err != nil || n != 0 || count() != before {
			t.Fatalf("pruning records older than the retention deleted %d (%v) of today's %d", n, err, before)
		}
		if n, err := e.server.PruneConsumed(ctx, time.Now().Add(time.Minute)); err != nil || n != int64(before) || count() != 0 {
			t.Fatalf("pruning everything deleted %d (%v) of %d", n, err, before)
		}
	})
}
