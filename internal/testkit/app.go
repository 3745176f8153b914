package testkit

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/db"
)

// StartServer builds the server as the binary does, with cfg on d (a fresh
// keyring when cfg has none), serves it until t ends and returns a client
// of it.
func StartServer(t testing.TB, d *db.DB, cfg app.Config) (*app.Server, *httptest.Server, *Client) {
	t.Helper()
	if cfg.Keyring == nil {
		cfg.Keyring = Keyring(t)
	}
	server, err := app.NewServer(context.Background(), cfg, log.NewNopLogger(), d)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	srv, c := Serve(t, server.Handler)
	return server, srv, c
}

// DrainPump polls p until it finds no new events and returns how many it
// read; a pump still finding events after most polls fails the test.
func DrainPump(t testing.TB, p *app.Pump, most int) int {
	t.Helper()
	total := 0
	for i := 0; ; i++ {
		if i == most {
			t.Fatalf("pump %s keeps finding new events", p.Name)
		}
		n, err := p.Poll(context.Background())
		if err != nil {
			t.Fatalf("pump %s: %v", p.Name, err)
		}
		total += n
		if n == 0 {
			return total
		}
	}
}

// SendAll runs the server's sender until nothing due is left to send, and
// returns how many messages went out.
func SendAll(t testing.TB, s *app.Server) int {
	t.Helper()
	total := 0
	for {
		n, err := s.Sender.SendDue(context.Background(), 50)
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		total += n
		if n == 0 {
			return total
		}
	}
}

// Count runs a query that counts (with ? placeholders) on d.
func Count(t testing.TB, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.GetContext(context.Background(), &n, d.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Event is one row of a service's outbox with its payload decoded.
type Event[P any] struct {
	Type    string
	Payload P
}

// Events returns the outbox rows of table about one aggregate, in order.
func Events[P any](t testing.TB, d *db.DB, table, aggregateID string) []Event[P] {
	t.Helper()
	var rows []struct {
		Type    string `db:"type"`
		Payload string `db:"payload"`
	}
	if err := d.SelectContext(context.Background(), &rows,
		d.Rebind(`SELECT type, payload FROM `+table+` WHERE aggregate_id = ? ORDER BY seq`), aggregateID); err != nil {
		t.Fatalf("read events: %v", err)
	}
	out := make([]Event[P], len(rows))
	for i, r := range rows {
		out[i].Type = r.Type
		if err := json.Unmarshal([]byte(r.Payload), &out[i].Payload); err != nil {
			t.Fatalf("event payload %s: %v", r.Payload, err)
		}
	}
	return out
}
