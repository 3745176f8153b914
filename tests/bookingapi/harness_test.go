// Package bookingapi_test drives booking's appointments and call-backs over
// HTTP through the server app.NewServer builds, exactly as the binary does,
// on a fresh SQLite and a fresh PostgreSQL database per test. People sign in
// for real: staff with a password, citizens with a code read from the mail
// the server wrote, integrations with client credentials. Time is a clock
// the tests move; nothing sleeps.
package bookingapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/internal/testkit"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
)

// issuer is the server's BaseURL: the verifier checks iss against it only,
// so the test server's own address need not be known in advance.
const issuer = "https://tidbok.test"

// stockholm is the agencies' zone; every wall-clock time below is in it.
var stockholm = testkit.Stockholm

// start is where every test's clock begins: Monday 1 June 2026, 07:00 in
// Stockholm, an hour before the staff start work.
var start = time.Date(2026, 6, 1, 7, 0, 0, 0, stockholm)

// at is a wall-clock time in Stockholm on a day of the first weeks of June 2026.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 6, day, hour, minute, 0, 0, stockholm)
}

// staffAccount is someone who signs in with a password.
type staffAccount struct {
	ID, Email, Password string
}

// apptEnv is one running server and the world of one test: agency A with
// an office, a meeting type and three staff members who serve it with
// identical hours (Monday to Friday, 08:00–16:00 at the office), and agency
// B with an admin, so that every denial across agencies can be tried.
type apptEnv struct {
	d       *db.DB
	srv     *httptest.Server
	clock   *coretest.Clock
	dataDir string
	auth    auth.Service

	agencyA, agencyB string
	officeA          string
	// meetingType offers every mode, 30 minutes on a 30-minute grid, 2 hours'
	// notice, a 60-day horizon, a 24-hour cancellation cutoff and at most 2
	// active bookings per citizen.
	meetingType string
	staff       []string // the three staff members, sorted by id

	adminA, workerA, adminB string // bearer tokens
	client                  string // client of A with every scope
	clientSecret            string
	clientID                string

	http *testkit.Client
}

func newEnv(t *testing.T, d *db.DB) *apptEnv {
	t.Helper()
	ctx := context.Background()
	e := &apptEnv{d: d, clock: coretest.NewClock(start), dataDir: t.TempDir()}
	// Tests move the clock by days; tokens live long enough not to need
	// signing in again after every move.
	authCfg := testkit.AuthConfig(issuer, 90*24*time.Hour)
	server, srv, client := testkit.StartServer(t, d, app.Config{
		Services: []string{"auth", "booking"}, BaseURL: issuer, DataDir: e.dataDir,
		MailFrom: "Tidbok <no-reply@tidbok.test>", VideoBaseURL: "https://video.tidbok.test/",
		Clock: e.clock, AuthConfig: &authCfg,
	})
	e.srv, e.http = srv, client
	// Many concurrent requests in the race tests: keep connections.
	e.srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	store := bookingstore.New(d)
	e.agencyA, e.agencyB = core.NewID(), core.NewID()
	for i, id := range []string{e.agencyA, e.agencyB} {
		a := booking.Agency{ID: id, Name: fmt.Sprintf("Testkommun %c", 'A'+i), OrgNumber: fmt.Sprintf("21200%d-0000", i),
			Kind: booking.Municipality, TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish,
			CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}
		if err := store.SaveAgency(ctx, a); err != nil {
			t.Fatalf("save agency: %v", err)
		}
	}
	e.auth = server.Auth
	e.adminA = e.login(t, e.seedStaff(t, "admin@a.test", core.RoleAgencyAdmin, e.agencyA))
	e.workerA = e.login(t, e.seedStaff(t, "hanna@a.test", core.RoleCaseworker, e.agencyA))
	e.adminB = e.login(t, e.seedStaff(t, "admin@b.test", core.RoleAgencyAdmin, e.agencyB))
	e.clientID, e.clientSecret = e.newClient(t, core.AllScopes...)
	e.client = e.clientToken(t, e.clientID, e.clientSecret)

	r := e.call(t, "POST", "/v1/agencies/"+e.agencyA+"/offices", e.adminA, map[string]any{
		"name": "Medborgarkontoret", "address": map[string]string{"street": "Torget 1", "postal_code": "123 45", "city": "Testby"}})
	e.officeA = wantCreated(t, r)
	e.meetingType = e.newMeetingType(t, map[string]any{})
	for i := range 3 {
		e.staff = append(e.staff, e.newStaffMember(t, fmt.Sprintf("Handläggare %d", i+1), e.meetingType))
	}
	sort.Strings(e.staff)
	return e
}

