package httpkit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/idemstore"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// idemFixture is a real HTTP server with the production middleware around
// routes that create rows in the test database, behind Idempotent.
type idemFixture struct {
	srv   *httptest.Server
	d     *db.DB
	calls atomic.Int64 // handler runs, on every route

	// For the gated fixture: the create handler signals entered and waits
	// for release; heldOff gets a value for each Begin that found the key
	// pending, which is how a test knows the other requests are waiting.
	entered chan struct{}
	release chan struct{}
	heldOff chan struct{}
	open    func() // closes release, once
}

type idemOptions struct {
	ttl   time.Duration
	wait  time.Duration // 0: Idempotent's own
	gated bool
}

// observedStore tells the test when a request finds its key held.
type observedStore struct {
	httpkit.IdempotencyStore
	heldOff chan struct{}
}

func (s observedStore) Begin(ctx context.Context, rec httpkit.IdempotencyRecord, cut httpkit.IdempotencyCutoffs) (httpkit.IdempotencyRecord, bool, error) {
	existing, reserved, err := s.IdempotencyStore.Begin(ctx, rec, cut)
	if err == nil && !reserved && existing.Pending() {
		select {
		case s.heldOff <- struct{}{}:
		default:
		}
	}
	return existing, reserved, err
}

func newIdemFixture(t *testing.T, d *db.DB, o idemOptions) *idemFixture {
	t.Helper()
	f := &idemFixture{d: d, heldOff: make(chan struct{}, 64)}
	if o.gated {
		f.entered, f.release = make(chan struct{}, 64), make(chan struct{})
	}
	f.open = sync.OnceFunc(func() {
		if f.release != nil {
			close(f.release)
		}
	})
	if o.ttl == 0 {
		o.ttl = 24 * time.Hour
	}
	var store httpkit.IdempotencyStore = observedStore{idemstore.New(d), f.heldOff}
	idem := httpkit.Idempotent(store, o.ttl)
	if o.wait != 0 {
		idem = httpkit.IdempotentWait(store, o.ttl, o.wait)
	}

	create := func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		var in struct {
			Name string `json:"name"`
		}
		if err := httpkit.DecodeJSONBody(r, &in); err != nil {
			httpkit.WriteError(r.Context(), w, err)
			return
		}
		if f.release != nil {
			f.entered <- struct{}{}
			<-f.release
		}
		id := core.NewID()
		if _, err := d.ExecContext(r.Context(), d.Rebind(`INSERT INTO idem_test_things (id, name) VALUES (?, ?)`), id, in.Name); err != nil {
			httpkit.WriteError(r.Context(), w, db.MapError(err))
			return
		}
		w.Header().Set("Location", "/things/"+id)
		w.Header().Set("ETag", `"1"`)
		_ = httpkit.WriteJSON(w, http.StatusCreated, map[string]string{"id": id, "name": in.Name})
	}
	var flaky, panicky atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("POST /things", idem(http.HandlerFunc(create)))
	mux.Handle("POST /things/{id}/rename", idem(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		_ = httpkit.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})))
	mux.Handle("POST /flaky", idem(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) == 1 {
			f.calls.Add(1)
			if f.release != nil {
				f.entered <- struct{}{}
				<-f.release
			}
			httpkit.WriteError(r.Context(), w, errors.New("database on fire"))
			return
		}
		create(w, r)
	})))
	mux.Handle("POST /panicky", idem(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if panicky.Add(1) == 1 {
			f.calls.Add(1)
			panic("handler bug")
		}
		create(w, r)
	})))
	// Stands in for Authenticate: X-Test-Principal is "kind:subject".
	withPrincipal := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if kind, subject, ok := strings.Cut(r.Header.Get("X-Test-Principal"), ":"); ok {
				r = r.WithContext(core.WithPrincipal(r.Context(), core.Principal{Kind: core.PrincipalKind(kind), Subject: subject}))
			}
			next.ServeHTTP(w, r)
		})
	}
	_, m := httpkit.NewRegistry()
	f.srv = httptest.NewServer(httpkit.Middleware(log.NewNopLogger(), m)(withPrincipal(mux)))
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.open) // runs first: a failed test must not leave a handler blocked
	return f
}

type idemResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r idemResponse) replayed() bool {
	return r.header.Get(httpkit.IdempotentReplayedHeader) == "true"
}

// post sends body to path as principal ("" for anonymous) with the given
// Idempotency-Key headers (none: no header).
func (f *idemFixture) post(t *testing.T, path, principal, body string, keys ...string) idemResponse {
	t.Helper()
	r, err := f.send(path, principal, body, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// send is post for other goroutines than the test's.
func (f *idemFixture) send(path, principal, body string, keys ...string) (idemResponse, error) {
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return idemResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if principal != "" {
		req.Header.Set("X-Test-Principal", principal)
	}
	for _, k := range keys {
		req.Header.Add(httpkit.IdempotencyKeyHeader, k)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		return idemResponse{}, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return idemResponse{}, fmt.Errorf("read %s: %w", path, err)
	}
	return idemResponse{resp.StatusCode, resp.Header, b}, nil
}

// recv waits for a value on ch, failing rather than hanging when none comes.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func (f *idemFixture) rows(t *testing.T, name string) int {
	t.Helper()
	var n int
	if err := f.d.GetContext(context.Background(), &n, f.d.Rebind(`SELECT count(*) FROM idem_test_things WHERE name = ?`), name); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantStatus(t *testing.T, r idemResponse, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

func problemOf(t *testing.T, r idemResponse) httpkit.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != httpkit.ProblemContentType {
		t.Fatalf("Content-Type %q, want a problem; body %s", ct, r.body)
	}
	var p httpkit.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	return p
}

func idOf(t *testing.T, r idemResponse) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || v.ID == "" {
		t.Fatalf("no id in %s (%v)", r.body, err)
	}
	return v.ID
}

// A long random-looking key, as an anonymous caller must send.
const longKey = "5f0c6f4e-8a51-4d38-9a4b-0d7e2b3c9f11"

func TestIdempotent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		// A table for the handlers to create rows in; it goes with the test database.
		if _, err := d.Exec(`CREATE TABLE idem_test_things (id text PRIMARY KEY, name text NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		const alice, bob = "citizen:alice", "staff:bob"

		t.Run("a retry gets the first response byte for byte and creates nothing", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{})
			first := f.post(t, "/things", alice, `{"name":"retry"}`, "k-retry")
			wantStatus(t, first, http.StatusCreated)
			if first.replayed() {
				t.Fatal("the first response says it was replayed")
			}
			for range 2 {
				again := f.post(t, "/things", alice, `{"name":"retry"}`, "k-retry")
				wantStatus(t, again, http.StatusCreated)
				if !bytes.Equal(again.body, first.body) || !again.replayed() {
					t.Fatalf("retry body %q (replayed %v), want %q", again.body, again.replayed(), first.body)
				}
				for _, h := range []string{"Content-Type", "Location", "ETag"} {
					if again.header.Get(h) != first.header.Get(h) || first.header.Get(h) == "" {
						t.Errorf("%s: retry %q, first %q", h, again.header.Get(h), first.header.Get(h))
					}
				}
				if again.header.Get(httpkit.RequestIDHeader) == first.header.Get(httpkit.RequestIDHeader) {
					t.Error("the retry carries the first request's id")
				}
			}
			if n := f.rows(t, "retry"); n != 1 || f.calls.Load() != 1 {
				t.Fatalf("%d rows, %d handler runs; want 1 and 1", n, f.calls.Load())
			}
		})

		t.Run("the same key for another request is a 422 and runs nothing", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{})
			id := idOf(t, f.post(t, "/things", alice, `{"name":"original"}`, "k-reused"))
			cases := []struct {
				name, path, body string
			}{
				{"another body", "/things", `{"name":"changed"}`},
				{"another route", "/things/" + id + "/rename", `{"name":"original"}`},
			}
			for _, c := range cases {
				r := f.post(t, c.path, alice, c.body, "k-reused")
				wantStatus(t, r, http.StatusUnprocessableEntity)
				if p := problemOf(t, r); p.Type != httpkit.ProblemTypePrefix+"idempotency-key-reused" || p.Status != 422 {
					t.Errorf("%s: problem %+v", c.name, p)
				}
			}
			// Action routes carry the id in the path: one key, one resource.
			f.post(t, "/things/a/rename", alice, `{}`, "k-path")
			wantStatus(t, f.post(t, "/things/b/rename", alice, `{}`, "k-path"), http.StatusUnprocessableEntity)
			if n := f.rows(t, "changed"); n != 0 || f.calls.Load() != 2 {
				t.Fatalf("%d rows, %d handler runs; want 0 and 2", n, f.calls.Load())
			}
		})

		t.Run("20 concurrent requests with one key create one row and get one body", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{gated: true})
			const n = 20
			responses := make([]idemResponse, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { responses[i], errs[i] = f.send("/things", bob, `{"name":"race"}`, "k-race") })
			}
			// Hold the first request until every other one has found the key
			// taken, so that they all go through the wait.
			recv(t, f.entered, "the first request")
			for i := range n - 1 {
				recv(t, f.heldOff, fmt.Sprintf("request %d to find the key taken", i+2))
			}
			f.open()
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			replayed := 0
			for i, r := range responses {
				wantStatus(t, r, http.StatusCreated)
				if !bytes.Equal(r.body, responses[0].body) {
					t.Fatalf("response %d: %q, want %q", i, r.body, responses[0].body)
				}
				if r.replayed() {
					replayed++
				}
			}
			if rows := f.rows(t, "race"); rows != 1 || replayed != n-1 || f.calls.Load() != 1 {
				t.Fatalf("%d rows, %d replayed, %d handler runs; want 1, %d, 1", rows, replayed, f.calls.Load(), n-1)
			}
		})

		t.Run("a request still running after the wait gets 409, and the result later", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{gated: true, wait: 50 * time.Millisecond})
			done := make(chan idemResponse, 1)
			go func() {
				r, err := f.send("/things", bob, `{"name":"slow"}`, "k-slow")
				if err != nil {
					r.body = []byte(err.Error())
				}
				done <- r
			}()
			recv(t, f.entered, "the first request")
			busy := f.post(t, "/things", bob, `{"name":"slow"}`, "k-slow")
			wantStatus(t, busy, http.StatusConflict)
			if p := problemOf(t, busy); !strings.Contains(p.Detail, "still being processed") || busy.header.Get("Retry-After") == "" {
				t.Fatalf("problem %+v, Retry-After %q", p, busy.header.Get("Retry-After"))
			}
			f.open()
			first := recv(t, done, "the first response")
			wantStatus(t, first, http.StatusCreated)
			later := f.post(t, "/things", bob, `{"name":"slow"}`, "k-slow")
			if !later.replayed() || !bytes.Equal(later.body, first.body) || f.rows(t, "slow") != 1 {
				t.Fatalf("later: %d %q replayed %v, want the first %q", later.status, later.body, later.replayed(), first.body)
			}
		})

		t.Run("a failed first request is not stored: the retry runs again", func(t *testing.T) {
			cases := []struct{ name, path string }{
				{"a 500", "/flaky"},
				{"a panic", "/panicky"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					f := newIdemFixture(t, d, idemOptions{})
					name := strings.TrimPrefix(c.path, "/")
					body := `{"name":"` + name + `"}`
					wantStatus(t, f.post(t, c.path, alice, body, "k-"+name), http.StatusInternalServerError)
					second := f.post(t, c.path, alice, body, "k-"+name)
					wantStatus(t, second, http.StatusCreated)
					if second.replayed() {
						t.Fatal("the retry was a replay of the failure")
					}
					third := f.post(t, c.path, alice, body, "k-"+name)
					if !third.replayed() || !bytes.Equal(third.body, second.body) {
						t.Fatalf("third: %q replayed %v, want the second %q", third.body, third.replayed(), second.body)
					}
					if n := f.rows(t, name); n != 1 || f.calls.Load() != 2 {
						t.Fatalf("%d rows, %d handler runs; want 1 and 2", n, f.calls.Load())
					}
				})
			}
		})

		t.Run("a request waiting on one that fails takes the key and runs", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{gated: true})
			results := make(chan idemResponse, 2)
			send := func() {
				r, err := f.send("/flaky", alice, `{"name":"takeover"}`, "k-takeover")
				if err != nil {
					r.body = []byte(err.Error())
				}
				results <- r
			}
			go send()
			recv(t, f.entered, "the first request")
			go send()
			recv(t, f.heldOff, "the second request to find the key taken")
			f.open()
			first, second := recv(t, results, "a response"), recv(t, results, "a response")
			if first.status != http.StatusInternalServerError {
				first, second = second, first // they may arrive in either order
			}
			wantStatus(t, first, http.StatusInternalServerError)
			wantStatus(t, second, http.StatusCreated)
			if second.replayed() || f.rows(t, "takeover") != 1 || f.calls.Load() != 2 {
				t.Fatalf("replayed %v, %d rows, %d handler runs; want a fresh run, 1, 2", second.replayed(), f.rows(t, "takeover"), f.calls.Load())
			}
		})

		t.Run("without the header every request runs", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{})
			a := f.post(t, "/things", alice, `{"name":"plain"}`)
			b := f.post(t, "/things", alice, `{"name":"plain"}`)
			wantStatus(t, a, http.StatusCreated)
			wantStatus(t, b, http.StatusCreated)
			if idOf(t, a) == idOf(t, b) || a.replayed() || b.replayed() || f.rows(t, "plain") != 2 {
				t.Fatalf("two plain POSTs: %q and %q, %d rows", a.body, b.body, f.rows(t, "plain"))
			}
		})

		t.Run("keys are per principal", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{})
			callers := []string{alice, bob, "citizen:bob", ""} // "" is anonymous
			ids := map[string]string{}
			for _, p := range callers {
				r := f.post(t, "/things", p, `{"name":"shared"}`, longKey)
				wantStatus(t, r, http.StatusCreated)
				if r.replayed() {
					t.Fatalf("%q got another principal's response %s", p, r.body)
				}
				ids[p] = idOf(t, r)
			}
			for _, p := range callers {
				if again := f.post(t, "/things", p, `{"name":"shared"}`, longKey); idOf(t, again) != ids[p] || !again.replayed() {
					t.Fatalf("%q's retry got %s, want its own %s", p, again.body, ids[p])
				}
			}
			if n := f.rows(t, "shared"); n != len(callers) {
				t.Fatalf("%d rows, want %d", n, len(callers))
			}
		})

		t.Run("a record past the ttl is forgotten: the retry runs again", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{ttl: time.Nanosecond})
			a := f.post(t, "/things", alice, `{"name":"expired"}`, "k-expired")
			b := f.post(t, "/things", alice, `{"name":"expired"}`, "k-expired")
			if b.replayed() || idOf(t, a) == idOf(t, b) || f.rows(t, "expired") != 2 {
				t.Fatalf("retry after the ttl: %q replayed %v, first %q", b.body, b.replayed(), a.body)
			}
		})

		t.Run("a malformed key is a 400 naming the header, and runs nothing", func(t *testing.T) {
			f := newIdemFixture(t, d, idemOptions{})
			cases := []struct {
				name      string
				principal string
				keys      []string
			}{
				{"empty", alice, []string{""}},
				{"longer than 255", alice, []string{strings.Repeat("k", 256)}},
				{"a control character", alice, []string{"a\tb"}},
				{"not ASCII", alice, []string{"nyckel-å"}},
				{"sent twice", alice, []string{"k1", "k2"}},
				{"short from an anonymous caller", "", []string{"k1"}},
			}
			for _, c := range cases {
				r := f.post(t, "/things", c.principal, `{"name":"malformed"}`, c.keys...)
				if r.status != http.StatusBadRequest {
					t.Errorf("%s: status %d, want 400", c.name, r.status)
					continue
				}
				if p := problemOf(t, r); len(p.Errors) != 1 || p.Errors[0].Field != httpkit.IdempotencyKeyHeader {
					t.Errorf("%s: problem %+v does not name the header", c.name, p)
				}
			}
			if f.calls.Load() != 0 || f.rows(t, "malformed") != 0 {
				t.Fatalf("a malformed key ran the handler %d times", f.calls.Load())
			}
			// The longest and the widest keys that are allowed.
			for _, k := range []string{strings.Repeat("k", 255), ` !"~ quoted and spaced ~"! `} {
				wantStatus(t, f.post(t, "/things", alice, `{"name":"edge"}`, k), http.StatusCreated)
			}
		})
	})
}
