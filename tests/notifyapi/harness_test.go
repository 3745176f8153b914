// Package notifyapi_test proves the notify service end to end: the server is
// built by app.NewServer exactly as the binary builds it, on a fresh SQLite
// and a fresh PostgreSQL database per test, with the demo's agencies, staff
// and schedules, and an SMTP server in the test process that parses every
// message it receives. People sign in for real (staff with a password,
// citizens with a code read from the mail that server received). Nothing runs
// in the background: each test steps the pumps, the sender and the reminders
// itself, and moves the clock; nothing sleeps.
package notifyapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/internal/testkit"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/notify"
)

var stockholm = testkit.Stockholm

// start is where every test's clock begins: Monday 22 March 2027, 07:00 in
// Stockholm, the week before summer time begins (Sunday 28 March).
var start = time.Date(2027, 3, 22, 7, 0, 0, 0, stockholm)

// local is a wall-clock time in Stockholm in 2027.
func local(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2027, month, day, hour, minute, 0, 0, stockholm)
}

// The demo's building permit advice: 30 minutes, every mode, served only by
// Bertil Bygglov at Stadshuset, weekdays 08:30–12:00 and 13:00–16:00.
var (
	permitAdvice = core.StableID("meeting-type/exempelby/building-permit-advice")
	bertilEmail  = "bertil@exempelby.se"
	exempelby    = demo.ExempelbyID
)

const (
	baseURL  = "http://tidbok.test"
	mailFrom = "Exempelby kommun <bokning@exempelby.se>"
	fromAddr = "bokning@exempelby.se"
)

type testClock = coretest.Clock

// env is one running server and the world of one test.
type env struct {
	d       *db.DB
	server  *app.Server
	srv     *httptest.Server
	clock   *testClock
	smtp    *testkit.SMTPServer
	outbox  *notifystore.Outbox
	dataDir string

	staff string // Hanna Handläggare's bearer token (caseworker, Exempelby)
	admin string // Adam Administratör's (agency admin, Exempelby)

	http *testkit.Client
}

// newEnv starts the server with the given changes to its configuration.
func newEnv(t testing.TB, d *db.DB, configure ...func(*app.Config)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, clock: coretest.NewClock(start), smtp: testkit.StartSMTP(t), outbox: notifystore.NewOutbox(d)}
	// The clock moves by days; tokens outlive the moves.
	authCfg := testkit.AuthConfig(baseURL, 120*24*time.Hour)
	cfg := app.Config{
		Services: []string{"auth", "booking", "intake", "notify"}, BaseURL: baseURL, DataDir: t.TempDir(),
		SMTPURL: e.smtp.URL(), MailFrom: mailFrom, VideoBaseURL: "https://video.exempelby.se/",
		Keyring: testkit.Keyring(t), Clock: e.clock, AuthConfig: &authCfg,
	}
	for _, c := range configure {
		c(&cfg)
	}
	e.dataDir = cfg.DataDir
	e.server, e.srv, e.http = testkit.StartServer(t, d, cfg)

	// The demo's directory and schedules. Its staff accounts are created
	// through the auth service instead of demo.Load's Accounts, so that their
	// passwords are hashed with the cheap test parameters.
	secrets := demo.Secrets{Password: "demo-" + core.NewID(), ClientSecret: "tbs_" + core.NewID()}
	store := bookingstore.New(d)
	if _, err := demo.Load(ctx, demo.Stores{Directory: store, Schedules: store}, secrets); err != nil {
		t.Fatalf("demo: %v", err)
	}
	boot := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: "bootstrap", Role: core.RoleSystemAdmin})
	tokens := map[string]*string{"handlaggare@exempelby.se": &e.staff, "admin@exempelby.se": &e.admin}
	for _, st := range demo.StaffAccounts() {
		tok, ok := tokens[st.Email]
		if !ok {
			continue
		}
		if _, _, err := e.server.Auth.CreateStaff(boot, auth.NewStaff{Email: st.Email, Name: st.Name, Role: st.Role,
			AgencyID: st.AgencyID, Password: secrets.Password}); err != nil {
			t.Fatalf("staff %s: %v", st.Email, err)
		}
		*tok = e.http.Login(t, st.Email, secrets.Password)
	}
	return e
}

// ---- stepping the background work ----

// pump lets intake, then notify, read every new event of booking and
// intake, and returns how many new events notify read.
func (e *env) pump(t testing.TB) int {
	t.Helper()
	// Intake learns of meetings booked for a case first, as in the binary.
	if _, err := e.server.IntakeConsumer.Poll(context.Background()); err != nil {
		t.Fatalf("intake<-booking: %v", err)
	}
	total := 0
	for _, p := range e.server.Pumps {
		if !strings.HasPrefix(p.Name, "notify<-") {
			continue // the webhooks' pumps run beside notify's; not what these tests are about
		}
		total += testkit.DrainPump(t, &p, 50)
	}
	return total
}

// send runs the sender until nothing due is left to send, and returns how
// many messages went out.
func (e *env) send(t testing.TB) int {
	t.Helper()
	return testkit.SendAll(t, e.server)
}

