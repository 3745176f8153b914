package httpkit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Headers of the Idempotency-Key protocol.
const (
	IdempotencyKeyHeader     = "Idempotency-Key"
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

const (
	// idempotencyWait bounds how long a request waits for an earlier one
	// with the same key to finish before it is told to try again (409).
	idempotencyWait = 10 * time.Second
	// idempotencyLease is how long the first request may run. Its handler's
	// context ends then, and a reservation still pending after it is taken
	// to be left by a process that died mid-request, so a retry can run.
	idempotencyLease = 2 * time.Minute
	// idempotencyPurgeEvery spaces the deletion of expired records, so that
	// it is not a cost every request pays.
	idempotencyPurgeEvery = 10 * time.Minute
	// anonymousKeyMin is the shortest key an anonymous caller may use. Its
	// records are scoped by nothing but the key, so the key must be long
	// enough to be random (a UUID, 32 hex digits) and not a counter such as
	// "1" that another client could send too.
	anonymousKeyMin = 32
	// anonymousScope is the principal of every anonymous caller's records.
	anonymousScope = "anonymous"
)

// replayedHeaders are the response headers stored with a response and sent
// again on a replay: those that say what was created and how to change it
// next. Request-specific ones (X-Request-Id, Date, Set-Cookie) are not.
var replayedHeaders = []string{"Location", "Content-Location", "ETag", "Last-Modified", "Cache-Control", "Pragma", "Content-Language"}

// IdempotencyRecord is one key's reservation and, once the first request
// with it has finished, the response to give every retry.
type IdempotencyRecord struct {
	// Principal scopes the key: "citizen:<id>", "staff:<id>", "client:<id>",
	// or "anonymous".
	Principal string
	Key       string
	// Route is the route pattern, for people reading the table.
	Route string
	// RequestHash is the hex SHA-256 of the method, route, path, query and
	// body: a retry must match it.
	RequestHash string
	// Status is 0 while the first request runs.
	Status      int
	ContentType string
	Header      http.Header // the replayedHeaders the response had
	Body        []byte
	CreatedAt   time.Time // UTC; with Principal and Key it names one reservation
}

// Pending reports whether the first request with the key is still running.
func (r IdempotencyRecord) Pending() bool { return r.Status == 0 }

// IdempotencyCutoffs say which records no longer count: any created before
// Expired (past the ttl), and a pending one created before Abandoned (its
// request died with its process).
type IdempotencyCutoffs struct {
	Expired   time.Time
	Abandoned time.Time
}

// Stale reports whether rec no longer counts and may be replaced.
func (c IdempotencyCutoffs) Stale(rec IdempotencyRecord) bool {
	return rec.CreatedAt.Before(c.Expired) || (rec.Pending() && rec.CreatedAt.Before(c.Abandoned))
}

// IdempotencyStore keeps IdempotencyRecords; db/idemstore is the SQL one.
// Records are identified by (Principal, Key); Complete and Abandon act only
// on the reservation with the same CreatedAt, so a request that outlived its
// lease cannot touch the reservation of the retry that replaced it.
type IdempotencyStore interface {
	// Begin reserves rec (pending, Status 0) atomically: of any number of
	// concurrent calls for one key exactly one gets reserved == true. The
	// others get the record that holds the key. Stale records are replaced.
	Begin(ctx context.Context, rec IdempotencyRecord, cut IdempotencyCutoffs) (existing IdempotencyRecord, reserved bool, err error)
	// Complete stores the response (Status, ContentType, Header, Body of rec)
	// in the pending reservation rec. It fails with core.ErrConflict when
	// that reservation is no longer held.
	Complete(ctx context.Context, rec IdempotencyRecord) error
	// Abandon deletes the pending reservation rec so a retry runs afresh.
	// A reservation that is gone or complete is left alone.
	Abandon(ctx context.Context, rec IdempotencyRecord) error
	// Get returns the record for (principal, key), stale or not, or an
	// error wrapping core.ErrNotFound.
	Get(ctx context.Context, principal, key string) (IdempotencyRecord, error)
	// Purge deletes the records created before before and says how many.
	Purge(ctx context.Context, before time.Time) (int64, error)
}

var errIdempotencyInProgress = &core.RetryAfterError{
	Kind:  core.ErrConflict,
	Wait:  time.Second,
	Cause: "a request with this Idempotency-Key is still being processed",
}

// Idempotent makes a POST that creates or acts safe to retry. Wrap single
// routes with it, inside Authenticate:
//
//	mux.Handle("POST /v1/appointments", httpkit.Idempotent(store, 24*time.Hour)(createHandler))
//
// A request without an Idempotency-Key header passes through untouched.
// With one, the first request runs and its response (unless 5xx or 429,
// which say "try again") is stored for ttl under the caller and the key; a
// retry with the same key, method, path, query and body gets that response
// again, byte for byte, with "Idempotent-Replayed: true". The same key with
// another request is a 422; a retry that arrives while the first still runs
// waits up to 10 s for it, then gets a 409. Anonymous callers share one
// scope, so their keys must be long enough to be random (anonymousKeyMin).
// Do not wrap routes whose responses carry secrets (tokens, client
// secrets): they would be stored as they are.
func Idempotent(store IdempotencyStore, ttl time.Duration) func(http.Handler) http.Handler {
	return idempotent(store, ttl, idempotencyWait)
}

func idempotent(store IdempotencyStore, ttl, wait time.Duration) func(http.Handler) http.Handler {
	m := &idempotency{store: store, ttl: ttl, wait: wait}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			keys := r.Header.Values(IdempotencyKeyHeader)
			if len(keys) == 0 {
				next.ServeHTTP(w, r)
				return
			}
			m.serve(w, r, keys, next)
		})
	}
}

