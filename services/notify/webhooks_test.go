package notify

import (
	"encoding/base64"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

func TestCheckWebhookURL(t *testing.T) {
	strict := URLPolicy{}
	dev := URLPolicy{AllowLoopback: true}
	intranet := URLPolicy{AllowedPrefixes: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}
	cases := []struct {
		name   string
		policy URLPolicy
		url    string
		want   string // a part of the message; "" means accepted
	}{
		{"accepts a public https URL", strict, "https://crm.exempelby.se/hooks/tidbok?x=1", ""},
		{"accepts a public IP literal over https", strict, "https://93.184.216.34/hook", ""},
		{"accepts a range the operator opened", intranet, "https://10.20.1.5/hook", ""},
		{"accepts http on loopback when loopback is allowed", dev, "http://127.0.0.1:8081/hook", ""},
		{"accepts localhost by name when loopback is allowed", dev, "http://localhost:8081/hook", ""},
		{"refuses plain http to a public host", strict, "http://crm.exempelby.se/hook", "must use https"},
		{"refuses plain http to a public host even in development", dev, "http://crm.exempelby.se/hook", "must use https"},
		{"refuses loopback by default", strict, "https://127.0.0.1/hook", "localhost"},
		{"refuses localhost by name by default", strict, "http://LOCALHOST./hook", "localhost"},
		{"refuses a .localhost name by default", strict, "https://api.localhost/hook", "localhost"},
		{"refuses IPv6 loopback by default", strict, "https://[::1]:8443/hook", "localhost"},
		{"refuses loopback inside IPv6", strict, "https://[::ffff:127.0.0.1]/hook", "localhost"},
		{"refuses a private address", strict, "https://10.0.0.8/hook", "private"},
		{"refuses a private address outside the opened range", intranet, "https://10.21.0.1/hook", "private"},
		{"refuses the cloud metadata address", strict, "https://169.254.169.254/latest/meta-data", "private"},
		{"refuses IPv6 link-local with a zone", strict, "https://[fe80::1%25eth0]/hook", "private"},
		{"refuses unique local IPv6", strict, "https://[fd00::5]/hook", "private"},
		{"refuses shared address space", strict, "https://100.100.100.200/hook", "private"},
		{"refuses the unspecified address", strict, "https://0.0.0.0/hook", "private"},
		{"refuses another scheme", strict, "ftp://crm.exempelby.se/hook", "must use https"},
		{"refuses a relative URL", strict, "crm.exempelby.se/hook", "absolute URL"},
		{"refuses credentials in the URL", strict, "https://user:pw@crm.exempelby.se/hook", "user name or password"},
		{"refuses a fragment", strict, "https://crm.exempelby.se/hook#top", "fragment"},
		{"refuses an empty URL", strict, "", "required"},
		{"refuses a very long URL", strict, "https://crm.exempelby.se/" + strings.Repeat("a", 2000), "too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.policy.CheckURL(c.url)
			if c.want == "" && got != "" {
				t.Fatalf("CheckURL(%q) = %q, want it accepted", c.url, got)
			}
			if c.want != "" && !strings.Contains(got, c.want) {
				t.Fatalf("CheckURL(%q) = %q, want a refusal mentioning %q", c.url, got, c.want)
			}
		})
	}
}