// deliver is what the background work does in a second: read the events,
// store the messages, send them.
func (e *env) deliver(t testing.TB) {
	t.Helper()
	e.pump(t)
	e.send(t)
}

// messages lists stored messages of status ("" for all), oldest first.
func (e *env) messages(t testing.TB, status string) []notify.StoredMessage {
	t.Helper()
	ms, err := e.outbox.ListMessages(context.Background(), status, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

// ---- the inbox ----

// mailTo returns the notifications (not sign-in codes) received for address.
func (e *env) mailTo(address string) []*inbound {
	var out []*inbound
	for _, m := range e.smtp.All() {
		if !m.IsSignInCode() && m.Recipient() == strings.ToLower(address) {
			out = append(out, m)
		}
	}
	return out
}

// invitationsFor returns the calendar mails received for the appointment,
// by recipient.
func (e *env) invitationsFor(t testing.TB, appointmentID string) map[string][]*inbound {
	t.Helper()
	out := map[string][]*inbound{}
	for _, m := range e.smtp.All() {
		if ev := m.Invite(t); ev != nil && ev.UID == appointmentID+"@tidbok" {
			out[m.Recipient()] = append(out[m.Recipient()], m)
		}
	}
	return out
}

// ---- people ----

type citizen = testkit.Citizen

var codeLine = regexp.MustCompile(`(?m)^ +([0-9]{6})\r?$`)

// signInCitizen signs in with a code by e-mail, read from the SMTP server.
// A new citizen gets language lang.
func (e *env) signInCitizen(t testing.TB, address, lang string) citizen {
	t.Helper()
	before := e.smtp.Count()
	return e.http.SignInCitizen(t, address, map[string]string{"email": address, "language": lang}, func() string {
		code := ""
		for _, m := range e.smtp.All()[before:] {
			if m.IsSignInCode() && m.Recipient() == strings.ToLower(address) {
				if c := codeLine.FindStringSubmatch(m.Text()); c != nil {
					code = c[1]
				}
			}
		}
		if code == "" {
			t.Fatalf("no sign-in code reached %s", address)
		}
		return code
	})
}

// ---- appointments ----

type appointment struct {
	ID       string `json:"id"`
	StaffID  string `json:"staff_id"`
	Status   string `json:"status"`
	Start    string `json:"start"`
	Sequence int    `json:"sequence"`
}

func (a appointment) start(t testing.TB) time.Time {
	t.Helper()
	s, err := time.Parse(time.RFC3339, a.Start)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// book books building permit advice at Stadshuset for the citizen named by
// ref (an id, or e-mail and name), as Hanna; extra are more fields of the
// request, as name, value pairs.
func (e *env) book(t testing.TB, at time.Time, ref map[string]string, extra ...string) appointment {
	t.Helper()
	body := map[string]any{"meeting_type_id": permitAdvice, "mode": "in_person", "start": at.Format(time.RFC3339), "citizen": ref}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	r := e.call(t, "POST", "/v1/appointments", e.staff, body)
	wantStatus(t, r, http.StatusCreated)
	var a appointment
	decode(t, r, &a)
	return a
}

func (e *env) act(t testing.TB, id, action string, body any) appointment {
	t.Helper()
	r := e.call(t, "POST", "/v1/appointments/"+id+"/"+action, e.staff, body)
	wantStatus(t, r, http.StatusOK)
	var a appointment
	decode(t, r, &a)
	return a
}

// freeSlots returns up to n bookable starts of building permit advice in
// person from the clock's now on.
func (e *env) freeSlots(t testing.TB, n int) []time.Time {
	t.Helper()
	var out []time.Time
	from := e.clock.Now()
	for len(out) < n {
		to := from.Add(14 * 24 * time.Hour)
		q := "/v1/availability?meeting_type_id=" + permitAdvice + "&mode=in_person&from=" +
			from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339)
		r := e.call(t, "GET", strings.ReplaceAll(q, "+", "%2B"), e.staff, nil)
		wantStatus(t, r, http.StatusOK)
		var res struct {
			Items []struct {
				Start string `json:"start"`
			} `json:"items"`
		}
		decode(t, r, &res)
		for _, it := range res.Items {
			s, err := time.Parse(time.RFC3339, it.Start)
			if err != nil {
				t.Fatal(err)
			}
			// Every other slot: a slot overlaps its neighbours' buffers.
			if len(out) == 0 || !s.Before(out[len(out)-1].Add(45*time.Minute)) {
				out = append(out, s)
			}
			if len(out) == n {
				break
			}
		}
		if to.Sub(e.clock.Now()) > 50*24*time.Hour {
			t.Fatalf("only %d free slots", len(out))
		}
		from = to
	}
	return out
}

// ---- HTTP ----

type response = testkit.Response

var (
	decode      = testkit.Decode
	wantStatus  = testkit.WantStatus
	wantCreated = testkit.WantCreated
	accessToken = testkit.AccessToken
)

func (e *env) call(t testing.TB, method, path, token string, body any) response {
	t.Helper()
	return e.http.Call(t, method, path, token, body)
}

func email(i int) string { return fmt.Sprintf("medborgare%03d@example.se", i) }