// seedStaff creates a staff account as the bootstrap command makes the
// first one: there is nobody yet to sign in as.
func (e *apptEnv) seedStaff(t *testing.T, email string, role core.Role, agency string) staffAccount {
	t.Helper()
	boot := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: "bootstrap", Role: core.RoleSystemAdmin})
	pw := "pw-" + core.NewID()
	st, _, err := e.auth.CreateStaff(boot, auth.NewStaff{Email: email, Name: "Test " + string(role), Role: role, AgencyID: agency, Password: pw})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return staffAccount{ID: st.ID, Email: email, Password: pw}
}

// newMeetingType creates a meeting type of agency A: every mode, 30
// minutes, with the defaults unless over says otherwise.
func (e *apptEnv) newMeetingType(t *testing.T, over map[string]any) string {
	t.Helper()
	body := map[string]any{
		"name": map[string]string{"sv": "Rådgivning", "en": "Advice"}, "duration_minutes": 30,
		"modes": []string{"phone", "video", "in_person"}, "slot_step_minutes": 30,
	}
	for k, v := range over {
		body[k] = v
	}
	return wantCreated(t, e.call(t, "POST", "/v1/agencies/"+e.agencyA+"/meeting-types", e.adminA, body))
}

// newStaffMember creates a staff member of agency A who serves the meeting
// types in every mode, Monday to Friday 08:00–16:00 at the office.
func (e *apptEnv) newStaffMember(t *testing.T, name string, meetingTypes ...string) string {
	t.Helper()
	var hours []map[string]string
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		hours = append(hours, map[string]string{"weekday": d, "start": "08:00", "end": "16:00", "office_id": e.officeA})
	}
	return e.newStaffMemberWithHours(t, name, hours, meetingTypes...)
}

// newStaffMemberWithHours is newStaffMember with other weekly hours.
func (e *apptEnv) newStaffMemberWithHours(t *testing.T, name string, hours []map[string]string, meetingTypes ...string) string {
	t.Helper()
	return wantCreated(t, e.call(t, "POST", "/v1/agencies/"+e.agencyA+"/staff-members", e.adminA, map[string]any{
		"name": name, "title": "Handläggare", "meeting_type_ids": meetingTypes,
		"modes": []string{"phone", "video", "in_person"}, "office_ids": []string{e.officeA}, "weekly_hours": hours,
	}))
}

// newClient creates an integration client of agency A with scopes and
// returns its id and secret.
func (e *apptEnv) newClient(t *testing.T, scopes ...string) (string, string) {
	t.Helper()
	r := e.call(t, "POST", "/v1/clients", e.adminA, map[string]any{"agency_id": e.agencyA, "name": "Ärendesystem " + core.NewID()[:8], "scopes": scopes})
	wantStatus(t, r, http.StatusCreated)
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	decode(t, r, &c)
	return c.ClientID, c.ClientSecret
}

// ---- signing in ----

func (e *apptEnv) login(t *testing.T, a staffAccount) string {
	t.Helper()
	return e.http.Login(t, a.Email, a.Password)
}

func (e *apptEnv) clientToken(t *testing.T, id, secret string) string {
	t.Helper()
	return e.http.ClientToken(t, id, secret)
}

// citizen is a signed-in citizen.
type citizen = testkit.Citizen

// signInCitizen runs the e-mail code flow for address: the code is read
// from the .eml the server's file mailer wrote.
func (e *apptEnv) signInCitizen(t *testing.T, address string) citizen {
	t.Helper()
	return e.http.SignInCitizen(t, address, map[string]string{"email": address}, func() string { return e.lastMailCode(t, address) })
}

var mailCode = regexp.MustCompile(`(?m)^ +([0-9]{6})\r?$`)

// lastMailCode returns the code of the newest .eml to address that has one.
func (e *apptEnv) lastMailCode(t *testing.T, address string) string {
	t.Helper()
	code := ""
	for _, m := range testkit.MailsTo(t, e.dataDir, address) {
		if c := mailCode.FindStringSubmatch(m.Text); c != nil {
			code = c[1]
		}
	}
	if code == "" {
		t.Fatalf("no code was mailed to %s", address)
	}
	return code
}

// personalNumber returns the i-th of a series of valid personal identity
// numbers, one birth date per i.
var personalNumber = testkit.PersonalNumber

// ---- HTTP ----

type (
	response = testkit.Response
	problem  = testkit.Problem
)

var (
	decode      = testkit.Decode
	wantStatus  = testkit.WantStatus
	wantCreated = testkit.WantCreated
	wantProblem = testkit.WantProblem
	accessToken = testkit.AccessToken
)

func (e *apptEnv) do(t testing.TB, req *http.Request) response {
	t.Helper()
	return e.http.Do(t, req)
}

