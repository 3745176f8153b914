// Package contract_test checks that docs/openapi.yaml describes the API as
// the code implements it. It builds the whole server with app.NewServer on a
// fresh SQLite and a fresh PostgreSQL database loaded with the demo data,
// signs people in for real, calls every documented route with answers that
// succeed and answers that fail, and validates every request it means to be
// well-formed and every response against the description with kin-openapi.
// A second test reads the route registrations out of the source, so that a
// route without documentation (or documentation without a route) fails.
package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/internal/testkit"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// baseURL is the server's BaseURL: the issuer of its tokens and the base of
// the links it hands out.
const baseURL = "http://tidbok.test"

var stockholm = testkit.Stockholm

// start is where the server's clock begins: Monday 1 June 2026, 07:00 in
// Stockholm, before the demo staff start work, with a whole bookable week
// ahead.
var start = time.Date(2026, 6, 1, 7, 0, 0, 0, stockholm)

// at is a wall-clock time in Stockholm in June 2026.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 6, day, hour, minute, 0, 0, stockholm)
}

func init() {
	// The description says format: uuid; hold the server to it.
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
		if len(s) != 36 {
			return errors.New("not a UUID")
		}
		_, err := uuid.Parse(s)
		return err
	}))
	// iCalendar documents are text.
	openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
}

// loadSpec loads, validates and routes docs/openapi.yaml.
func loadSpec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	spec, router, err := testkit.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	return spec, router
}

// coverage records, per documented operation, the statuses it answered.
type coverage struct {
	mu   sync.Mutex
	seen map[string]map[int]bool // "GET /v1/agencies/{id}" → statuses
}

func (c *coverage) add(op string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]map[int]bool{}
	}
	if c.seen[op] == nil {
		c.seen[op] = map[int]bool{}
	}
	c.seen[op][status] = true
}

func (c *coverage) statuses(op string) (ok, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.seen[op] {
		ok = ok || s < 300
		failed = failed || (s >= 400 && s < 500)
	}
	return ok, failed
}

// env is one running server on one database, and the people who use it.
type env struct {
	t       *testing.T
	d       *db.DB
	srv     *httptest.Server
	server  *app.Server
	clock   *coretest.Clock
	dataDir string
	router  routers.Router
	cov     *coverage

	// webhooks enqueues webhook deliveries, as notify's event consumer
	// does, in the server's tables.
	webhooks notify.WebhookService

	// Bearer tokens.
	admin    string // agency admin of Exempelby kommun
	worker   string // caseworker of Exempelby kommun (Hanna)
	adminVC  string // agency admin of Vårdcentral Exempelby
	sysadmin string // system admin
	client   string // Exempelby's integration client, every scope
	karin    citizen
	olle     citizen
}

type citizen = testkit.Citizen

const (
	demoPassword     = "demo-lösenord-för-kontraktstest"
	demoClientSecret = "tbs_contract-test-client-secret-0000000000"
)

// Demo ids the scenario uses.
var (
	exb        = demo.ExempelbyID
	vc         = demo.VardcentralID
	permit     = core.StableID("meeting-type/exempelby/building-permit-advice")
	bertil     = core.StableID("staff-member/exempelby/bertil")
	hannaLogin = core.StableID("staff/handlaggare@exempelby.se")
	saraLogin  = core.StableID("staff/sjukskoterska@vardcentral.exempelby.se")
)

// loadDemo writes the demo data into d. It is safe to run for several
// databases at once.
func loadDemo(d *db.DB) error {
	_, err := demo.Load(context.Background(), demo.Stores{Directory: bookingstore.New(d), Accounts: authstore.New(d), Schedules: bookingstore.New(d)},
		demo.Secrets{Password: demoPassword, ClientSecret: demoClientSecret})
	return err
}

