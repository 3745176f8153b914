package webhookhttp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/webhookhttp"
)

type testClock = coretest.Clock

// fixture is the whole delivery path on a real database: the service, the
// store, a dispatcher with the real HTTP sender, and a receiver.
type fixture struct {
	clock      *testClock
	store      *notifystore.WebhookStore
	svc        notify.WebhookService
	dispatcher *notify.WebhookDispatcher
	recv       *receiver
	agency     string
	admin      context.Context
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	clock := coretest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	store := notifystore.NewWebhookStore(d)
	policy := notify.URLPolicy{AllowLoopback: true}
	agency := core.NewID()
	return &fixture{
		clock: clock,
		store: store,
		svc:   notify.NewWebhookService(store, clock, notify.WithWebhookURLPolicy(policy)),
		dispatcher: &notify.WebhookDispatcher{Repo: store, Sender: webhookhttp.NewSender(policy), Clock: clock,
			Jitter: func(d time.Duration) time.Duration { return d }},
		recv:   newReceiver(t, clock.Now),
		agency: agency,
		admin: core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(),
			Role: core.RoleAgencyAdmin, AgencyID: agency}),
	}
}

func (f *fixture) subscribe(t *testing.T, path string, types ...string) notify.Webhook {
	t.Helper()
	w, err := f.svc.CreateWebhook(f.admin, notify.NewWebhook{URL: f.recv.URL(path), EventTypes: types})
	if err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	f.recv.register(path, w.Secret)
	t.Cleanup(func() {
		if _, err := f.svc.DisableWebhook(f.admin, w.ID); err != nil {
			t.Errorf("disable webhook after the scenario: %v", err)
		}
	})
	return w
}

// enqueue publishes a new event of eventType for the fixture's agency and
// returns its id.
func (f *fixture) enqueue(t *testing.T, eventType string) string {
	t.Helper()
	id := core.NewID()
	if err := f.svc.Enqueue(context.Background(), f.agency, id, eventType, fmt.Appendf(nil, `{"id":%q}`, id)); err != nil {
		t.Fatalf("enqueue %s: %v", eventType, err)
	}
	return id
}

func (f *fixture) dispatch(t *testing.T) int {
	t.Helper()
	n, err := f.dispatcher.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("dispatch: %v", err)
	}
	return n
}

func (f *fixture) deliveries(t *testing.T, webhookID string) []notify.Delivery {
	t.Helper()
	p, err := f.svc.ListDeliveries(f.admin, notify.DeliveryFilter{WebhookID: webhookID})
	if err != nil {
		t.Fatalf("list deliveries: %v", err)
	}
	return p.Deliveries
}

// only returns a webhook's one delivery.
func (f *fixture) only(t *testing.T, webhookID string) notify.Delivery {
	t.Helper()
	ds := f.deliveries(t, webhookID)
	if len(ds) != 1 {
		t.Fatalf("webhook has %d deliveries, want 1", len(ds))
	}
	return ds[0]
}

// exhaust dispatches a failing delivery at each of its retry times until
// it is no longer pending, and returns it.
func (f *fixture) exhaust(t *testing.T, webhookID string) notify.Delivery {
	t.Helper()
	for range 50 {
		if n := f.dispatch(t); n != 1 {
			t.Fatalf("dispatched %d deliveries at %v, want 1", n, f.clock.Now())
		}
		d := f.only(t, webhookID)
		if d.Status != notify.DeliveryPending {
			return d
		}
		f.clock.Set(d.NextAttemptAt)
	}
	t.Fatal("the delivery was still pending after 50 attempts")
	return notify.Delivery{}
}

