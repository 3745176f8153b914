// Package intakeapi_test drives the intake service over HTTP through the
// server app.NewServer builds, exactly as the binary does, on a fresh SQLite
// and a fresh PostgreSQL database per test. The world is the demo's two
// agencies, staff and schedules; people sign in for real: staff with the
// demo password, citizens with a code read from the mail the server wrote,
// integrations with client credentials. Booking's events reach intake
// through the consumer the binary runs, polled by the tests. Time is a clock
// the tests move; nothing sleeps.
package intakeapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/internal/testkit"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/intake"
)

// issuer is the server's BaseURL, the issuer of its tokens.
const issuer = "http://tidbok.test"

var stockholm = testkit.Stockholm

// start is where every test's clock begins: Monday 1 June 2026, 07:00 in
// Stockholm, before the demo staff start work.
var start = time.Date(2026, 6, 1, 7, 0, 0, 0, stockholm)

type testClock = coretest.Clock

// Demo people and things the tests use.
var (
	exempelby   = demo.ExempelbyID
	vardcentral = demo.VardcentralID
	hannaID     = core.StableID("staff/handlaggare@exempelby.se")
	saraID      = core.StableID("staff/sjukskoterska@vardcentral.exempelby.se")
	adamID      = core.StableID("staff/admin@exempelby.se")
	veraID      = core.StableID("staff/admin@vardcentral.exempelby.se")
	// permitType is Exempelby's building permit advice, served by Bertil in
	// every mode, weekdays 08:30–12 and 13–16.
	permitType = core.StableID("meeting-type/exempelby/building-permit-advice")
	socialType = core.StableID("meeting-type/exempelby/social-first-meeting")
	doctorType = core.StableID("meeting-type/vardcentral/doctor-visit")
)

// env is one running server on the demo world.
type env struct {
	d       *db.DB
	srv     *httptest.Server
	server  *app.Server
	clock   *testClock
	dataDir string
	store   *intakestore.Store

	// Bearer tokens of Hanna, Exempelby's caseworker, and of the demo
	// client; the others sign in when a test first needs them (adminA,
	// adminB, sara, sysadmin), as each password check costs an Argon2 hash.
	hanna, client string
	password      string
	mu            sync.Mutex
	tokens        map[string]string

	// Categories the tests made: Exempelby's building permits (2 days to
	// first contact, 28 to resolution, routed to permit advice) and social
	// services (needs a personal identity number, 1 and 14 days, routed to
	// the social first meeting), and Vårdcentralen's care matters.
	permitCat, socialCat, careCat string

	http *testkit.Client
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, clock: coretest.NewClock(start), dataDir: t.TempDir(), store: intakestore.New(d)}
	// Tests move the clock by weeks; tokens outlive the moves.
	authCfg := testkit.AuthConfig(issuer, 120*24*time.Hour)
	e.server, e.srv, e.http = testkit.StartServer(t, d, app.Config{
		Services: []string{"auth", "booking", "intake"}, BaseURL: issuer, DataDir: e.dataDir,
		MailFrom: "Tidbok <no-reply@tidbok.test>", VideoBaseURL: "https://video.tidbok.test/",
		Clock: e.clock, AuthConfig: &authCfg,
	})
	e.srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	secrets := demo.Secrets{Password: "demo-" + core.NewID(), ClientSecret: auth.NewClientSecret()}
	if _, err := demo.Load(ctx, demo.Stores{Directory: bookingstore.New(d), Accounts: authstore.New(d), Schedules: bookingstore.New(d)}, secrets); err != nil {
		t.Fatalf("load demo: %v", err)
	}
	e.password, e.tokens = secrets.Password, map[string]string{}
	e.hanna = e.login(t, "handlaggare@exempelby.se", secrets.Password)
	e.client = e.clientToken(t, demo.ClientID, secrets.ClientSecret)

	// The agencies' admins set intake up through the service, as the
	// routes would (the routes are tried in badinput_test.go and
	// booking_test.go), without signing in.
	admin := func(staffID, agency string) context.Context {
		return core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: staffID, Role: core.RoleAgencyAdmin, AgencyID: agency})
	}
	adminA, adminB := admin(adamID, exempelby), admin(veraID, vardcentral)
	category := func(ctx context.Context, agency string, c intake.Category) string {
		t.Helper()
		c.AgencyID = agency
		made, err := e.server.Intake.CreateCategory(ctx, c)
		if err != nil {
			t.Fatalf("create category %s: %v", c.NameSV, err)
		}
		return made.ID
	}
	e.permitCat = category(adminA, exempelby, intake.Category{NameSV: "Bygglov och marklov", NameEN: "Building and land permits",
		MeetingTypeIDs: []string{permitType}, FirstContactDays: 2, ResolutionDays: 28})
	e.socialCat = category(adminA, exempelby, intake.Category{NameSV: "Ekonomiskt bistånd", NameEN: "Financial assistance",
		MeetingTypeIDs: []string{socialType}, FirstContactDays: 1, ResolutionDays: 14, RequiresPIN: true})
	e.careCat = category(adminB, vardcentral, intake.Category{NameSV: "Vårdärende", NameEN: "Care matter",
		MeetingTypeIDs: []string{doctorType}, FirstContactDays: 1, ResolutionDays: 7})
	if err := e.server.Intake.SetReferencePrefix(adminA, exempelby, "EXB"); err != nil {
		t.Fatal(err)
	}
	if err := e.server.Intake.SetReferencePrefix(adminB, vardcentral, "VCE"); err != nil {
		t.Fatal(err)
	}
	return e
}

