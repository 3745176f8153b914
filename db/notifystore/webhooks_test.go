package notifystore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/services/notify"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func addWebhook(t *testing.T, s *notifystore.WebhookStore) notify.Webhook {
	t.Helper()
	w := notify.Webhook{ID: core.NewID(), AgencyID: core.NewID(), URL: "https://crm.exempelby.se/hook",
		EventTypes: []string{"appointment.booked", "case.submitted"}, Secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
		CreatedBy: "staff:" + core.NewID(), CreatedAt: t0}
	if err := s.CreateWebhook(context.Background(), w); err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	// Claims take any due delivery: disabling fails what the case left
	// pending, so the next case claims only its own.
	t.Cleanup(func() {
		if err := s.DisableWebhook(context.Background(), w.ID, t0, "case over"); err != nil {
			t.Errorf("disable webhook: %v", err)
		}
	})
	return w
}

func pending(w notify.Webhook, at time.Time) notify.Delivery {
	return notify.Delivery{ID: core.NewID(), WebhookID: w.ID, EventID: core.NewID(), EventType: "case.submitted",
		Payload: []byte(`{"case":"c1","text":"åäö"}`), Status: notify.DeliveryPending, NextAttemptAt: at, CreatedAt: at}
}

func addDeliveries(t *testing.T, s *notifystore.WebhookStore, ds ...notify.Delivery) {
	t.Helper()
	if n, err := s.AddDeliveries(context.Background(), ds); err != nil || n != len(ds) {
		t.Fatalf("add deliveries: %d, %v", n, err)
	}
}