// TestWebhookDelivery runs every delivery scenario on both databases. The
// scenarios share one database per backend, each with its own agency; a
// fixture disables its webhooks when its scenario ends, which fails what it
// left pending, so no later scenario's dispatcher picks it up.
func TestWebhookDelivery(t *testing.T) {
	scenarios := []struct {
		name string
		run  func(t *testing.T, d *db.DB)
	}{
		{"a delivery arrives signed", testADeliveryArrivesSigned},
		{"retries back off until the receiver recovers", testRetriesBackOffUntilTheReceiverRecovers},
		{"a delivery fails after a day of retries", testADeliveryFailsAfterADayOfRetries},
		{"an admin redelivers by hand", testAnAdminRedeliversByHand},
		{"a replayed event creates nothing new", testAReplayedEventCreatesNothingNew},
		{"events go only where subscribed", testEventsGoOnlyWhereSubscribed},
		{"disabling a webhook stops its deliveries", testDisablingAWebhookStopsItsDeliveries},
		{"dispatchers share the work", testDispatchersShareTheWork},
		{"run dispatches until its context ends", testRunDispatchesUntilStopped},
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) { sc.run(t, d) })
		}
	})
}

func testADeliveryArrivesSigned(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	w := f.subscribe(t, "/crm", "appointment.booked")
	ev := f.enqueue(t, "appointment.booked")

	if n := f.dispatch(t); n != 1 {
		t.Fatalf("dispatched %d, want 1", n)
	}
	calls := f.recv.got(t) // verified with the webhook's secret
	if len(calls) != 1 || calls[0].Header.Get("webhook-id") != ev ||
		calls[0].Header.Get("webhook-timestamp") != strconv.FormatInt(f.clock.Now().Unix(), 10) {
		t.Fatalf("receiver got %+v", calls)
	}
	got := f.only(t, w.ID)
	if got.Status != notify.DeliveryDelivered || got.LastStatus != 200 || got.Attempts != 1 || got.EventID != ev ||
		got.DeliveredAt == nil || !got.DeliveredAt.Equal(f.clock.Now()) {
		t.Fatalf("delivery = %+v", got)
	}
	if n := f.dispatch(t); n != 0 {
		t.Fatalf("a delivered delivery was dispatched again (%d)", n)
	}
}

func testRetriesBackOffUntilTheReceiverRecovers(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	w := f.subscribe(t, "/crm", "case.submitted")
	f.recv.answer(500, 500, 503, 200)
	f.enqueue(t, "case.submitted")

	for i, delay := range []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute} {
		if n := f.dispatch(t); n != 1 {
			t.Fatalf("attempt %d: dispatched %d", i+1, n)
		}
		got := f.only(t, w.ID)
		if got.Status != notify.DeliveryPending || got.Attempts != i+1 || got.LastStatus == 200 || got.LastStatus < 500 ||
			!strings.Contains(got.LastError, strconv.Itoa(got.LastStatus)) || !got.NextAttemptAt.Equal(f.clock.Now().Add(delay)) {
			t.Fatalf("after attempt %d: %+v, want pending until %v", i+1, got, f.clock.Now().Add(delay))
		}
		f.clock.Advance(delay - time.Second)
		if n := f.dispatch(t); n != 0 {
			t.Fatalf("retried %v early", time.Second)
		}
		f.clock.Advance(time.Second)
	}
	if n := f.dispatch(t); n != 1 {
		t.Fatalf("last attempt: dispatched %d", n)
	}
	got := f.only(t, w.ID)
	if got.Status != notify.DeliveryDelivered || got.Attempts != 4 || got.LastStatus != 200 || got.LastError != "" {
		t.Fatalf("after recovery: %+v", got)
	}
	calls := f.recv.got(t)
	if len(calls) != 4 {
		t.Fatalf("receiver got %d requests, want 4", len(calls))
	}
	for i, c := range calls[1:] {
		prev := calls[i]
		if c.Header.Get("webhook-id") != prev.Header.Get("webhook-id") || string(c.Body) != string(prev.Body) ||
			c.Header.Get("webhook-timestamp") <= prev.Header.Get("webhook-timestamp") {
			t.Fatalf("retry %d changed id or body, or kept the timestamp: %v %s", i+1, c.Header, c.Body)
		}
	}
}