type idempotency struct {
	store     IdempotencyStore
	ttl       time.Duration
	wait      time.Duration
	lastPurge atomic.Int64 // unix nanoseconds; 0 so a fresh process purges on its first key
}

func (m *idempotency) cutoffs(now time.Time) IdempotencyCutoffs {
	return IdempotencyCutoffs{Expired: now.Add(-m.ttl), Abandoned: now.Add(-idempotencyLease)}
}

func (m *idempotency) serve(w http.ResponseWriter, r *http.Request, keys []string, next http.Handler) {
	ctx := r.Context()
	key, err := checkIdempotencyKey(keys)
	if err != nil {
		WriteError(ctx, w, err)
		return
	}
	scope := anonymousScope
	if p, ok := core.PrincipalFrom(ctx); ok {
		scope = string(p.Kind) + ":" + p.Subject
	} else if len(key) < anonymousKeyMin {
		WriteError(ctx, w, core.Invalid(IdempotencyKeyHeader,
			fmt.Sprintf("must be at least %d characters when not signed in: use a random UUID", anonymousKeyMin)))
		return
	}
	// The outer Middleware limits the body already; this keeps the limit
	// when a route is served without it.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			err = core.Invalid("body", "could not be read")
		}
		WriteError(ctx, w, err)
		return
	}
	route := r.Pattern
	if route == "" {
		route = r.Method + " " + r.URL.Path
	}
	rec := IdempotencyRecord{Principal: scope, Key: key, Route: route, RequestHash: requestHash(r, route, body)}
	m.maybePurge(ctx, time.Now())

	existing, reserved, err := m.acquire(ctx, rec)
	switch {
	case err != nil:
		WriteError(ctx, w, err)
	case reserved:
		m.run(w, r, body, existing, next)
	default:
		replay(w, existing)
	}
}

// checkIdempotencyKey accepts one header of 1–255 printable ASCII
// characters. The key is opaque: a quoted form (the IETF draft sends a
// structured-field string) is kept with its quotes, which is the same on
// every retry.
func checkIdempotencyKey(values []string) (string, error) {
	if len(values) > 1 {
		return "", core.Invalid(IdempotencyKeyHeader, "send the header once")
	}
	key := values[0]
	ok := len(key) >= 1 && len(key) <= 255
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] >= 0x20 && key[i] <= 0x7e
	}
	if !ok {
		return "", core.Invalid(IdempotencyKeyHeader, "must be 1–255 printable ASCII characters")
	}
	return key, nil
}

