package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/docs"
)

// syncBuffer is an io.Writer the server writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// startServer runs `tidbok serve` through run, as main would, and returns its
// base URL once /healthz answers. The server stops when the test ends.
func startServer(t *testing.T, getenv func(string) string, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--http-addr", "127.0.0.1:0"}, args...), getenv, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30 s of cancellation")
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the cleanup, which waits for serve to return
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		default:
		}
		if _, addr, ok := strings.Cut(stdout.String(), "serving on "); ok {
			base := strings.TrimSpace(addr)
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return base, &stderr
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server did not become healthy:\n%s", stderr.String())
	return "", nil
}

func loadSpec(t *testing.T) routers.Router {
	t.Helper()
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is invalid: %v", err)
	}
	spec.Servers = nil // match any host
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// checkContract validates a real response against docs/openapi.yaml.
func checkContract(t *testing.T, router routers.Router, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: true, ExcludeRequestQueryParams: true}}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)),
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s → %d does not match openapi.yaml: %v\n%s", req.Method, req.URL, resp.StatusCode, err, body)
	}
}

func TestAllInOne(t *testing.T) {
	router := loadSpec(t)
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			dataDir := t.TempDir()
			env := envOf("TIDBOK_DATABASE_URL", dbtest.URL(t, dialect), "TIDBOK_DATA_DIR", dataDir)
			var out bytes.Buffer
			if err := run(context.Background(), []string{"seed", "--demo"}, env, &out, io.Discard); err != nil {
				t.Fatalf("seed: %v", err)
			}
			if !strings.Contains(out.String(), "Exempelby kommun") {
				t.Fatalf("seed output does not show the credentials:\n%s", out.String())
			}
			base, logs := startServer(t, env)

			get := func(path string, header ...string) (*http.Response, []byte) {
				t.Helper()
				req, _ := http.NewRequest("GET", base+path, nil)
				for i := 0; i+1 < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				checkContract(t, router, req, resp, body)
				return resp, body
			}

			resp, body := get("/v1/agencies")
			var list struct {
				Items []struct{ ID, Name string }
			}
			if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 || len(list.Items) != 2 {
				t.Fatalf("GET /v1/agencies = %d %s", resp.StatusCode, body)
			}
			for _, path := range []string{
				"/v1/agencies?limit=1",
				"/v1/agencies/" + demo.ExempelbyID,
				"/v1/agencies/" + demo.ExempelbyID + "/offices",
				"/v1/agencies/" + demo.VardcentralID + "/meeting-types",
			} {
				if resp, body := get(path); resp.StatusCode != 200 {
					t.Errorf("GET %s = %d %s", path, resp.StatusCode, body)
				}
			}
			bad := map[string]int{
				"/v1/agencies/" + core.NewID():                  404,
				"/v1/agencies/" + core.NewID() + "/offices":     404,
				"/v1/agencies/not-a-uuid":                       400,
				"/v1/agencies/not-a-uuid/meeting-types":         400,
				"/v1/agencies?limit=abc":                        400,
				"/v1/agencies?limit=0":                          400,
				"/v1/agencies?limit=201":                        400,
				"/v1/agencies?cursor=%ZZ":                       400,
				"/v1/agencies?cursor=eyJuIjoiIiwiaSI6IngifQ":    400,
				"/v1/agencies/" + demo.ExempelbyID + "/nothing": 404,
			}
			for path, status := range bad {
				req, _ := http.NewRequest("GET", base+path, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("GET %s = %d %s %s, want %d problem", path, resp.StatusCode, resp.Header.Get("Content-Type"), body, status)
				}
				if _, _, err := router.FindRoute(req); err == nil {
					checkContract(t, router, req, resp, body)
				}
			}
			req, _ := http.NewRequest("DELETE", base+"/v1/agencies", nil)
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 405 {
				t.Errorf("DELETE /v1/agencies = %v, %v; want 405", resp.StatusCode, err)
			}

			if resp, body := get("/readyz"); resp.StatusCode != 200 {
				t.Fatalf("readyz = %d %s", resp.StatusCode, body)
			}
			_, metrics := get("/metrics")
			if !strings.Contains(string(metrics), `tidbok_http_requests_total{method="GET",route="GET /v1/agencies",status="200"}`) ||
				!strings.Contains(string(metrics), `tidbok_http_request_duration_seconds_bucket{method="GET",route="GET /v1/agencies/{id}",status="404"`) ||
				!strings.Contains(string(metrics), `tidbok_service_calls_total{method="GetAgency",outcome="error",service="booking"}`) {
				t.Errorf("metrics lack the request series:\n%.2000s", metrics)
			}
			resp, spec := get("/openapi.yaml")
			if resp.StatusCode != 200 || !bytes.Equal(spec, docs.OpenAPI) {
				t.Errorf("GET /openapi.yaml = %d, %d bytes", resp.StatusCode, len(spec))
			}
			if strings.Contains(logs.String(), "not-a-uuid") {
				t.Error("request paths leak into the log")
			}
		})
	}
}

