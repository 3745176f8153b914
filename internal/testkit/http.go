// Package testkit holds what the HTTP test suites share: calls against a
// running server, the checks of its answers (status, problem+json naming
// fields), signing people in for real, reading the mail the server sent
// (as files or through an SMTP server in the test process) and test data
// such as personal identity numbers. Each suite keeps its own world.
package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Client sends requests to one server, or to any when URL is empty and
// paths are whole URLs.
type Client struct {
	URL  string
	HTTP *http.Client
	// Check, when set, sees every request sent and its answer, e.g. to hold
	// the answer to docs/openapi.yaml.
	Check func(t testing.TB, req *http.Request, r Response)
}

// Serve starts h on a test server closed when t ends, and returns a client
// of it.
func Serve(t testing.TB, h http.Handler) (*httptest.Server, *Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &Client{URL: srv.URL, HTTP: srv.Client()}
}

// Request builds a request with body as JSON (nil: none; a string or
// []byte: as it is), token as bearer ("" for none) and extra headers as
// name, value pairs.
func (c *Client) Request(t testing.TB, method, path, token string, body any, header ...string) *http.Request {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// Do sends req and reads the whole answer.
func (c *Client) Do(t testing.TB, req *http.Request) Response {
	t.Helper()
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	r := Response{Status: res.StatusCode, Header: res.Header, Body: body}
	if c.Check != nil {
		c.Check(t, req, r)
	}
	return r
}

// Call is Request and Do.
func (c *Client) Call(t testing.TB, method, path, token string, body any, header ...string) Response {
	t.Helper()
	return c.Do(t, c.Request(t, method, path, token, body, header...))
}

// Decode reads the answer's JSON into v.
func Decode(t testing.TB, r Response, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// WantStatus fails the test unless the answer has status.
func WantStatus(t testing.TB, r Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
}

// WantCreated checks a 201 and returns the id of what was created.
func WantCreated(t testing.TB, r Response) string {
	t.Helper()
	WantStatus(t, r, http.StatusCreated)
	var v struct {
		ID string `json:"id"`
	}
	Decode(t, r, &v)
	if !core.ValidID(v.ID) {
		t.Fatalf("no id in %s", r.Body)
	}
	return v.ID
}

// Problem is an RFC 9457 answer.
type Problem struct {
	Type   string            `json:"type"`
	Status int               `json:"status"`
	Detail string            `json:"detail"`
	Errors []core.FieldError `json:"errors"`
}

// Names tells whether the problem names field.
func (p Problem) Names(field string) bool {
	return slices.ContainsFunc(p.Errors, func(f core.FieldError) bool { return f.Field == field })
}

// WantProblem checks a problem+json answer with status naming each field.
func WantProblem(t testing.TB, r Response, status int, fields ...string) Problem {
	t.Helper()
	WantStatus(t, r, status)
	if ct := r.Header.Get("Content-Type"); ct != httpkit.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %s: %s", ct, httpkit.ProblemContentType, r.Body)
	}
	var p Problem
	Decode(t, r, &p)
	if p.Status != status {
		t.Fatalf("problem status = %d, want %d", p.Status, status)
	}
	for _, f := range fields {
		if !p.Names(f) {
			t.Fatalf("problem does not name field %q: %s", f, r.Body)
		}
	}
	return p
}