// staff returns the token of a demo staff member, signing in the first time.
func (e *env) staff(t testing.TB, email string) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if tok, ok := e.tokens[email]; ok {
		return tok
	}
	tok := e.login(t, email, e.password)
	e.tokens[email] = tok
	return tok
}

func (e *env) adminA(t testing.TB) string   { return e.staff(t, "admin@exempelby.se") }
func (e *env) adminB(t testing.TB) string   { return e.staff(t, "admin@vardcentral.exempelby.se") }
func (e *env) sara(t testing.TB) string     { return e.staff(t, "sjukskoterska@vardcentral.exempelby.se") }
func (e *env) sysadmin(t testing.TB) string { return e.staff(t, "systemadmin@tidbok.exempelby.se") }

// each runs body on a fresh server per database. Not in parallel:
// app.NewServer sets httpkit's process-wide TrustProxy, which a running
// server reads on every request.
func each(t *testing.T, body func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		body(t, newEnv(t, d))
	})
}

func (e *env) newCategory(t *testing.T, token, agency string, body map[string]any) string {
	t.Helper()
	return wantCreated(t, e.call(t, "POST", "/v1/agencies/"+agency+"/case-categories", token, body))
}

// consumer is the booking-to-intake consumer the binary runs every second.
func (e *env) consumer() *app.Pump { return e.server.IntakeConsumer }

// poll runs the consumer once, as its ticker would.
func (e *env) poll(t *testing.T) int {
	t.Helper()
	n, err := e.consumer().Poll(context.Background())
	if err != nil {
		t.Fatalf("poll booking events: %v", err)
	}
	return n
}

// ---- signing in ----

func (e *env) login(t testing.TB, email, password string) string {
	t.Helper()
	return e.http.Login(t, email, password)
}

func (e *env) clientToken(t *testing.T, id, secret string) string {
	t.Helper()
	return e.http.ClientToken(t, id, secret)
}

// newClient makes a client of Exempelby with scopes and signs it in.
func (e *env) newClient(t *testing.T, scopes ...string) string {
	t.Helper()
	r := e.call(t, "POST", "/v1/clients", e.adminA(t), map[string]any{"agency_id": exempelby, "name": "Ärendesystem " + core.NewID()[:8], "scopes": scopes})
	wantStatus(t, r, http.StatusCreated)
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	decode(t, r, &c)
	return e.clientToken(t, c.ClientID, c.ClientSecret)
}

