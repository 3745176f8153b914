package httpkit

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// ForwardRequestContext passes the request id and language of the request
// being served on to a call to another service, so one id follows a request
// across the services it touches. It is a go-kit client RequestFunc.
func ForwardRequestContext(ctx context.Context, r *http.Request) context.Context {
	if id := RequestID(ctx); id != "" {
		r.Header.Set(RequestIDHeader, id)
	}
	if lang, ok := ctx.Value(languageKey).(string); ok {
		r.Header.Set("Accept-Language", lang)
	}
	return ctx
}

// DecodeProblem reads the problem document of an error response and returns
// the error of the same kind (see ErrorFromProblem).
func DecodeProblem(r *http.Response) error {
	var p Problem
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err := json.Unmarshal(body, &p); err != nil || p.Status == 0 {
		p = Problem{Status: r.StatusCode, Title: http.StatusText(r.StatusCode)}
	}
	return ErrorFromProblem(r.StatusCode, &p)
}
