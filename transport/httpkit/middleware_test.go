package httpkit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/transport/httpkit"
)

type logBuffer struct{ bytes.Buffer }

func newTestServer(t *testing.T, logs *logBuffer) (*httptest.Server, func() string) {
	t.Helper()
	reg, m := httpkit.NewRegistry()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok/{id}", func(w http.ResponseWriter, r *http.Request) {
		_ = httpkit.WriteJSON(w, http.StatusOK, map[string]string{"lang": httpkit.LanguageFrom(r.Context())})
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) { panic("kaboom") })
	mux.HandleFunc("GET /error", func(w http.ResponseWriter, r *http.Request) {
		httpkit.WriteError(r.Context(), w, errors.New("database exploded: secret-table"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Name string `json:"name"`
		}
		if err := httpkit.DecodeJSONBody(r, &body); err != nil {
			httpkit.WriteError(r.Context(), w, err)
			return
		}
		_ = httpkit.WriteJSON(w, http.StatusOK, body)
	})
	srv := httptest.NewServer(httpkit.Middleware(log.NewJSONLogger(&logs.Buffer), m)(mux))
	t.Cleanup(srv.Close)
	return srv, func() string {
		var b strings.Builder
		n, _ := testutil.GatherAndCount(reg, "tidbok_http_requests_total")
		fmt.Fprint(&b, n)
		return b.String()
	}
}

func decodeProblem(t *testing.T, resp *http.Response) httpkit.Problem {
	t.Helper()
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != httpkit.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %s", ct, httpkit.ProblemContentType)
	}
	var p httpkit.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	if p.Status != resp.StatusCode {
		t.Fatalf("problem status %d != response status %d", p.Status, resp.StatusCode)
	}
	return p
}

func TestMiddleware(t *testing.T) {
	var logs logBuffer
	srv, series := newTestServer(t, &logs)
	do := func(method, path, contentType, body string, header ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	t.Run("unknown path is a 404 problem", func(t *testing.T) {
		p := decodeProblem(t, do("GET", "/nowhere", "", ""))
		if p.Status != 404 || p.Type != httpkit.ProblemTypePrefix+"not-found" {
			t.Fatalf("problem = %+v", p)
		}
	})
	t.Run("wrong method is a 405 problem with Allow", func(t *testing.T) {
		resp := do("DELETE", "/ok/1", "", "")
		if resp.Header.Get("Allow") == "" {
			t.Error("no Allow header")
		}
		if p := decodeProblem(t, resp); p.Status != 405 {
			t.Fatalf("problem = %+v", p)
		}
	})
	t.Run("a panic is a 500 problem with an error id, and is logged", func(t *testing.T) {
		p := decodeProblem(t, do("GET", "/panic", "", ""))
		if p.Status != 500 || p.ErrorID == "" || strings.Contains(p.Detail, "kaboom") {
			t.Fatalf("problem = %+v", p)
		}
		if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), p.ErrorID) {
			t.Fatalf("panic or error id missing from the log:\n%s", logs.String())
		}
	})
	t.Run("an unknown error hides its text from the client", func(t *testing.T) {
		p := decodeProblem(t, do("GET", "/error", "", "", "Accept-Language", "sv-SE,sv;q=0.9,en;q=0.5"))
		if strings.Contains(p.Detail, "secret-table") || p.Title != "Internt fel" {
			t.Fatalf("problem = %+v", p)
		}
	})
	t.Run("the request id is echoed, or made when missing or unsafe", func(t *testing.T) {
		resp := do("GET", "/ok/1", "", "", "X-Request-Id", "abc-123")
		resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); got != "abc-123" {
			t.Fatalf("request id = %q", got)
		}
		resp = do("GET", "/ok/1", "", "", "X-Request-Id", "bad id\twith\"quotes")
		resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); got == "" || strings.ContainsAny(got, " \t\"") {
			t.Fatalf("unsafe request id passed through: %q", got)
		}
	})
	t.Run("Accept-Language picks Swedish or English", func(t *testing.T) {
		for header, want := range map[string]string{"": "en", "sv": "sv", "en-GB,sv;q=0.8": "en", "de, sv;q=0.5": "sv", "fi": "en"} {
			resp := do("GET", "/ok/1", "", "", "Accept-Language", header)
			var body map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if body["lang"] != want {
				t.Errorf("Accept-Language %q gave %q, want %q", header, body["lang"], want)
			}
		}
	})
	t.Run("bodies over 1 MiB are refused with 413", func(t *testing.T) {
		big := `{"name":"` + strings.Repeat("x", httpkit.MaxBodyBytes) + `"}`
		if p := decodeProblem(t, do("POST", "/echo", "application/json", big)); p.Status != 413 {
			t.Fatalf("problem = %+v", p)
		}
	})
	t.Run("bad JSON bodies are 4xx problems that say why", func(t *testing.T) {
		cases := map[string]struct {
			contentType, body string
			status            int
			detail            string
		}{
			"wrong content type": {"text/plain", `{"name":"a"}`, 415, "application/json"},
			"malformed":          {"application/json", `{"name":`, 400, "ends before"},
			"syntax":             {"application/json", `{"name" "a"}`, 400, "is not valid JSON"},
			"unknown field":      {"application/json", `{"nmae":"a"}`, 400, "nmae"},
			"wrong type":         {"application/json", `{"name":1}`, 400, "name"},
			"empty":              {"application/json", ``, 400, "empty"},
			"two values":         {"application/json", `{"name":"a"}{}`, 400, "single"},
		}
		for name, c := range cases {
			p := decodeProblem(t, do("POST", "/echo", c.contentType, c.body))
			if p.Status != c.status || !strings.Contains(p.Detail, c.detail) {
				t.Errorf("%s: problem = %+v, want status %d mentioning %q", name, p, c.status, c.detail)
			}
		}
	})
	t.Run("one log line per request names the route, never the path or query", func(t *testing.T) {
		logs.Reset()
		resp := do("GET", "/ok/19811218-9876?email=someone@example.com", "", "")
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(lines) != 1 {
			t.Fatalf("%d log lines: %q", len(lines), lines)
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
			t.Fatal(err)
		}
		if entry["route"] != "GET /ok/{id}" || entry["status"] != float64(200) || entry["request_id"] == "" {
			t.Fatalf("log entry = %v", entry)
		}
		if strings.Contains(lines[0], "19811218") || strings.Contains(lines[0], "example.com") {
			t.Fatalf("personal data in the log: %s", lines[0])
		}
	})
	t.Run("metrics count requests per route and status", func(t *testing.T) {
		if n := series(); n == "0" {
			t.Fatalf("no request series recorded")
		}
	})
}

func TestErrorFromProblemRoundTrips(t *testing.T) {
	for _, kind := range []error{core.ErrNotFound, core.ErrConflict, core.ErrForbidden, core.ErrUnauthenticated, core.ErrPrecondition, core.ErrRateLimited, core.ErrInvalid} {
		status := httpkit.StatusOf(kind)
		err := httpkit.ErrorFromProblem(status, &httpkit.Problem{Status: status, Detail: "x"})
		if !errors.Is(err, kind) {
			t.Errorf("status %d came back as %v, want %v", status, err, kind)
		}
	}
}

func newJSONLogger(b *logBuffer) log.Logger { return log.NewJSONLogger(&b.Buffer) }
