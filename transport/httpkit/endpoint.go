package httpkit

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"
	"golang.org/x/time/rate"

	"github.com/tidbok/tidbok/core"
)

// Result is the response of an endpoint built with Unary: the value, or the
// business error that travels in it.
type Result[T any] struct {
	Value T
	Err   error
}

// Failed implements Failer.
func (r Result[T]) Failed() error { return r.Err }

// Unary adapts a service method to a go-kit endpoint. The type assertion of
// the request happens here, once, instead of in every endpoint.
func Unary[Req, Resp any](f func(ctx context.Context, req Req) (Resp, error)) endpoint.Endpoint {
	return func(ctx context.Context, request any) (any, error) {
		v, err := f(ctx, request.(Req))
		return Result[Resp]{Value: v, Err: err}, nil
	}
}

// Encode returns a response encoder that writes status and the JSON of
// toJSON(value) for a successful Result, and the problem otherwise.
func Encode[T any](status int, toJSON func(T) any) kithttp.EncodeResponseFunc {
	return func(ctx context.Context, w http.ResponseWriter, response any) error {
		r := response.(Result[T])
		if r.Err != nil {
			WriteError(ctx, w, r.Err)
			return nil
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return nil
		}
		return WriteJSON(w, status, toJSON(r.Value))
	}
}

// NoStore marks a response as never to be cached: tokens, secrets, personal data.
func NoStore(ctx context.Context, w http.ResponseWriter) context.Context {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	return ctx
}

// ServerOptions are the go-kit server options every route uses.
func ServerOptions(extra ...kithttp.ServerOption) []kithttp.ServerOption {
	return append([]kithttp.ServerOption{
		kithttp.ServerErrorEncoder(ErrorEncoder),
		kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
			return core.WithRequestMeta(ctx, core.RequestMeta{ClientIP: ClientIP(r), RequestID: RequestID(ctx)})
		}),
	}, extra...)
}

// ClientIP is the address of the immediate peer. Behind a reverse proxy,
// configure the proxy to overwrite (not append to) X-Forwarded-For and set
// TIDBOK_TRUST_PROXY; until then the peer address is all we trust.
func ClientIP(r *http.Request) string {
	if trustProxy.Load() {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// trustProxy is process-wide: a process sits behind one proxy or none.
var trustProxy atomic.Bool

// TrustProxy makes ClientIP believe X-Forwarded-For.
func TrustProxy(on bool) { trustProxy.Store(on) }

// RateLimiter limits requests per client address with a token bucket each.
// It keeps state in memory, per process: a limit against floods, not an
// accounting. Idle buckets are forgotten.
type RateLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewRateLimiter allows perMinute requests a minute per address, in bursts of burst.
func NewRateLimiter(perMinute float64, burst int) *RateLimiter {
	return &RateLimiter{limit: rate.Limit(perMinute / 60), burst: burst, buckets: map[string]*bucket{}}
}

// Wrap limits next.
func (l *RateLimiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait, ok := l.Allow(r); !ok {
			WriteError(r.Context(), w, &core.RetryAfterError{Kind: core.ErrRateLimited, Wait: wait, Cause: "too many requests from your address"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Allow counts r against its client address and reports whether it may go
// on, or else how long to wait; for a route that answers refusals itself.
func (l *RateLimiter) Allow(r *http.Request) (time.Duration, bool) {
	return l.allow(ClientIP(r), time.Now())
}

func (l *RateLimiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}