func testADeliveryFailsAfterADayOfRetries(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	w := f.subscribe(t, "/crm", notify.WebhookAllEvents)
	f.recv.answer(503)
	f.enqueue(t, "callback.requested")
	created := f.clock.Now()

	got := f.exhaust(t, w.ID)
	// 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, then every 4 h to
	// 23 h 42 min 35 s, and the last attempt at the 24 h mark.
	if got.Status != notify.DeliveryFailed || got.Attempts != 14 || got.LastStatus != 503 ||
		!f.clock.Now().Equal(created.Add(24*time.Hour)) {
		t.Fatalf("dead letter %+v at %v, want failed after 14 attempts at %v", got, f.clock.Now(), created.Add(24*time.Hour))
	}
	if n := len(f.recv.got(t)); n != 14 {
		t.Fatalf("receiver got %d requests, want 14", n)
	}
	f.clock.Advance(24 * time.Hour)
	if n := f.dispatch(t); n != 0 {
		t.Fatalf("a dead letter was dispatched again (%d)", n)
	}
	dead, err := f.svc.ListDeliveries(f.admin, notify.DeliveryFilter{WebhookID: w.ID, Status: notify.DeliveryFailed})
	if err != nil || len(dead.Deliveries) != 1 || dead.Deliveries[0].ID != got.ID {
		t.Fatalf("dead letters = %+v, %v", dead, err)
	}
}

func testAnAdminRedeliversByHand(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	w := f.subscribe(t, "/crm", "appointment.cancelled")
	f.recv.answer(500)
	ev := f.enqueue(t, "appointment.cancelled")
	failed := f.exhaust(t, w.ID)
	if failed.Status != notify.DeliveryFailed {
		t.Fatalf("setup: %+v", failed)
	}

	f.recv.answer(200)
	f.clock.Advance(3 * 24 * time.Hour)
	again, err := f.svc.Redeliver(f.admin, w.ID, failed.ID)
	if err != nil || again.Status != notify.DeliveryPending || !again.NextAttemptAt.Equal(f.clock.Now()) {
		t.Fatalf("redeliver a dead letter = %+v, %v", again, err)
	}
	if _, err := f.svc.Redeliver(f.admin, w.ID, failed.ID); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("redelivering a pending delivery: %v, want a conflict", err)
	}
	if n := f.dispatch(t); n != 1 {
		t.Fatalf("dispatched %d", n)
	}
	if got := f.only(t, w.ID); got.Status != notify.DeliveryDelivered || got.Attempts != failed.Attempts+1 {
		t.Fatalf("after redelivery: %+v", got)
	}

	// A delivered one can be sent again too, say after the receiver lost it.
	if _, err := f.svc.Redeliver(f.admin, w.ID, failed.ID); err != nil {
		t.Fatalf("redeliver a delivered delivery: %v", err)
	}
	f.dispatch(t)
	calls := f.recv.got(t)
	if len(calls) != failed.Attempts+2 || calls[len(calls)-1].Header.Get("webhook-id") != ev {
		t.Fatalf("receiver got %d requests, the last %v", len(calls), calls[len(calls)-1].Header)
	}

	other := f.subscribe(t, "/other", "appointment.cancelled")
	if _, err := f.svc.Redeliver(f.admin, other.ID, failed.ID); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("redeliver through another webhook: %v, want not found", err)
	}
}

func testAReplayedEventCreatesNothingNew(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	w := f.subscribe(t, "/crm", "case.assigned")
	ev, payload := core.NewID(), []byte(`{"case":"c1"}`)
	for range 2 {
		if err := f.svc.Enqueue(context.Background(), f.agency, ev, "case.assigned", payload); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.deliveries(t, w.ID)); n != 1 {
		t.Fatalf("an event enqueued twice made %d deliveries", n)
	}
	f.dispatch(t)
	if err := f.svc.Enqueue(context.Background(), f.agency, ev, "case.assigned", payload); err != nil {
		t.Fatal(err)
	}
	if got := f.only(t, w.ID); got.Status != notify.DeliveryDelivered {
		t.Fatalf("a replay after delivery reset it: %+v", got)
	}
	if n := f.dispatch(t); n != 0 || len(f.recv.got(t)) != 1 {
		t.Fatalf("a replayed event was sent again")
	}
}

