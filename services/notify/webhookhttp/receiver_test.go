package webhookhttp_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// verifyStandardWebhook checks a request the way a receiver following the
// Standard Webhooks specification would, written from the spec and sharing
// no code with the sender: the signed content is "id.timestamp.body", the
// key is the base64 after "whsec_", the header holds space-separated
// "version,base64" signatures of which one v1 must match, and the timestamp
// must be within five minutes of now.
func verifyStandardWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not unix seconds", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp %s is %v away from now", ts, d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature in %q matches", sigs)
}

// received is one request a receiver got, with what verifying it said.
type received struct {
	Path   string
	Header http.Header
	Body   []byte
	Verify error
}

// receiver is an agency system: it verifies every request it gets with the
// secret of the webhook its path belongs to, and answers with the next
// status of its script (the last one repeats; 200 without a script).
type receiver struct {
	srv   *httptest.Server
	now   func() time.Time
	mu    sync.Mutex
	keys  map[string]string // path -> secret
	plan  []int
	calls []received
}

func newReceiver(t *testing.T, now func() time.Time) *receiver {
	t.Helper()
	r := &receiver{now: now, keys: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	secret, ok := r.keys[req.URL.Path]
	verr := errors.New("no webhook registered at " + req.URL.Path)
	if ok {
		verr = verifyStandardWebhook(secret, req.Header, body, r.now())
	}
	r.calls = append(r.calls, received{Path: req.URL.Path, Header: req.Header.Clone(), Body: body, Verify: verr})
	status := http.StatusOK
	if len(r.plan) > 0 {
		status = r.plan[0]
		if len(r.plan) > 1 {
			r.plan = r.plan[1:]
		}
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "answer %d\n", status)
}

// URL is where a webhook at path points.
func (r *receiver) URL(path string) string { return r.srv.URL + path }

func (r *receiver) register(path, secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys[path] = secret
}

// answer sets the statuses of the next requests.
func (r *receiver) answer(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plan = statuses
}

// got returns the requests so far, failing t on any that did not verify.
func (r *receiver) got(t *testing.T) []received {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, c := range r.calls {
		if c.Verify != nil {
			t.Fatalf("request %d to %s failed verification: %v", i+1, c.Path, c.Verify)
		}
	}
	return append([]received(nil), r.calls...)
}
