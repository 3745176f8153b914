package httpkit

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/kit/metrics"
	"github.com/go-kit/log"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

type ctxKey int

const (
	requestIDKey ctxKey = iota
	languageKey
	infoKey
)

// requestInfo gathers what the request log line needs from inner layers.
type requestInfo struct {
	err     error
	errorID string
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey).(*requestInfo)
	return info
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// LanguageFrom returns the language the caller asked for: "sv" or "en".
func LanguageFrom(ctx context.Context) string {
	if l, ok := ctx.Value(languageKey).(string); ok {
		return l
	}
	return "en"
}

// WithLanguage returns ctx carrying lang, for callers outside a request.
func WithLanguage(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, languageKey, lang)
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// Metrics are the request counter and latency histogram, labelled by method,
// route pattern and status.
type Metrics struct {
	Requests metrics.Counter
	Duration metrics.Histogram
}

// Middleware wraps the whole router: request id, language, body limit, panic
// recovery, problem documents for unmatched routes, one log line and the
// metrics per request. Inner handlers see the route pattern in r.Pattern once
// the ServeMux has matched.
func Middleware(logger log.Logger, m Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			begin := time.Now()
			id := r.Header.Get(RequestIDHeader)
			if !requestIDPattern.MatchString(id) {
				id = newErrorID()
			}
			info := &requestInfo{}
			ctx := context.WithValue(r.Context(), requestIDKey, id)
			ctx = context.WithValue(ctx, languageKey, negotiateLanguage(r.Header.Get("Accept-Language")))
			ctx = context.WithValue(ctx, infoKey, info)
			r = r.WithContext(ctx)
			w.Header().Set(RequestIDHeader, id)
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			}
			rw := &responseWriter{ResponseWriter: w, r: r, status: http.StatusOK}

			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					info.err = fmt.Errorf("panic: %v", p)
					_ = logger.Log("level", "error", "msg", "handler panicked", "request_id", id,
						"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if !rw.wroteHeader {
						WriteError(ctx, rw, info.err)
					}
				}
				route := r.Pattern
				if route == "" {
					route = "unmatched"
				}
				took := time.Since(begin)
				status := strconv.Itoa(rw.status)
				m.Requests.With("method", r.Method, "route", route, "status", status).Add(1)
				m.Duration.With("method", r.Method, "route", route, "status", status).Observe(took.Seconds())
				kv := []any{"level", "info", "msg", "request", "method", r.Method, "route", route,
					"status", rw.status, "duration_ms", float64(took.Microseconds()) / 1000, "bytes", rw.bytes, "request_id", id}
				if rw.status >= 500 {
					kv[1] = "error"
					if info.err != nil {
						kv = append(kv, "err", info.err.Error())
					}
					if info.errorID != "" {
						kv = append(kv, "error_id", info.errorID)
					}
				}
				_ = logger.Log(kv...)
			}()
			next.ServeHTTP(rw, r)
		})
	}
}

// responseWriter records the status and size, and turns the ServeMux's own
// plain-text 404 and 405 answers into problem documents.
type responseWriter struct {
	http.ResponseWriter
	r           *http.Request
	status      int
	bytes       int
	wroteHeader bool
	swallow     bool
}

func (w *responseWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	// The mux matched nothing: r.Pattern is empty only for its own error
	// handlers, never for one of our routes.
	if w.r.Pattern == "" && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) &&
		strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.swallow = true
		err := errNoRoute
		if status == http.StatusMethodNotAllowed {
			err = fmt.Errorf("%w: %s %s (allowed: %s)", errMethodNotAllowed, w.r.Method, w.r.URL.Path, w.Header().Get("Allow"))
		} else {
			err = fmt.Errorf("%w: %s", errNoRoute, w.r.URL.Path)
		}
		w.Header().Del("X-Content-Type-Options")
		p := ProblemFor(w.r.Context(), err)
		w.Header().Set("Content-Type", ProblemContentType)
		w.status, w.wroteHeader = status, true
		w.ResponseWriter.WriteHeader(status)
		n, _ := fmt.Fprintf(w.ResponseWriter, "%s\n", mustJSON(p))
		w.bytes += n
		return
	}
	w.status, w.wroteHeader = status, true
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// negotiateLanguage picks sv or en from an Accept-Language header, by quality.
func negotiateLanguage(header string) string {
	best, bestQ := "en", -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "sv" || base == "en") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}