// TestWebhookStore runs the store suite on both databases, one fresh
// database per backend shared by the cases; each case makes its own
// webhooks, which are disabled when it ends.
func TestWebhookStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := notifystore.NewWebhookStore(d)
		ctx := context.Background()
		cases := []struct {
			name string
			run  func(t *testing.T)
		}{
			{"a webhook and its delivery read back as written", func(t *testing.T) {
				w := addWebhook(t, s)
				got, err := s.Webhook(ctx, w.ID)
				if err != nil || got.URL != w.URL || !slices.Equal(got.EventTypes, w.EventTypes) || got.Secret != w.Secret ||
					!got.CreatedAt.Equal(w.CreatedAt) || got.DisabledAt != nil {
					t.Fatalf("webhook = %+v, %v", got, err)
				}
				dl := pending(w, t0.Add(123456*time.Microsecond))
				addDeliveries(t, s, dl)
				back, err := s.Delivery(ctx, dl.ID)
				if err != nil || string(back.Payload) != string(dl.Payload) || !back.CreatedAt.Equal(dl.CreatedAt) ||
					back.Status != notify.DeliveryPending || back.DeliveredAt != nil {
					t.Fatalf("delivery = %+v, %v", back, err)
				}
				if _, err := s.Webhook(ctx, core.NewID()); !errors.Is(err, core.ErrNotFound) {
					t.Fatalf("unknown webhook: %v", err)
				}
			}},
			{"adding deliveries skips events a webhook has already", func(t *testing.T) {
				w := addWebhook(t, s)
				a, b := pending(w, t0), pending(w, t0)
				addDeliveries(t, s, a, b)
				replay := a
				replay.ID = core.NewID()
				n, err := s.AddDeliveries(ctx, []notify.Delivery{replay, pending(w, t0)})
				if err != nil || n != 1 {
					t.Fatalf("replay with one new event added %d, %v; want 1", n, err)
				}
				if ds, _ := s.Deliveries(ctx, w.ID, "", nil, 10); len(ds) != 3 {
					t.Fatalf("webhook has %d deliveries, want 3", len(ds))
				}
			}},
			{"a claimed delivery is left alone until its lease runs out", func(t *testing.T) {
				w := addWebhook(t, s)
				dl := pending(w, t0)
				addDeliveries(t, s, dl)
				first := claimAll(t, s, t0, t0.Add(5*time.Minute))
				if len(first) != 1 || first[0].Delivery.Attempts != 1 || first[0].Webhook.Secret != w.Secret || first[0].Webhook.URL != w.URL {
					t.Fatalf("first claim = %+v", first)
				}
				if again := claimAll(t, s, t0.Add(time.Minute), t0.Add(6*time.Minute)); len(again) != 0 {
					t.Fatalf("claimed again inside the lease: %+v", again)
				}
				// The claimer died: once the lease is over, another takes it.
				after := claimAll(t, s, t0.Add(5*time.Minute), t0.Add(10*time.Minute))
				if len(after) != 1 || after[0].Delivery.ID != dl.ID || after[0].Delivery.Attempts != 2 {
					t.Fatalf("claim after the lease = %+v", after)
				}
			}},
			{"claims skip deliveries not yet due and disabled webhooks", func(t *testing.T) {
				live, off := addWebhook(t, s), addWebhook(t, s)
				later := pending(live, t0.Add(time.Hour))
				addDeliveries(t, s, later, pending(off, t0))
				if err := s.DisableWebhook(ctx, off.ID, t0, "not sent: the webhook was disabled"); err != nil {
					t.Fatal(err)
				}
				// An enqueue that raced the disable leaves a pending delivery behind.
				addDeliveries(t, s, pending(off, t0))
				if got := claimAll(t, s, t0.Add(30*time.Minute), t0.Add(35*time.Minute)); len(got) != 0 {
					t.Fatalf("claimed %+v", got)
				}
				ds, _ := s.Deliveries(ctx, off.ID, notify.DeliveryFailed, nil, 10)
				if len(ds) != 1 || !strings.Contains(ds[0].LastError, "disabled") {
					t.Fatalf("the disabled webhook's delivery = %+v", ds)
				}
				if got := claimAll(t, s, t0.Add(time.Hour), t0.Add(2*time.Hour)); len(got) != 1 || got[0].Delivery.ID != later.ID {
					t.Fatalf("due delivery claimed as %+v", got)
				}
			}},
			{"an update loses to a change made meanwhile", func(t *testing.T) {
				w := addWebhook(t, s)
				addDeliveries(t, s, pending(w, t0))
				c := claimAll(t, s, t0, t0.Add(time.Minute))[0].Delivery
				done := c
				done.Status, done.LastStatus = notify.DeliveryDelivered, 200
				if err := s.UpdateDelivery(ctx, done, c); err != nil {
					t.Fatalf("first update: %v", err)
				}
				stale := c
				stale.LastStatus, stale.NextAttemptAt = 500, t0.Add(time.Hour)
				if err := s.UpdateDelivery(ctx, stale, c); !errors.Is(err, core.ErrConflict) {
					t.Fatalf("update from a stale state: %v, want a conflict", err)
				}
				if got, _ := s.Delivery(ctx, c.ID); got.Status != notify.DeliveryDelivered || got.LastStatus != 200 {
					t.Fatalf("the stale update changed the delivery: %+v", got)
				}
			}},
			{"pages run newest first and neither skip nor repeat on equal times", func(t *testing.T) {
				w := addWebhook(t, s)
				var all []notify.Delivery
				for i := range 7 {
					at := t0.Add(time.Duration(i/3) * time.Second) // three share each second
					dl := pending(w, at)
					all = append(all, dl)
				}
				addDeliveries(t, s, all...)
				slices.SortFunc(all, func(a, b notify.Delivery) int {
					if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
						return c
					}
					return strings.Compare(b.ID, a.ID)
				})
				var got []string
				var after *notify.DeliveryCursor
				for range 10 {
					page, err := s.Deliveries(ctx, w.ID, "", after, 3)
					if err != nil {
						t.Fatal(err)
					}
					for _, dl := range page {
						got = append(got, dl.ID)
					}
					if len(page) < 3 {
						break
					}
					last := page[len(page)-1]
					after = &notify.DeliveryCursor{CreatedAt: last.CreatedAt, ID: last.ID}
				}
				want := make([]string, len(all))
				for i, dl := range all {
					want[i] = dl.ID
				}
				if !slices.Equal(got, want) {
					t.Fatalf("paged ids\n %v\nwant\n %v", got, want)
				}
			}},
			{"concurrent claimers take each delivery once", func(t *testing.T) {
				w := addWebhook(t, s)
				const n = 40
				var ds []notify.Delivery
				for range n {
					ds = append(ds, pending(w, t0))
				}
				addDeliveries(t, s, ds...)
				var mu sync.Mutex
				seen := map[string]int{}
				var wg sync.WaitGroup
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							got, err := s.ClaimDeliveries(ctx, t0, t0.Add(time.Hour), 3)
							if err != nil {
								t.Errorf("claim: %v", err)
								return
							}
							if len(got) == 0 {
								return
							}
							mu.Lock()
							for _, c := range got {
								seen[c.Delivery.ID]++
							}
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				for _, dl := range ds {
					if seen[dl.ID] != 1 {
						t.Fatalf("delivery %s claimed %d times", dl.ID, seen[dl.ID])
					}
				}
			}},
		}
		for _, c := range cases {
			t.Run(c.name, c.run)
		}
	})
}

// claimAll claims every delivery due at now.
func claimAll(t *testing.T, s *notifystore.WebhookStore, now, leaseUntil time.Time) []notify.WebhookClaim {
	t.Helper()
	got, err := s.ClaimDeliveries(context.Background(), now, leaseUntil, 100)
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	return got
}