// Only the named services' routes exist; health and metrics always do. A
// booking process verifies tokens with the JWKS of an auth service elsewhere.
func TestServeOnlyNamedServices(t *testing.T) {
	status := func(base, path string) int {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	dbURL, dataDir := dbtest.URL(t, db.SQLite), t.TempDir()
	env := envOf("TIDBOK_DATABASE_URL", dbURL, "TIDBOK_DATA_DIR", dataDir)
	// A process without auth calls it with a service credential; the token
	// is fetched on first use, so it starts without auth reachable.
	withCredential := envOf("TIDBOK_DATABASE_URL", dbURL, "TIDBOK_DATA_DIR", dataDir,
		"TIDBOK_SERVICE_CLIENT_ID", "tbsvc_0123456789abcdef0123", "TIDBOK_SERVICE_CLIENT_SECRET", "tbs_secret")
	booking, _ := startServer(t, withCredential, "--services", "booking", "--auth-url", "http://127.0.0.1:1")
	if got := status(booking, "/v1/agencies"); got != 200 {
		t.Errorf("booking process: GET /v1/agencies = %d", got)
	}
	if got := status(booking, "/.well-known/jwks.json"); got != 404 {
		t.Errorf("booking process serves auth's JWKS: %d", got)
	}
	auth, _ := startServer(t, env, "--services", "auth")
	if got := status(auth, "/v1/agencies"); got != 404 {
		t.Errorf("auth process serves booking's directory: %d", got)
	}
	if got := status(auth, "/.well-known/jwks.json"); got != 200 {
		t.Errorf("auth process: GET /.well-known/jwks.json = %d", got)
	}
	for _, base := range []string{booking, auth} {
		if got := status(base, "/readyz"); got != 200 {
			t.Errorf("%s/readyz = %d", base, got)
		}
	}
	// What a process lacks to reach the others is named, and it does not start.
	for _, tc := range []struct {
		name string
		env  func(string) string
		args []string
		want string
	}{
		{"no service credential", env, []string{"--services", "notify", "--auth-url", "http://127.0.0.1:1"}, "TIDBOK_SERVICE_CLIENT_ID"},
		{"no booking URL", withCredential, []string{"--services", "notify", "--auth-url", "http://127.0.0.1:1"}, "TIDBOK_BOOKING_URL"},
		{"no intake URL", withCredential, []string{"--services", "notify", "--auth-url", "http://127.0.0.1:1",
			"--booking-url", "http://127.0.0.1:1"}, "TIDBOK_INTAKE_URL"},
		{"no auth URL", withCredential, []string{"--services", "intake"}, "TIDBOK_AUTH_URL"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"serve", "--http-addr", "127.0.0.1:0"}, tc.args...), tc.env, &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: serve = %v, want a refusal naming %s", tc.name, err, tc.want)
		}
	}
}

func TestSeedTwiceChangesNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		var name string
		url := ""
		if d.Dialect == db.SQLite {
			d.Close()
			url = dbtest.URL(t, db.SQLite)
		} else {
			if err := d.QueryRowContext(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
				t.Fatal(err)
			}
			url = dbtest.URL(t, db.Postgres)
		}
		dataDir := t.TempDir()
		env := envOf("TIDBOK_DATABASE_URL", url, "TIDBOK_DATA_DIR", dataDir)
		snapshot := func() string {
			t.Helper()
			if err := run(context.Background(), []string{"seed", "--demo"}, env, io.Discard, io.Discard); err != nil {
				t.Fatalf("seed: %v", err)
			}
			d, err := db.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var b strings.Builder
			for _, table := range []string{"booking_agencies", "booking_offices", "booking_meeting_types", "auth_staff", "auth_clients"} {
				rows, err := d.QueryxContext(context.Background(), "SELECT * FROM "+table+" ORDER BY id")
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					m := map[string]any{}
					if err := rows.MapScan(m); err != nil {
						t.Fatal(err)
					}
					j, _ := json.Marshal(m)
					b.Write(j)
					b.WriteByte('\n')
				}
				rows.Close()
			}
			creds, err := os.ReadFile(filepath.Join(dataDir, "demo-credentials.json"))
			if err != nil {
				t.Fatal(err)
			}
			b.Write(creds)
			return b.String()
		}
		first, second := snapshot(), snapshot()
		if first != second {
			t.Fatalf("second seed changed the data:\n%s\n---\n%s", first, second)
		}
		if strings.Count(first, "\n") < 12 {
			t.Fatalf("demo data suspiciously small:\n%s", first)
		}
	})
}

// SIGTERM lets a request that is being served finish, then the server stops.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveUntilDone(ctx, ln, handler, 10*time.Second, log.NewNopLogger()) }()

	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			answer <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answer <- string(b)
	}()
	<-started
	stop() // what SIGTERM does through signal.NotifyContext
	select {
	case err := <-served:
		t.Fatalf("server stopped with a request in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if got := <-answer; got != "finished" {
		t.Fatalf("in-flight request got %q", got)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestCommandLine(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"version"}, envOf(), &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "tidbok ") {
		t.Fatalf("version = %q, %v", out.String(), err)
	}
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"serve", "--no-such-flag"},
		{"seed"},
	} {
		if err := run(context.Background(), args, envOf(), io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
	for _, args := range [][]string{
		{"serve", "--services", "booking,payments"},
		{"serve", "--booking-url", "booking:8080"},
		{"serve", "--timezone", "Mars/Olympus"},
		{"migrate", "--database-url", "mysql://x"},
	} {
		if err := run(context.Background(), args, envOf(), io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
	// Environment variables configure, flags override them.
	cfg, _, err := parseConfig("serve", []string{"--http-addr", "127.0.0.1:9999"},
		envOf("TIDBOK_HTTP_ADDR", "127.0.0.1:1111", "TIDBOK_SERVICES", "booking, auth", "TIDBOK_AUTH_URL", "http://auth:8080/"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:9999" || strings.Join(cfg.Services, ",") != "booking,auth" || cfg.ServiceURLs["auth"] != "http://auth:8080" {
		t.Fatalf("config = %+v", cfg)
	}
}

func TestServiceClientCommand(t *testing.T) {
	env := envOf("TIDBOK_DATABASE_URL", dbtest.URL(t, db.SQLite), "TIDBOK_DATA_DIR", t.TempDir())
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"service-client", "create", "notify"}, env, &out, &errOut); err != nil {
		t.Fatalf("create: %v\n%s", err, errOut.String())
	}
	creds := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		creds[k] = v
	}
	id, secret := creds["TIDBOK_SERVICE_CLIENT_ID"], creds["TIDBOK_SERVICE_CLIENT_SECRET"]
	if !strings.HasPrefix(id, "tbsvc_") || secret == "" {
		t.Fatalf("create printed %q", out.String())
	}
	if strings.Contains(errOut.String(), secret) {
		t.Error("the secret is repeated on stderr")
	}
	base, _ := startServer(t, env, "--services", "auth")
	token := func() (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/v1/auth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Scope string `json:"scope"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Scope
	}
	if status, scope := token(); status != 200 || scope != strings.Join(sortedCopy(core.ServiceScopes), " ") {
		t.Fatalf("token = %d %q, want 200 with every service scope", status, scope)
	}
	if err := run(context.Background(), []string{"service-client", "revoke", id}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if status, _ := token(); status != http.StatusUnauthorized {
		t.Fatalf("a revoked service client got a token: %d", status)
	}
	// Only service scopes, and a name, are accepted.
	for _, args := range [][]string{{"create", "notify", "cases:read"}, {"create", ""}, {"revoke", "tbk_notaservice"}, {"create"}} {
		if err := run(context.Background(), append([]string{"service-client"}, args...), env, io.Discard, io.Discard); err == nil {
			t.Errorf("service-client %q succeeded", args)
		}
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
