package webhookhttp_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/webhookhttp"
)

// The example of the Standard Webhooks specification.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesTheSpecificationsExample(t *testing.T) {
	got, err := webhookhttp.Sign(specSecret, specMsgID, specTimestamp, []byte(specBody))
	if err != nil || got != specSignature {
		t.Fatalf("Sign = %q, %v; want %q", got, err, specSignature)
	}
	// The test's own verifier must agree with the spec too, or it proves nothing.
	h := http.Header{}
	h.Set("webhook-id", specMsgID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm9wZQ== "+specSignature)
	if err := verifyStandardWebhook(specSecret, h, []byte(specBody), time.Unix(specTimestamp, 0)); err != nil {
		t.Fatalf("the independent verifier rejects the spec's example: %v", err)
	}
	h.Set("webhook-signature", specSignature)
	if err := verifyStandardWebhook(specSecret, h, []byte(`{"test": 2432232315}`), time.Unix(specTimestamp, 0)); err == nil {
		t.Fatal("the independent verifier accepts a changed body")
	}
}

func TestSignRefusesASecretThatIsNotBase64(t *testing.T) {
	if _, err := webhookhttp.Sign("whsec_not base64!", "id", 1, nil); err == nil {
		t.Fatal("a malformed secret signed without error")
	}
}

func testDelivery() notify.Delivery {
	return notify.Delivery{ID: core.NewID(), WebhookID: core.NewID(), EventID: core.NewID(), EventType: "appointment.booked",
		Payload: []byte(`{"appointment":{"id":"a1","start":"2026-03-02T09:00:00Z"}}`), Status: notify.DeliveryPending,
		Attempts: 1, CreatedAt: time.Date(2026, 3, 1, 8, 0, 0, 123000, time.UTC)}
}

func TestSenderPostsASignedStandardWebhook(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 7, 0, time.UTC)
	recv := newReceiver(t, func() time.Time { return at })
	recv.answer(http.StatusNoContent)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	recv.register("/hook", secret)
	d := testDelivery()
	s := webhookhttp.NewSender(notify.URLPolicy{AllowLoopback: true})

	status, err := s.Send(context.Background(), notify.Webhook{URL: recv.URL("/hook"), Secret: secret}, d, at)
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("Send = %d, %v; want 204", status, err)
	}
	calls := recv.got(t)
	if len(calls) != 1 {
		t.Fatalf("receiver got %d requests", len(calls))
	}
	c := calls[0]
	if c.Header.Get("webhook-id") != d.EventID || c.Header.Get("webhook-timestamp") != "1772352007" ||
		c.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers = %v", c.Header)
	}
	var body struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(c.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != "appointment.booked" || body.Timestamp != "2026-03-01T08:00:00.000123Z" || string(body.Data) != string(d.Payload) {
		t.Fatalf("body = %s", c.Body)
	}
}

func TestSenderReportsWhatTheReceiverAnswered(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "upstream\r\n\x00down "+strings.Repeat("x", 1000))
	}))
	defer srv.Close()
	s := webhookhttp.NewSender(notify.URLPolicy{AllowLoopback: true})
	status, err := s.Send(context.Background(), notify.Webhook{URL: srv.URL, Secret: specSecret}, testDelivery(), time.Now())
	if status != http.StatusBadGateway || err == nil || !strings.HasPrefix(err.Error(), "receiver answered 502: upstream down xxx") ||
		len(err.Error()) > 300 {
		t.Fatalf("Send = %d, %v", status, err)
	}
}

func TestSenderFollowsNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	s := webhookhttp.NewSender(notify.URLPolicy{AllowLoopback: true})
	status, err := s.Send(context.Background(), notify.Webhook{URL: srv.URL, Secret: specSecret}, testDelivery(), time.Now())
	if status != http.StatusTemporaryRedirect || err == nil || elsewhere.Load() != 0 {
		t.Fatalf("Send = %d, %v; the redirect target got %d requests", status, err, elsewhere.Load())
	}
}

func TestSenderGivesUpAfterItsTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	s := webhookhttp.NewSender(notify.URLPolicy{AllowLoopback: true}, webhookhttp.WithTimeout(200*time.Millisecond))
	begin := time.Now()
	status, err := s.Send(context.Background(), notify.Webhook{URL: srv.URL, Secret: specSecret}, testDelivery(), time.Now())
	if status != 0 || err == nil || time.Since(begin) > 5*time.Second {
		t.Fatalf("Send = %d, %v after %v; want a timeout after 200 ms", status, err, time.Since(begin))
	}
}

// TestSenderChecksTheAddressItConnectsTo points a public-looking name at
// private addresses through a resolver of the test's own, the way DNS
// rebinding would, and expects the connection refused before it is made.
func TestSenderChecksTheAddressItConnectsTo(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the allowed case's failed handshake is expected
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "https://hooks.exempelby.test:" + port + "/hook"

	cases := []struct {
		name        string
		policy      notify.URLPolicy
		resolvesTo  string
		wantRefusal bool
	}{
		{"a name resolving to loopback, though loopback webhooks are allowed", notify.URLPolicy{AllowLoopback: true}, "127.0.0.1", true},
		{"a name resolving to a private address", notify.URLPolicy{}, "10.1.2.3", true},
		{"a name resolving to link-local IPv6", notify.URLPolicy{}, "fe80::1", true},
		{"a name resolving into a range the operator opened", notify.URLPolicy{AllowedPrefixes: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, "127.0.0.1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := conns.Load()
			s := webhookhttp.NewSender(c.policy, webhookhttp.WithResolver(fakeResolver(netip.MustParseAddr(c.resolvesTo))),
				webhookhttp.WithTimeout(2*time.Second))
			_, err := s.Send(context.Background(), notify.Webhook{URL: url, Secret: specSecret}, testDelivery(), time.Now())
			refused := errors.Is(err, webhookhttp.ErrAddressRefused)
			if refused != c.wantRefusal || err == nil {
				t.Fatalf("Send: %v; want refused by the policy: %v", err, c.wantRefusal)
			}
			// The allowed case reaches the server and fails only on its test certificate.
			if connected := conns.Load() > before; connected == c.wantRefusal {
				t.Fatalf("connected to the server: %v, want %v", connected, !c.wantRefusal)
			}
		})
	}
}

// fakeResolver answers every A or AAAA question with addr, over an
// in-memory connection (DNS over TCP framing: a length, then the message).
func fakeResolver(addr netip.Addr) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		client, server := net.Pipe()
		go func() {
			defer server.Close()
			for {
				var n uint16
				if err := binary.Read(server, binary.BigEndian, &n); err != nil {
					return
				}
				q := make([]byte, n)
				if _, err := io.ReadFull(server, q); err != nil {
					return
				}
				resp := dnsAnswer(q, addr)
				if err := binary.Write(server, binary.BigEndian, uint16(len(resp))); err != nil {
					return
				}
				if _, err := server.Write(resp); err != nil {
					return
				}
			}
		}()
		return client, nil
	}}
}

// dnsAnswer builds the response to query q (RFC 1035 section 4).
func dnsAnswer(q []byte, addr netip.Addr) []byte {
	end := 12
	for q[end] != 0 {
		end += int(q[end]) + 1
	}
	qtype := binary.BigEndian.Uint16(q[end+1:])
	end += 5
	answer := (qtype == 1 && addr.Is4()) || (qtype == 28 && addr.Is6())
	resp := append([]byte{}, q[0], q[1], 0x85, 0x80, 0, 1) // id; response, authoritative, recursion; one question
	if answer {
		resp = append(resp, 0, 1, 0, 0, 0, 0)
	} else {
		resp = append(resp, 0, 0, 0, 0, 0, 0)
	}
	resp = append(resp, q[12:end]...)
	if answer {
		ip := addr.AsSlice()
		resp = append(resp, 0xC0, 12) // the name, as a pointer to the question's
		resp = binary.BigEndian.AppendUint16(resp, qtype)
		resp = append(resp, 0, 1, 0, 0, 0, 60) // class IN, TTL 60 s
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(ip)))
		resp = append(resp, ip...)
	}
	return resp
}