// newEnv builds the whole server on d, which holds the demo. app.NewServer
// sets a package variable of httpkit (TrustProxy) that every request reads,
// so build every server before any of them serves a request.
func newEnv(t *testing.T, d *db.DB, router routers.Router, cov *coverage) *env {
	t.Helper()
	e := &env{t: t, d: d, clock: coretest.NewClock(start), dataDir: t.TempDir(), router: router, cov: cov}
	// The scenario moves the clock by a day; tokens outlive that.
	authCfg := testkit.AuthConfig(baseURL, 7*24*time.Hour)
	e.server, e.srv, _ = testkit.StartServer(t, d, app.Config{
		Services: []string{"auth", "booking", "intake", "notify"},
		BaseURL:  baseURL, DataDir: e.dataDir, Clock: e.clock, AuthConfig: &authCfg,
	})
	e.webhooks = notify.NewWebhookService(notifystore.NewWebhookStore(d), e.clock)
	return e
}

// signIn signs everyone in for real, as t: staff with the demo password,
// the client with its secret, citizens with codes mailed to them.
func (e *env) signIn(t *testing.T) {
	e.t = t
	e.admin = e.login("admin@exempelby.se")
	e.worker = e.login("handlaggare@exempelby.se")
	e.adminVC = e.login("admin@vardcentral.exempelby.se")
	e.sysadmin = e.login("systemadmin@tidbok.exempelby.se")
	e.client = e.clientToken()
	e.karin = e.signInCitizen("karin@example.se")
	e.olle = e.signInCitizen("olle@example.se")
}

// ---- requests ----

type reqOpts struct {
	header      [][2]string
	contentType string
	malformed   bool
}

type opt func(*reqOpts)

// hdr sets a request header.
func hdr(name, value string) opt {
	return func(o *reqOpts) { o.header = append(o.header, [2]string{name, value}) }
}

// ctype sends the body with this Content-Type instead of application/json.
func ctype(ct string) opt { return func(o *reqOpts) { o.contentType = ct } }

// malformed marks a request that breaks the description on purpose (a
// parameter or body it refuses): it is not validated, its answer is.
func malformed() opt { return func(o *reqOpts) { o.malformed = true } }

// ifMatch and idem are the headers of optimistic concurrency and retries.
func ifMatch(etag string) opt { return hdr("If-Match", etag) }
func idem(key string) opt     { return hdr("Idempotency-Key", key) }

type response struct {
	Status int
	Header http.Header
	Body   []byte
	what   string
}

// call sends a request and checks the request (unless malformed) and the
// answer against the description. body is nil for none, a string or []byte
// as it is, anything else as JSON.
func (e *env) call(method, path, token string, body any, opts ...opt) response {
	e.t.Helper()
	var o reqOpts
	for _, f := range opts {
		f(&o)
	}
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	build := func() *http.Request {
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(raw)
		}
		req, err := http.NewRequest(method, e.srv.URL+path, r)
		if err != nil {
			e.t.Fatal(err)
		}
		if body != nil {
			ct := o.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for _, h := range o.header {
			req.Header.Set(h[0], h[1])
		}
		return req
	}
	what := method + " " + path

	route, params, routeErr := e.router.FindRoute(build())
	if routeErr != nil {
		e.t.Errorf("%s is not in openapi.yaml: %v", what, routeErr)
	}
	var in *openapi3filter.RequestValidationInput
	if route != nil {
		in = &openapi3filter.RequestValidationInput{Request: build(), PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: authenticate, SkipSettingDefaults: true, MultiError: true}}
		if !o.malformed {
			err := openapi3filter.ValidateRequest(context.Background(), in)
			var secErr *openapi3filter.SecurityRequirementsError
			if err != nil && !(token == "" && errors.As(err, &secErr)) {
				e.t.Errorf("request %s does not match openapi.yaml: %v\nbody: %s", what, err, raw)
			}
		}
	}

	res, err := e.srv.Client().Do(build())
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s: read body: %v", what, err)
	}
	r := response{Status: res.StatusCode, Header: res.Header, Body: got, what: what}

	if route != nil {
		in.Request = build() // fresh body; ValidateResponse does not read it
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
			Body: io.NopCloser(bytes.NewReader(got)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			e.t.Errorf("%s → %d does not match openapi.yaml: %v\n%s", what, res.StatusCode, err, got)
		}
		e.cov.add(method+" "+route.Path, res.StatusCode)
	}
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != httpkit.ProblemContentType {
		e.t.Errorf("%s → %d with Content-Type %q, want a problem document", what, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res.StatusCode >= 500 {
		e.t.Errorf("%s → %d: a server error: %s", what, res.StatusCode, got)
	}
	return r
}

// authenticate stands in for the server's check when requests are
// validated: it only sees that the credential the scheme asks for is there.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	s := in.SecurityScheme
	switch {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
		if !strings.HasPrefix(h, "Basic ") {
			return errors.New("no Basic credentials")
		}
	case s.Type == "oauth2" || (s.Type == "http" && strings.EqualFold(s.Scheme, "bearer")):
		if !strings.HasPrefix(h, "Bearer ") {
			return errors.New("no bearer token")
		}
	}
	return nil
}