// request builds a request with body as JSON (nil: none; a string: as it
// is), token as bearer ("" for none) and extra headers as name, value pairs.
func (e *apptEnv) request(t testing.TB, method, path, token string, body any, header ...string) *http.Request {
	t.Helper()
	return e.http.Request(t, method, path, token, body, header...)
}

func (e *apptEnv) call(t testing.TB, method, path, token string, body any, header ...string) response {
	t.Helper()
	return e.http.Call(t, method, path, token, body, header...)
}

// wantTaken checks the 409 of a time someone else got first: it points to
// fresh availability.
func wantTaken(t testing.TB, r response) {
	t.Helper()
	p := wantProblem(t, r, http.StatusConflict)
	if !strings.Contains(p.Detail, "/v1/availability") {
		t.Fatalf("409 does not point to /v1/availability: %s", r.Body)
	}
}

// ---- appointments ----

type phoneJSON struct {
	Number    string `json:"number"`
	Direction string `json:"direction"`
}

type appointment struct {
	ID            string  `json:"id"`
	AgencyID      string  `json:"agency_id"`
	MeetingTypeID string  `json:"meeting_type_id"`
	StaffID       string  `json:"staff_id"`
	CitizenID     string  `json:"citizen_id"`
	Mode          string  `json:"mode"`
	Status        string  `json:"status"`
	Start         string  `json:"start"`
	End           string  `json:"end"`
	OfficeID      *string `json:"office_id"`
	Office        *struct {
		Name    string `json:"name"`
		Address struct {
			Street string `json:"street"`
			City   string `json:"city"`
		} `json:"address"`
	} `json:"office"`
	Room         string     `json:"room"`
	Phone        *phoneJSON `json:"phone"`
	VideoURL     string     `json:"video_url"`
	CancelReason string     `json:"cancel_reason"`
	Sequence     int        `json:"sequence"`
	Version      int        `json:"version"`

	etag string
}

func (a appointment) startTime(t testing.TB) time.Time {
	t.Helper()
	s, err := time.Parse(time.RFC3339, a.Start)
	if err != nil {
		t.Fatalf("start %q: %v", a.Start, err)
	}
	return s
}

// wantAppointment checks status and an appointment with its ETag.
func wantAppointment(t testing.TB, r response, status int) appointment {
	t.Helper()
	wantStatus(t, r, status)
	var a appointment
	decode(t, r, &a)
	a.etag = r.Header.Get("ETag")
	if a.etag != fmt.Sprintf(`"%d"`, a.Version) {
		t.Fatalf("ETag = %q for version %d", a.etag, a.Version)
	}
	return a
}

// bookBody is a booking request of the env's meeting type at start in mode.
func (e *apptEnv) bookBody(start time.Time, mode string, extra ...any) map[string]any {
	b := map[string]any{"meeting_type_id": e.meetingType, "mode": mode, "start": start.Format(time.RFC3339)}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i].(string)] = extra[i+1]
	}
	return b
}

// book books for a citizen given by personal identity number, as staff.
func (e *apptEnv) book(t *testing.T, token string, body map[string]any) appointment {
	t.Helper()
	return wantAppointment(t, e.call(t, "POST", "/v1/appointments", token, body), http.StatusCreated)
}

// ---- the database ----

func (e *apptEnv) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	return testkit.Count(t, e.d, query, args...)
}

// rowCounts counts what a booking request may write: appointments, blocks,
// holds, events, call-backs and citizens.
func (e *apptEnv) rowCounts(t testing.TB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"booking_appointments", "booking_blocks", "booking_holds", "booking_events", "booking_callbacks", "auth_citizens"} {
		out[table] = e.count(t, "SELECT count(*) FROM "+table)
	}
	return out
}

// event is one row of booking's outbox.
type event = testkit.Event[eventPayload]

type eventPayload struct {
	Appointment struct {
		StaffID  string `json:"staff_id"`
		Status   string `json:"status"`
		Start    string `json:"start"`
		Sequence int    `json:"sequence"`
	} `json:"appointment"`
	Callback struct {
		Status   string `json:"status"`
		Attempts int    `json:"attempts"`
	} `json:"callback"`
	Change booking.Change `json:"change"`
}

// events returns the outbox rows of one appointment or call-back in order.
func (e *apptEnv) events(t testing.TB, aggregateID string) []event {
	t.Helper()
	return testkit.Events[eventPayload](t, e.d, "booking_events", aggregateID)
}

func eventTypes(evs []event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}

// overlaps counts pairs of one staff member's blocks that overlap: the
// invariant that must hold whatever the concurrency.
func (e *apptEnv) overlaps(t testing.TB) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM booking_blocks a JOIN booking_blocks b
		ON a.staff_id = b.staff_id AND a.id < b.id AND a.blocked_from < b.blocked_to AND b.blocked_from < a.blocked_to`)
}
