// Package webhookhttp delivers notify's webhooks over HTTP, as the Standard
// Webhooks specification (https://www.standardwebhooks.com) has them: a JSON
// body {"type", "timestamp", "data"} signed with HMAC-SHA256 in the
// webhook-id, webhook-timestamp and webhook-signature headers. Its Sender
// refuses addresses notify.URLPolicy rules out, checked on every connection.
package webhookhttp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/tidbok/tidbok/services/notify"
)

// Timeout bounds one delivery attempt, from connecting to reading the answer.
const Timeout = 10 * time.Second

// Headers of a signed delivery.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// ErrAddressRefused is the error of an attempt to connect where the URL
// policy does not allow.
var ErrAddressRefused = errors.New("address refused by the webhook URL policy")

// Sender posts deliveries; it implements notify.WebhookSender.
type Sender struct {
	policy notify.URLPolicy
	// Webhooks registered for a loopback host get their own client, the only
	// one whose dialer lets loopback addresses through.
	public, loopback *http.Client
}

// Option configures a Sender.
type Option func(*options)

type options struct {
	timeout  time.Duration
	resolver *net.Resolver
}

// WithTimeout replaces Timeout, for tests.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithResolver looks host names up with r instead of the system's resolver;
// tests use it to point a name at a private address.
func WithResolver(r *net.Resolver) Option { return func(o *options) { o.resolver = r } }

// NewSender returns a sender that delivers where policy allows.
func NewSender(policy notify.URLPolicy, opts ...Option) *Sender {
	o := options{timeout: Timeout}
	for _, f := range opts {
		f(&o)
	}
	return &Sender{
		policy:   policy,
		public:   newClient(policy, false, o),
		loopback: newClient(policy, true, o),
	}
}

func newClient(policy notify.URLPolicy, loopbackURL bool, o options) *http.Client {
	timeout := o.timeout
	dialer := &net.Dialer{
		Resolver:  o.resolver,
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		// Control sees the address after DNS, just before connecting: the
		// one place a name cannot be swapped for a private address.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !policy.AllowAddr(ap.Addr(), loopbackURL) {
				return fmt.Errorf("%w: %s", ErrAddressRefused, address)
			}
			return nil
		},
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			// No proxy from the environment: the policy must judge the
			// receiver's address, not a proxy's.
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		// A redirect is the receiver's answer, not a new destination.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Send implements notify.WebhookSender.
func (s *Sender) Send(ctx context.Context, w notify.Webhook, d notify.Delivery, at time.Time) (int, error) {
	// The policy may have tightened since the webhook was registered.
	if msg := s.policy.CheckURL(w.URL); msg != "" {
		return 0, fmt.Errorf("%w: the URL %s", ErrAddressRefused, msg)
	}
	u, _ := url.Parse(w.URL)
	body, err := Body(d)
	if err != nil {
		return 0, err
	}
	ts := at.Unix()
	sig, err := Sign(w.Secret, d.EventID, ts, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tidbok-Webhooks/1")
	req.Header.Set(HeaderID, d.EventID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, sig)
	client := s.public
	if notify.IsLoopbackHost(u.Hostname()) {
		client = s.loopback
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the URL, which the log shows beside it anyway.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	// Drain a little more so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	msg := fmt.Sprintf("receiver answered %d", resp.StatusCode)
	if text := printable(head); text != "" {
		msg += ": " + text
	}
	return resp.StatusCode, errors.New(msg)
}

// Body is what a delivery posts: the event type, when the event was taken
// for delivery, and its payload as data. It is the same on every attempt.
func Body(d notify.Delivery) ([]byte, error) {
	if !json.Valid(d.Payload) {
		return nil, fmt.Errorf("delivery %s: payload is not JSON", d.ID)
	}
	b, err := json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{d.EventType, d.CreatedAt.UTC().Format(time.RFC3339Nano), d.Payload})
	if err != nil {
		return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
	}
	return b, nil
}

// Sign returns the webhook-signature header value for a message: "v1," and
// the base64 HMAC-SHA256 of "id.timestamp.body", keyed with the secret's
// decoded bytes (the part after "whsec_").
func Sign(secret, msgID string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, notify.WebhookSecretPrefix))
	if err != nil || len(key) == 0 {
		return "", errors.New("webhook secret is not whsec_ and base64")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// printable keeps the readable part of what a receiver answered, on one
// line, for the delivery log.
func printable(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