// want fails the test unless the answer has status.
func (r response) want(t testing.TB, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s = %d, want %d: %s", r.what, r.Status, status, r.Body)
	}
	return r
}

// problem checks a problem document with status.
func (r response) problem(t testing.TB, status int) response {
	t.Helper()
	r.want(t, status)
	var p struct {
		Status int `json:"status"`
	}
	r.decode(t, &p)
	if p.Status != status {
		t.Fatalf("%s: problem status %d, want %d", r.what, p.Status, status)
	}
	return r
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s: decode %s: %v", r.what, r.Body, err)
	}
}

// id returns the "id" of a JSON answer.
func (r response) id(t testing.TB) string {
	t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	r.decode(t, &v)
	if !core.ValidID(v.ID) {
		t.Fatalf("%s: no id in %s", r.what, r.Body)
	}
	return v.ID
}

// ---- signing in ----

func (e *env) login(email string) string {
	e.t.Helper()
	r := e.call("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": demoPassword}).want(e.t, http.StatusOK)
	return accessToken(e.t, r)
}

func (e *env) clientToken() string {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {demo.ClientID}, "client_secret": {demoClientSecret}}
	r := e.call("POST", "/v1/auth/token", "", form.Encode(), ctype("application/x-www-form-urlencoded")).want(e.t, http.StatusOK)
	return accessToken(e.t, r)
}

func accessToken(t testing.TB, r response) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.decode(t, &tok)
	if tok.AccessToken == "" {
		t.Fatalf("%s: no access token in %s", r.what, r.Body)
	}
	return tok.AccessToken
}

// signInCitizen runs the e-mail code flow: the code is read from the
// subject of the newest .eml the server's file mailer wrote to address.
func (e *env) signInCitizen(address string) citizen {
	e.t.Helper()
	var ch struct {
		ChallengeID string `json:"challenge_id"`
	}
	e.call("POST", "/v1/auth/citizen/code", "", map[string]string{"email": address}).want(e.t, http.StatusAccepted).decode(e.t, &ch)
	code := e.mailedCode(address)
	r := e.call("POST", "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": ch.ChallengeID, "code": code}).want(e.t, http.StatusOK)
	c := citizen{Email: address, Token: accessToken(e.t, r)}
	var me struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	}
	e.call("GET", "/v1/me", c.Token, nil).want(e.t, http.StatusOK).decode(e.t, &me)
	if me.Kind != "citizen" || !core.ValidID(me.ID) {
		e.t.Fatalf("GET /v1/me of a citizen = %+v", me)
	}
	c.ID = me.ID
	return c
}

var subjectCode = regexp.MustCompile(`([0-9]{6})\s*$`)

// mailedCode returns the code in the subject of the newest mail to address.
func (e *env) mailedCode(address string) string {
	e.t.Helper()
	mails := testkit.MailsTo(e.t, e.dataDir, address)
	if len(mails) == 0 {
		e.t.Fatalf("no mail to %s in %s", address, e.dataDir)
	}
	subject := mails[len(mails)-1].Subject
	m := subjectCode.FindStringSubmatch(subject)
	if m == nil {
		e.t.Fatalf("the newest mail to %s has no code in its subject %q", address, subject)
	}
	return m[1]
}

// ---- small helpers ----

func rfc(t time.Time) string { return t.Format(time.RFC3339) }

func key() string { return uuid.NewString() }

// exec changes the database directly, for states no route can reach.
func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if _, err := e.d.ExecContext(context.Background(), e.d.Rebind(query), args...); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

func must(t testing.TB, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Fatalf(format, args...)
	}
}
