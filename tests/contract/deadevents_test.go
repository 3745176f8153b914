package contract_test

import (
	"context"
	"time"

	"github.com/tidbok/tidbok/core"
)

// ---- dead events ----

func (e *env) deadEvents() {
	t := e.t
	// An event whose payload is not JSON: the webhooks' consumer parks it.
	poison := core.NewID()
	e.exec(`INSERT INTO booking_events (id, type, aggregate_id, agency_id, payload, occurred_at) VALUES (?, 'appointment.booked', ?, ?, '{', ?)`,
		poison, core.NewID(), exb, time.Now().UTC())
	for _, p := range e.server.Pumps {
		if _, err := p.Poll(context.Background()); err != nil {
			t.Fatalf("pump %s: %v", p.Name, err)
		}
	}
	var list struct {
		Items []struct {
			EventID string `json:"event_id"`
		} `json:"items"`
	}
	e.call("GET", "/v1/consumers/dead-events", e.sysadmin, nil).want(t, 200).decode(t, &list)
	must(t, len(list.Items) == 1 && list.Items[0].EventID == poison, "dead events: %+v", list)
	e.call("GET", "/v1/consumers/dead-events?consumer=webhooks%3C-booking&limit=10", e.sysadmin, nil).want(t, 200)
	e.call("GET", "/v1/consumers/dead-events", e.admin, nil).problem(t, 403)
	e.call("GET", "/v1/consumers/dead-events?consumer=nobody", e.sysadmin, nil).problem(t, 400)

	retry := "/v1/consumers/dead-events/webhooks%3C-booking/"
	e.call("POST", retry+poison+"/retry", e.sysadmin, nil).want(t, 202)
	e.call("POST", retry+poison+"/retry", e.admin, nil).problem(t, 403)
	e.call("POST", retry+"not-a-uuid/retry", e.sysadmin, nil, malformed()).problem(t, 400)
	e.call("POST", retry+core.NewID()+"/retry", e.sysadmin, nil).problem(t, 404)
}