// citizen is a signed-in citizen.
type citizen = testkit.Citizen

// signInCitizen runs the e-mail code flow: the code is read from the newest
// .eml the server's file mailer wrote to address.
func (e *env) signInCitizen(t *testing.T, address string) citizen {
	t.Helper()
	return e.http.SignInCitizen(t, address, map[string]string{"email": address}, func() string { return e.mailedCode(t, address) })
}

var sixDigits = regexp.MustCompile(`\b([0-9]{6})\b`)

// mailedCode returns the code of the newest mail to address; its subject
// and its text must carry the same code.
func (e *env) mailedCode(t *testing.T, address string) string {
	t.Helper()
	mails := testkit.MailsTo(t, e.dataDir, address)
	if len(mails) == 0 {
		t.Fatalf("no mail to %s", address)
	}
	newest := mails[len(mails)-1]
	inSubject, inBody := sixDigits.FindStringSubmatch(newest.Subject), sixDigits.FindStringSubmatch(newest.Text)
	if inSubject == nil || inBody == nil || inSubject[1] != inBody[1] {
		t.Fatalf("mail %s: subject %q and body do not carry the same code", newest.Path, newest.Subject)
	}
	return inBody[1]
}

// ---- HTTP ----

type response = testkit.Response

var (
	decode      = testkit.Decode
	wantStatus  = testkit.WantStatus
	wantCreated = testkit.WantCreated
	wantProblem = testkit.WantProblem
)

// call sends body as JSON (nil: none; a string: as it is) with token as
// bearer ("" for none) and extra headers as name, value pairs.
func (e *env) call(t testing.TB, method, path, token string, body any, header ...string) response {
	t.Helper()
	return e.http.Call(t, method, path, token, body, header...)
}

// ---- cases ----

type caseJSON struct {
	ID                     string     `json:"id"`
	AgencyID               string     `json:"agency_id"`
	Reference              string     `json:"reference"`
	CategoryID             string     `json:"category_id"`
	Subject                string     `json:"subject"`
	CitizenID              string     `json:"citizen_id"`
	PersonalIdentityNumber *string    `json:"personal_identity_number"`
	Priority               string     `json:"priority"`
	AssigneeID             *string    `json:"assignee_id"`
	Status                 string     `json:"status"`
	FirstContactAt         *time.Time `json:"first_contact_at"`
	ResolvedAt             *time.Time `json:"resolved_at"`
	ClosedAt               *time.Time `json:"closed_at"`
	FirstContactDue        time.Time  `json:"first_contact_due"`
	ResolutionDue          time.Time  `json:"resolution_due"`
	Overdue                bool       `json:"overdue"`
	IsComplaint            bool       `json:"is_complaint"`
	MeetingTypeIDs         []string   `json:"meeting_type_ids"`
	Version                int        `json:"version"`
	CreatedAt              time.Time  `json:"created_at"`

	raw map[string]any
}

func wantCase(t testing.TB, r response, status int) caseJSON {
	t.Helper()
	wantStatus(t, r, status)
	var c caseJSON
	decode(t, r, &c)
	decode(t, r, &c.raw)
	if etag := r.Header.Get("ETag"); etag != fmt.Sprintf(`"%d"`, c.Version) {
		t.Fatalf("ETag = %q for version %d", etag, c.Version)
	}
	return c
}