func testEventsGoOnlyWhereSubscribed(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	f.subscribe(t, "/appointments", "appointment.booked")
	f.subscribe(t, "/all", notify.WebhookAllEvents)
	f.subscribe(t, "/cases", "case.submitted", "case.withdrawn")
	off := f.subscribe(t, "/disabled", notify.WebhookAllEvents)
	if _, err := f.svc.DisableWebhook(f.admin, off.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		agency    string
		eventType string
		want      []string
	}{
		{"a subscribed type reaches its list and the wildcard", f.agency, "appointment.booked", []string{"/all", "/appointments"}},
		{"a second listed type reaches its list", f.agency, "case.withdrawn", []string{"/all", "/cases"}},
		{"a type nobody listed reaches only the wildcard", f.agency, "callback.no_answer", []string{"/all"}},
		{"an unpublished type reaches nobody", f.agency, "appointment.held", nil},
		{"another agency's event reaches nobody", core.NewID(), "appointment.booked", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(f.recv.got(t))
			if err := f.svc.Enqueue(context.Background(), c.agency, core.NewID(), c.eventType, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			f.dispatch(t)
			var paths []string
			for _, r := range f.recv.got(t)[before:] {
				paths = append(paths, r.Path)
			}
			slices.Sort(paths)
			if !slices.Equal(paths, c.want) {
				t.Fatalf("delivered to %v, want %v", paths, c.want)
			}
		})
	}
}

func testDisablingAWebhookStopsItsDeliveries(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	w := f.subscribe(t, "/crm", "case.submitted")
	f.recv.answer(500)
	f.enqueue(t, "case.submitted")
	f.dispatch(t)

	off, err := f.svc.DisableWebhook(f.admin, w.ID)
	if err != nil || off.DisabledAt == nil {
		t.Fatalf("disable = %+v, %v", off, err)
	}
	got := f.only(t, w.ID)
	if got.Status != notify.DeliveryFailed || !strings.Contains(got.LastError, "disabled") {
		t.Fatalf("pending delivery after disabling: %+v", got)
	}
	f.clock.Advance(time.Hour)
	f.enqueue(t, "case.submitted")
	if n := f.dispatch(t); n != 0 || len(f.deliveries(t, w.ID)) != 1 || len(f.recv.got(t)) != 1 {
		t.Fatalf("a disabled webhook still gets deliveries")
	}
	if _, err := f.svc.Redeliver(f.admin, w.ID, got.ID); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("redeliver to a disabled webhook: %v, want a conflict", err)
	}
	again, err := f.svc.DisableWebhook(f.admin, w.ID)
	if err != nil || again.DisabledAt == nil || !again.DisabledAt.Equal(*off.DisabledAt) {
		t.Fatalf("disabling twice = %+v, %v; want the first disable kept", again, err)
	}
}

// testDispatchersShareTheWork runs several dispatchers at once, as several
// processes would: every delivery must reach the receiver exactly once.
func testDispatchersShareTheWork(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	f.subscribe(t, "/crm", notify.WebhookAllEvents)
	const events = 30
	for range events {
		f.enqueue(t, "appointment.booked")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			disp := *f.dispatcher
			disp.BatchSize = 4
			for {
				n, err := disp.RunOnce(context.Background())
				if err != nil {
					t.Errorf("dispatch: %v", err)
					return
				}
				if n == 0 {
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ids := map[string]int{}
	for _, c := range f.recv.got(t) {
		ids[c.Header.Get("webhook-id")]++
	}
	if total != events || len(ids) != events {
		t.Fatalf("dispatched %d, receiver got %d distinct events, want %d each", total, len(ids), events)
	}
	for id, n := range ids {
		if n != 1 {
			t.Fatalf("event %s arrived %d times", id, n)
		}
	}
}

func testRunDispatchesUntilStopped(t *testing.T, d *db.DB) {
	f := newFixture(t, d)
	f.subscribe(t, "/crm", "callback.claimed")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		f.dispatcher.Run(ctx, 10*time.Millisecond)
	}()
	ev := f.enqueue(t, "callback.claimed")
	deadline := time.Now().Add(10 * time.Second)
	for len(f.recv.got(t)) == 0 {
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("Run did not deliver within 10 s")
		}
		time.Sleep(5 * time.Millisecond) // polling for the outcome, not waiting for it to happen
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if got := f.recv.got(t); len(got) != 1 || got[0].Header.Get("webhook-id") != ev {
		t.Fatalf("receiver got %+v", got)
	}
}
