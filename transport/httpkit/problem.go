// Package httpkit is what every Tidbok HTTP transport shares: the one mapping
// from error kinds to status codes and RFC 9457 problem documents, request
// ids, the request log and metrics, panic recovery, body limits, JSON
// decoding and pagination parameters.
package httpkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tidbok/tidbok/core"
)

// ProblemContentType is the media type of error responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem document, with the per-field errors of a
// validation failure and ids that tie a response to the server's log line.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	Errors    []core.FieldError `json:"errors,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	ErrorID   string            `json:"error_id,omitempty"`
}

func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Detail
	}
	return p.Title
}

// kind is one row of the error table: an error kind, its status and its
// problem type, with titles in both languages.
type kind struct {
	err     error
	status  int
	slug    string
	titleEN string
	titleSV string
}

// kinds is the single mapping from error kinds to HTTP. Order matters only for
// errors that wrap two kinds; the first match wins.
var kinds = []kind{
	{core.ErrInvalid, http.StatusBadRequest, "invalid-input", "Invalid input", "Ogiltiga uppgifter"},
	{core.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated", "Sign-in required", "Inloggning krävs"},
	{core.ErrForbidden, http.StatusForbidden, "forbidden", "Not allowed", "Inte tillåtet"},
	{core.ErrNotFound, http.StatusNotFound, "not-found", "Not found", "Hittades inte"},
	{core.ErrConflict, http.StatusConflict, "conflict", "Conflict", "Konflikt"},
	{core.ErrPrecondition, http.StatusPreconditionFailed, "precondition-failed", "Changed by someone else", "Ändrad av någon annan"},
	{core.ErrRateLimited, http.StatusTooManyRequests, "rate-limited", "Too many requests", "För många förfrågningar"},
	{core.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Temporarily unavailable", "Tillfälligt otillgänglig"},
}

// Transport-level problems that have no domain error kind.
var (
	errNoRoute          = errors.New("no such resource")
	errMethodNotAllowed = errors.New("method not allowed")
	errBodyTooLarge     = errors.New("request body too large")
	errMediaType        = errors.New("unsupported media type")
	// A retry must repeat the request its Idempotency-Key was first used for.
	errIdempotencyKeyReused = errors.New("this Idempotency-Key was already used for another request")
)

var transportKinds = []kind{
	{errNoRoute, http.StatusNotFound, "not-found", "Not found", "Hittades inte"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "Metoden är inte tillåten"},
	{errBodyTooLarge, http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large", "För stor förfrågan"},
	{errMediaType, http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type", "Formatet stöds inte"},
	{errIdempotencyKeyReused, http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key already used", "Idempotency-Key redan använd"},
}

var internalKind = kind{nil, http.StatusInternalServerError, "internal", "Internal server error", "Internt fel"}

// ProblemTypePrefix starts every problem type URI; docs/api.md lists them.
const ProblemTypePrefix = "urn:tidbok:problem:"

func classify(err error) kind {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return transportKinds[2]
	}
	for _, k := range transportKinds {
		if errors.Is(err, k.err) {
			return k
		}
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k
		}
	}
	return internalKind
}

// StatusOf returns the HTTP status err maps to.
func StatusOf(err error) int { return classify(err).status }

// ProblemFor builds the problem document for err as seen by the caller of
// ctx. Server faults get a generic detail and a fresh error id; the error
// itself only goes to the log.
func ProblemFor(ctx context.Context, err error) *Problem {
	k := classify(err)
	p := &Problem{
		Type:      ProblemTypePrefix + k.slug,
		Title:     k.titleEN,
		Status:    k.status,
		RequestID: RequestID(ctx),
	}
	if LanguageFrom(ctx) == "sv" {
		p.Title = k.titleSV
	}
	var remote *Problem
	switch {
	case k.status >= 500 && k.err == nil:
		p.ErrorID = newErrorID()
		p.Detail = "The server could not complete the request. Quote error_id " + p.ErrorID + " when reporting it."
		if LanguageFrom(ctx) == "sv" {
			p.Detail = "Servern kunde inte slutföra förfrågan. Ange error_id " + p.ErrorID + " om du rapporterar felet."
		}
	case errors.As(err, &remote):
		// An error that came back from another Tidbok service keeps its words.
		p.Detail, p.Errors = remote.Detail, remote.Errors
	default:
		p.Detail = err.Error()
	}
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		p.Errors = ve.Fields
		p.Detail = ve.Error()
	}
	return p
}

// WriteError answers the request with the problem document for err, and
// records err for the request log line.
func WriteError(ctx context.Context, w http.ResponseWriter, err error) {
	p := ProblemFor(ctx, err)
	if info := infoFrom(ctx); info != nil {
		info.err = err
		info.errorID = p.ErrorID
	}
	if p.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tidbok"`)
	}
	var retry *core.RetryAfterError
	if errors.As(err, &retry) {
		w.Header().Set("Retry-After", strconv.Itoa(int(retry.Wait.Seconds()+0.999)))
	}
	if p.Status == http.StatusTooManyRequests || p.Status == http.StatusServiceUnavailable {
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	}
	WriteProblem(w, p)
}

// WriteProblem writes p as the response.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", ProblemContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Del("Content-Length")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// ErrorEncoder adapts WriteError to go-kit's transport.
func ErrorEncoder(ctx context.Context, err error, w http.ResponseWriter) {
	WriteError(ctx, w, err)
}

// ErrorFromProblem turns a problem a remote Tidbok service answered with back
// into an error of the same kind, so callers see the same errors whether a
// service runs in process or over HTTP.
func ErrorFromProblem(status int, p *Problem) error {
	if p == nil || p.Status == 0 {
		p = &Problem{Status: status, Title: http.StatusText(status)}
	}
	for _, k := range kinds {
		if k.status == status {
			if len(p.Errors) > 0 {
				return fmt.Errorf("%w: %w", &core.ValidationError{Fields: p.Errors}, p)
			}
			return fmt.Errorf("%w: %w", k.err, p)
		}
	}
	if status >= 400 && status < 500 {
		return fmt.Errorf("%w: %w", core.ErrInvalid, p)
	}
	return fmt.Errorf("remote service answered %s: %w", strconv.Itoa(status), p)
}

func newErrorID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
