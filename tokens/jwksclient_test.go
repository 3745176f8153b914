package tokens

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

// jwksServer serves a key set that tests can change, and counts fetches.
type jwksServer struct {
	URL     string
	fetches atomic.Int64

	mu     sync.Mutex
	keys   []Key
	status int
	body   string // served instead of the keys when set
}

func newJWKSServer(t *testing.T, keys ...Key) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys, status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != JWKSPath {
			http.NotFound(w, r)
			return
		}
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		if s.body != "" {
			fmt.Fprint(w, s.body)
			return
		}
		set, err := NewKeySet(s.keys...)
		if err != nil {
			t.Errorf("test server keys: %v", err)
			return
		}
		_ = json.NewEncoder(w).Encode(set.JWKS(time.Time{}))
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + JWKSPath
	return s
}

func (s *jwksServer) set(keys []Key, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys, s.status, s.body = keys, status, body
}

func newJWKSClient(t *testing.T, url string, clock core.Clock) *JWKSClient {
	t.Helper()
	c, err := NewJWKSClient(JWKSClientConfig{URL: url, Clock: clock, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("NewJWKSClient: %v", err)
	}
	return c
}

func pubKey(kid string, seed byte) Key {
	return Key{KID: kid, Public: testKey(seed).Public().(ed25519.PublicKey)}
}

func TestJWKSClientFetchesOnceAndCaches(t *testing.T) {
	srv := newJWKSServer(t, pubKey("a", 1))
	c := newJWKSClient(t, srv.URL, &fakeClock{t: testNow})

	for range 3 {
		got, err := c.Key(t.Context(), "a")
		if err != nil {
			t.Fatalf("Key: %v", err)
		}
		if !got.Equal(pubKey("a", 1).Public) {
			t.Fatalf("Key = %x, want the served key", got)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}

func TestJWKSClientRefetchesForANewKid(t *testing.T) {
	srv := newJWKSServer(t, pubKey("a", 1))
	clock := &fakeClock{t: testNow}
	c := newJWKSClient(t, srv.URL, clock)
	if _, err := c.Key(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}

	// The auth service rotates; a token with the new kid arrives later.
	srv.set([]Key{pubKey("a", 1), pubKey("b", 2)}, http.StatusOK, "")
	clock.Advance(DefaultJWKSMinRefetch)
	got, err := c.Key(t.Context(), "b")

	if err != nil || !got.Equal(pubKey("b", 2).Public) {
		t.Fatalf("Key(b) = %x, %v; want the rotated key", got, err)
	}
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("fetched %d times, want 2", n)
	}
}

func TestJWKSClientFetchesAtMostOncePerInterval(t *testing.T) {
	srv := newJWKSServer(t, pubKey("a", 1))
	clock := &fakeClock{t: testNow}
	c := newJWKSClient(t, srv.URL, clock)

	for i := range 20 {
		if _, err := c.Key(t.Context(), fmt.Sprintf("random-%d", i)); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("Key(random) error = %v, want ErrUnknownKey", err)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetched %d times for 20 random kids within the interval, want 1", n)
	}

	clock.Advance(DefaultJWKSMinRefetch - time.Second)
	_, _ = c.Key(t.Context(), "random-again")
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("fetched %d times before the interval passed, want 1", n)
	}
	clock.Advance(time.Second)
	_, _ = c.Key(t.Context(), "random-again")
	if n := srv.fetches.Load(); n != 2 {
		t.Errorf("fetched %d times once the interval passed, want 2", n)
	}
}

func TestJWKSClientSharesOneFetchBetweenConcurrentLookups(t *testing.T) {
	srv := newJWKSServer(t, pubKey("a", 1))
	c := newJWKSClient(t, srv.URL, &fakeClock{t: testNow})

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			if _, err := c.Key(t.Context(), "a"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Key: %v", err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}

func TestJWKSClientRefreshesOldKeys(t *testing.T) {
	srv := newJWKSServer(t, pubKey("a", 1))
	clock := &fakeClock{t: testNow}
	c := newJWKSClient(t, srv.URL, clock)
	if _, err := c.Key(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}

	// The auth service withdraws key a.
	srv.set([]Key{pubKey("b", 2)}, http.StatusOK, "")
	clock.Advance(DefaultJWKSMaxAge)

	if _, err := c.Key(t.Context(), "a"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Key(withdrawn) error = %v, want ErrUnknownKey", err)
	}
}

func TestJWKSClientKeepsKeysWhenAFetchFails(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"server error", http.StatusBadGateway, `{"keys":[]}`},
		{"a document with a private key", http.StatusOK, `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"a","x":"` +
			rfc8037.x + `","d":"` + rfc8037.d + `"}]}`},
		{"not JSON", http.StatusOK, `<html>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, pubKey("a", 1))
			clock := &fakeClock{t: testNow}
			c := newJWKSClient(t, srv.URL, clock)
			if _, err := c.Key(t.Context(), "a"); err != nil {
				t.Fatal(err)
			}
			srv.set(nil, tt.status, tt.body)
			clock.Advance(DefaultJWKSMaxAge)

			got, err := c.Key(t.Context(), "a")
			if err != nil || !got.Equal(pubKey("a", 1).Public) {
				t.Errorf("Key(a) = %x, %v; want the key fetched before", got, err)
			}
			_, err = c.Key(t.Context(), "b")
			if !errors.Is(err, core.ErrUnavailable) || errors.Is(err, ErrUnknownKey) {
				t.Errorf("Key(b) error = %v, want unavailable, not unknown", err)
			}
			if n := srv.fetches.Load(); n != 2 {
				t.Errorf("fetched %d times, want 2", n)
			}
		})
	}
}

func TestJWKSClientGivesUpAfterTheTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: the handler returns, Close can finish
	c, err := NewJWKSClient(JWKSClientConfig{URL: srv.URL + JWKSPath, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := c.Key(t.Context(), "a")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, core.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Key error = %v, want unavailable after the deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Key did not return within 5s of a 50ms timeout")
	}
}

func TestJWKSClientWaiterHonoursItsContext(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	c := newJWKSClient(t, srv.URL+JWKSPath, &fakeClock{t: testNow})

	first := make(chan error, 1)
	go func() {
		_, err := c.Key(context.Background(), "a")
		first <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Key(ctx, "a")
	close(release)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("waiting Key error = %v, want context.Canceled", err)
	}
	if err := <-first; !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("fetching Key error = %v, want unavailable", err)
	}
}

func TestNewJWKSClientRefusesABadURL(t *testing.T) {
	for _, u := range []string{"", "auth:8080/.well-known/jwks.json", "file:///etc/jwks.json", "http://"} {
		if _, err := NewJWKSClient(JWKSClientConfig{URL: u}); err == nil {
			t.Errorf("NewJWKSClient(%q) succeeded, want an error", u)
		}
	}
}

// TestVerifierWithJWKSClient is the distributed mode end to end: the auth
// service's keys served over HTTP, a verifier in another service, a rotation.
func TestVerifierWithJWKSClient(t *testing.T) {
	oldSigner, err := NewSigner(testKey(1), "old", testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	newSigner, err := NewSigner(testKey(2), "new", testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	srv := newJWKSServer(t, oldSigner.PublicKey())
	clock := &fakeClock{t: testNow}
	v := newVerifier(t, newJWKSClient(t, srv.URL, clock), clock)

	oldToken, _, err := oldSigner.Issue(caseworker(), testAudience, 0, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), oldToken); err != nil {
		t.Fatalf("Verify(old key): %v", err)
	}

	srv.set([]Key{oldSigner.PublicKey(), newSigner.PublicKey()}, http.StatusOK, "")
	clock.Advance(DefaultJWKSMinRefetch)
	newToken, _, err := newSigner.Issue(caseworker(), testAudience, 0, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), newToken); err != nil {
		t.Errorf("Verify(rotated key): %v", err)
	}
	if _, err := v.Verify(t.Context(), oldToken); err != nil {
		t.Errorf("Verify(old key after rotation): %v", err)
	}
}