// requestHash tells one request from another. The path is in it as well as
// the route pattern: POST /v1/appointments/{id}/cancel with one key must not
// replay the cancellation of one appointment as that of another.
func requestHash(r *http.Request, route string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", r.Method, route, r.URL.EscapedPath(), r.URL.RawQuery)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// acquire reserves rec's key, or returns the finished record holding it.
// While another request holds it pending, acquire polls until that request
// finishes (its record to replay), gives up (the key is free again: reserve
// it) or m.wait passes (errIdempotencyInProgress).
func (m *idempotency) acquire(ctx context.Context, rec IdempotencyRecord) (IdempotencyRecord, bool, error) {
	waitCtx, cancel := context.WithTimeout(ctx, m.wait)
	defer cancel()
	timeout := func(err error) error {
		if waitCtx.Err() != nil && ctx.Err() == nil {
			return errIdempotencyInProgress
		}
		return err
	}
	backoff := 5 * time.Millisecond
	for {
		now := time.Now().UTC()
		rec.CreatedAt = now.Truncate(time.Microsecond)
		existing, reserved, err := m.store.Begin(waitCtx, rec, m.cutoffs(now))
		if err != nil {
			return IdempotencyRecord{}, false, timeout(err)
		}
		if reserved {
			return rec, true, nil
		}
		for {
			if existing.RequestHash != rec.RequestHash {
				return IdempotencyRecord{}, false, fmt.Errorf("%w (%s); use a new key for a new request", errIdempotencyKeyReused, existing.Route)
			}
			if !existing.Pending() {
				return existing, false, nil
			}
			t := time.NewTimer(backoff)
			select {
			case <-waitCtx.Done():
				t.Stop()
				return IdempotencyRecord{}, false, timeout(waitCtx.Err())
			case <-t.C:
			}
			backoff = min(2*backoff, 200*time.Millisecond)
			existing, err = m.store.Get(waitCtx, rec.Principal, rec.Key)
			if errors.Is(err, core.ErrNotFound) || (err == nil && m.cutoffs(time.Now()).Stale(existing)) {
				break // the holder gave up: try to reserve the key again
			}
			if err != nil {
				return IdempotencyRecord{}, false, timeout(err)
			}
		}
	}
}

// run serves the first request with a key into a buffer, stores the
// response (or frees the key when it says "try again"), then sends it. It
// stores before sending so that a client that retries at once finds it.
func (m *idempotency) run(w http.ResponseWriter, r *http.Request, body []byte, rec IdempotencyRecord, next http.Handler) {
	rw := &bufferedResponse{header: w.Header(), status: http.StatusOK}
	finished := false
	defer func() {
		if !finished {
			// A panic: free the key, and let Middleware's recovery answer.
			m.abandon(r.Context(), rec)
		}
	}()
	// The lease ends when others may take the key over (IdempotencyCutoffs).
	ctx, cancel := context.WithDeadline(r.Context(), rec.CreatedAt.Add(idempotencyLease))
	defer cancel()
	inner := r.WithContext(ctx)
	inner.Body = io.NopCloser(bytes.NewReader(body)) // the handler reads what was hashed
	next.ServeHTTP(rw, inner)
	finished = true

	if rw.status >= 500 || rw.status == http.StatusTooManyRequests {
		m.abandon(r.Context(), rec)
	} else {
		rec.Status, rec.ContentType, rec.Body = rw.status, w.Header().Get("Content-Type"), rw.body.Bytes()
		rec.Header = http.Header{}
		for _, name := range replayedHeaders {
			for _, v := range w.Header().Values(name) {
				rec.Header.Add(name, v)
			}
		}
		sctx, cancel := detached(r.Context())
		defer cancel()
		// When this fails the reservation stays pending: retries get 409
		// until the lease ends, rather than a second run of what just
		// happened. The client still gets the true answer now.
		_ = m.store.Complete(sctx, rec)
	}
	w.WriteHeader(rw.status)
	_, _ = w.Write(rw.body.Bytes())
}

func (m *idempotency) abandon(ctx context.Context, rec IdempotencyRecord) {
	sctx, cancel := detached(ctx)
	defer cancel()
	// If this fails the reservation lapses with its lease.
	_ = m.store.Abandon(sctx, rec)
}

// detached outlives the request: the outcome is recorded even when the
// client has gone away.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

// maybePurge deletes expired records at most once per idempotencyPurgeEvery
// per process, in the background.
func (m *idempotency) maybePurge(ctx context.Context, now time.Time) {
	last := m.lastPurge.Load()
	if now.UnixNano()-last < int64(idempotencyPurgeEvery) || !m.lastPurge.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		// A failed purge is retried at the next interval; stale records are
		// ignored meanwhile.
		_, _ = m.store.Purge(ctx, now.Add(-m.ttl).UTC())
	}()
}

func replay(w http.ResponseWriter, rec IdempotencyRecord) {
	h := w.Header()
	for name, v := range rec.Header {
		h[http.CanonicalHeaderKey(name)] = slices.Clone(v)
	}
	if rec.ContentType != "" {
		h.Set("Content-Type", rec.ContentType)
	}
	h.Set(IdempotentReplayedHeader, "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// bufferedResponse holds the first response back until it is stored.
// Headers go straight to the real writer's map; only the status and the
// body wait.
type bufferedResponse struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.wroteHeader || (status >= 100 && status < 200) {
		return
	}
	b.status, b.wroteHeader = status, true
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.wroteHeader = true
	return b.body.Write(p)
}