// submitBody is a valid submission to category cat.
func submitBody(agency, cat, subject string, extra ...any) map[string]any {
	b := map[string]any{"agency_id": agency, "category_id": cat, "subject": subject,
		"description": "Jag vill ha hjälp med " + strings.ToLower(subject) + "."}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

// submit opens a case as token and checks the 201.
func (e *env) submit(t testing.TB, token string, body map[string]any) caseJSON {
	t.Helper()
	r := e.call(t, "POST", "/v1/cases", token, body)
	c := wantCase(t, r, http.StatusCreated)
	if r.Header.Get("Location") != "/v1/cases/"+c.ID {
		t.Fatalf("Location = %q", r.Header.Get("Location"))
	}
	return c
}

// submitFor opens a permit case as Hanna for the citizen with id.
func (e *env) submitFor(t testing.TB, citizenID, subject string) caseJSON {
	t.Helper()
	return e.submit(t, e.hanna, submitBody(exempelby, e.permitCat, subject, "citizen", map[string]string{"id": citizenID}))
}

func (e *env) getCase(t testing.TB, token, id string) caseJSON {
	t.Helper()
	return wantCase(t, e.call(t, "GET", "/v1/cases/"+id, token, nil), http.StatusOK)
}

func (e *env) setStatus(t testing.TB, token, id, status string, extra ...any) caseJSON {
	t.Helper()
	body := map[string]any{"status": status}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return wantCase(t, e.call(t, "POST", "/v1/cases/"+id+"/status", token, body), http.StatusOK)
}

type entryJSON struct {
	ID               string    `json:"id"`
	Kind             string    `json:"kind"`
	StatusFrom       string    `json:"status_from"`
	StatusTo         string    `json:"status_to"`
	Body             string    `json:"body"`
	VisibleToCitizen bool      `json:"visible_to_citizen"`
	Actor            string    `json:"actor"`
	Ref              string    `json:"ref"`
	CreatedAt        time.Time `json:"created_at"`
}

func (e *env) timeline(t testing.TB, token, id string) []entryJSON {
	t.Helper()
	r := e.call(t, "GET", "/v1/cases/"+id+"/events", token, nil)
	wantStatus(t, r, http.StatusOK)
	var l struct {
		Items []entryJSON `json:"items"`
	}
	decode(t, r, &l)
	return l.Items
}

type casePage struct {
	Items      []caseJSON `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

func (e *env) list(t testing.TB, token, query string) casePage {
	t.Helper()
	r := e.call(t, "GET", "/v1/cases?"+query, token, nil)
	wantStatus(t, r, http.StatusOK)
	var p casePage
	decode(t, r, &p)
	return p
}

func ids(cs []caseJSON) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// ---- the database ----

func (e *env) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	return testkit.Count(t, e.d, query, args...)
}

// caseRow is the stored row of a case, every column, for before/after
// comparisons.
func (e *env) caseRow(t testing.TB, id string) map[string]any {
	t.Helper()
	row := map[string]any{}
	if err := e.d.QueryRowxContext(context.Background(), e.d.Rebind(`SELECT * FROM intake_cases WHERE id = ?`), id).MapScan(row); err != nil {
		t.Fatalf("read case %s: %v", id, err)
	}
	return row
}

// written is what one case has in the database: its row, its timeline and
// its outbox events.
type written struct {
	row             map[string]any
	entries, events int
}

func (e *env) written(t testing.TB, id string) written {
	t.Helper()
	return written{
		row:     e.caseRow(t, id),
		entries: e.count(t, `SELECT count(*) FROM intake_case_events WHERE case_id = ?`, id),
		events:  e.count(t, `SELECT count(*) FROM intake_events WHERE aggregate_id = ?`, id),
	}
}

func (w written) equal(o written) bool {
	return w.entries == o.entries && w.events == o.events && reflect.DeepEqual(w.row, o.row)
}

// outbox is one of intake's events.
type outbox = testkit.Event[outboxPayload]

type outboxPayload struct {
	Case struct {
		ID        string `json:"id"`
		Reference string `json:"reference"`
		Status    string `json:"status"`
	} `json:"case"`
	Entry *struct {
		Kind       string `json:"kind"`
		StatusFrom string `json:"status_from"`
		StatusTo   string `json:"status_to"`
		Body       string `json:"body"`
	} `json:"entry"`
}

// outboxOf returns the case's events in order.
func (e *env) outboxOf(t testing.TB, id string) []outbox {
	t.Helper()
	return testkit.Events[outboxPayload](t, e.d, "intake_events", id)
}

// sameInstant compares times as stored: PostgreSQL keeps microseconds.
func sameInstant(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