func TestAllowWebhookAddress(t *testing.T) {
	dev := URLPolicy{AllowLoopback: true}
	cases := []struct {
		name        string
		policy      URLPolicy
		addr        string
		loopbackURL bool
		want        bool
	}{
		{"public IPv4", URLPolicy{}, "93.184.216.34", false, true},
		{"public IPv6", URLPolicy{}, "2a00:1450:4010:c0e::64", false, true},
		{"NAT64 of a public address", URLPolicy{}, "64:ff9b::5db8:d822", false, true},
		{"loopback for a webhook registered on loopback", dev, "127.0.0.1", true, true},
		{"loopback for a public name, even in development", dev, "127.0.0.1", false, false},
		{"loopback when the policy forbids it", URLPolicy{}, "::1", true, false},
		{"private for a loopback webhook", dev, "192.168.1.10", true, false},
		{"RFC 1918", URLPolicy{}, "172.16.3.4", false, false},
		{"RFC 1918 written as IPv4-mapped IPv6", URLPolicy{}, "::ffff:10.1.2.3", false, false},
		{"NAT64 of a private address", URLPolicy{}, "64:ff9b::a00:1", false, false},
		{"link-local metadata", URLPolicy{}, "169.254.169.254", false, false},
		{"multicast", URLPolicy{}, "224.0.0.1", false, false},
		{"broadcast", URLPolicy{}, "255.255.255.255", false, false},
		{"benchmarking range", URLPolicy{}, "198.18.0.1", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.policy.AllowAddr(netip.MustParseAddr(c.addr), c.loopbackURL); got != c.want {
				t.Fatalf("AllowAddr(%s, loopbackURL=%v) = %v, want %v", c.addr, c.loopbackURL, got, c.want)
			}
		})
	}
}

func TestNormalizeEventTypes(t *testing.T) {
	cases := []struct {
		name    string
		in      []string
		want    []string
		wantMsg string
	}{
		{"keeps known types in catalogue order without repeats",
			[]string{"case.submitted", "appointment.booked", "case.submitted"},
			[]string{"appointment.booked", "case.submitted"}, ""},
		{"accepts the wildcard alone", []string{"*"}, []string{"*"}, ""},
		{"refuses the wildcard with others", []string{"*", "case.submitted"}, nil, "alone"},
		{"refuses an unknown type, naming it", []string{"appointment.held"}, nil, `"appointment.held"`},
		{"refuses an empty list", nil, nil, "at least one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, msg := normalizeEventTypes(c.in)
			if !slices.Equal(got, c.want) || (c.wantMsg == "") != (msg == "") || !strings.Contains(msg, c.wantMsg) {
				t.Fatalf("normalizeEventTypes(%q) = %q, %q; want %q, a message with %q", c.in, got, msg, c.want, c.wantMsg)
			}
		})
	}
}

func TestWebhookSubscribes(t *testing.T) {
	all := Webhook{EventTypes: []string{WebhookAllEvents}}
	some := Webhook{EventTypes: []string{"case.submitted"}}
	cases := []struct {
		name  string
		w     Webhook
		event string
		want  bool
	}{
		{"the wildcard takes a published type", all, "callback.no_answer", true},
		{"the wildcard never takes an unpublished type", all, "appointment.held", false},
		{"a list takes its own type", some, "case.submitted", true},
		{"a list skips other types", some, "case.assigned", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.w.Subscribes(c.event); got != c.want {
				t.Fatalf("Subscribes(%q) = %v, want %v", c.event, got, c.want)
			}
		})
	}
}

func TestWebhookRetrySchedule(t *testing.T) {
	want := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour, 4 * time.Hour}
	for i, w := range want {
		if got := WebhookRetryDelay(i + 1); got != w {
			t.Errorf("delay after attempt %d = %v, want %v", i+1, got, w)
		}
	}
	for range 1000 {
		d := WebhookJitter(time.Minute)
		if d < 48*time.Second || d > 72*time.Second || d%time.Millisecond != 0 {
			t.Fatalf("jitter of 1 min = %v, want 48 s to 72 s in whole milliseconds", d)
		}
	}
}

func TestDeliveryAfterAttempt(t *testing.T) {
	created := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	pending := Delivery{ID: core.NewID(), Status: DeliveryPending, Attempts: 3, CreatedAt: created, NextAttemptAt: created}
	failure := errors.New("receiver answered 500")
	cases := []struct {
		name       string
		at         time.Time
		err        error
		wantStatus DeliveryStatus
		wantNext   time.Time
	}{
		{"a 2xx delivers", created.Add(time.Hour), nil, DeliveryDelivered, created},
		{"a failure inside the window waits the delay", created.Add(time.Hour), failure, DeliveryPending, created.Add(time.Hour + 2*time.Minute)},
		{"a failure near the end retries once more at the end", created.Add(24*time.Hour - time.Minute), failure, DeliveryPending, created.Add(24 * time.Hour)},
		{"a failure at the end of the window is final", created.Add(24 * time.Hour), failure, DeliveryFailed, created},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := pending.afterAttempt(c.at, 500, c.err, 2*time.Minute)
			if got.Status != c.wantStatus || !got.NextAttemptAt.Equal(c.wantNext) || got.LastStatus != 500 {
				t.Fatalf("after attempt: status %s next %v last %d; want %s next %v last 500",
					got.Status, got.NextAttemptAt, got.LastStatus, c.wantStatus, c.wantNext)
			}
			if (c.err == nil) != (got.DeliveredAt != nil) || (c.err != nil && got.LastError != c.err.Error()) {
				t.Fatalf("delivered at %v, last error %q", got.DeliveredAt, got.LastError)
			}
		})
	}
	long := pending.afterAttempt(created, 0, errors.New(strings.Repeat("å", 400)), time.Second)
	if len(long.LastError) > 503 || !strings.HasSuffix(long.LastError, "…") || !strings.HasPrefix(long.LastError, "åå") {
		t.Fatalf("a long error is kept as %d bytes %q", len(long.LastError), long.LastError[:10])
	}
}

func TestDeliveryRedeliver(t *testing.T) {
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	delivered := now.Add(-time.Hour)
	cases := []struct {
		name    string
		from    Delivery
		wantErr error
	}{
		{"a failed delivery goes back to pending", Delivery{Status: DeliveryFailed, Attempts: 14}, nil},
		{"a delivered one is sent again", Delivery{Status: DeliveryDelivered, Attempts: 1, DeliveredAt: &delivered}, nil},
		{"a pending one is refused: it is on its way", Delivery{Status: DeliveryPending, Attempts: 2}, core.ErrConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.from.redeliver(now)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("redeliver: %v, want %v", err, c.wantErr)
			}
			if err == nil && (got.Status != DeliveryPending || !got.NextAttemptAt.Equal(now) || got.DeliveredAt != nil || got.Attempts != c.from.Attempts) {
				t.Fatalf("redelivered = %+v", got)
			}
		})
	}
}

func TestWebhookSecret(t *testing.T) {
	a, err := newWebhookSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := newWebhookSecret()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if !strings.HasPrefix(a, "whsec_") || err != nil || len(key) < 24 || len(key) > 64 || a == b {
		t.Fatalf("secrets %q and %q: want whsec_ + base64 of 24-64 random bytes, different each time", a, b)
	}
}

func TestDeliveryCursor(t *testing.T) {
	c := DeliveryCursor{CreatedAt: time.Date(2026, 3, 2, 9, 0, 0, 123456000, time.UTC), ID: core.NewID()}
	got, err := parseDeliveryCursor(formatDeliveryCursor(c))
	if err != nil || got == nil || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
		t.Fatalf("round trip of %+v = %+v, %v", c, got, err)
	}
	for _, forged := range []string{"!!", base64.RawURLEncoding.EncodeToString([]byte("yesterday " + c.ID)),
		base64.RawURLEncoding.EncodeToString([]byte("2026-03-02T09:00:00Z 42"))} {
		if _, err := parseDeliveryCursor(forged); err == nil {
			t.Errorf("forged cursor %q accepted", forged)
		}
	}
}

func TestEnqueueInput(t *testing.T) {
	// No repository: every case here must be decided before storage is asked.
	s := NewWebhookService(nil, nil)
	agency := core.NewID()
	cases := []struct {
		name      string
		agency    string
		eventID   string
		eventType string
		payload   string
		wantErr   error
	}{
		{"an unpublished type is skipped quietly", agency, core.NewID(), "appointment.held", `{}`, nil},
		{"an event of no agency is skipped quietly", "", core.NewID(), "case.submitted", `{}`, nil},
		{"a payload that is not JSON is refused", agency, core.NewID(), "case.submitted", `{"a":`, core.ErrInvalid},
		{"an event without an id is refused", agency, "", "case.submitted", `{}`, core.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Enqueue(t.Context(), c.agency, c.eventID, c.eventType, []byte(c.payload))
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("Enqueue: %v, want %v", err, c.wantErr)
			}
		})
	}
}
