package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/internal/testkit"
	"github.com/tidbok/tidbok/services/booking"
)

var stockholm = testkit.Stockholm

// The demo's building permit advice: 30 minutes, every mode, Bertil at
// Stadshuset on weekdays; citizens may change it until 24 hours before.
var permitAdvice = core.StableID("meeting-type/exempelby/building-permit-advice")

// start is Monday 22 March 2027, 07:00 in Stockholm.
var start = time.Date(2027, 3, 22, 7, 0, 0, 0, stockholm)

// env is the real server, as the binary builds it, on one database.
type env struct {
	d      *db.DB
	server *app.Server
	srv    *httptest.Server
	clock  *coretest.Clock
	links  *booking.ManageLinks
	staff  context.Context // Exempelby's caseworker, in process
}

func newEnv(t testing.TB, d *db.DB, configure ...func(*app.Config)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, clock: coretest.NewClock(start)}
	authCfg := testkit.AuthConfig("http://tidbok.test", 0)
	cfg := app.Config{Services: []string{"auth", "booking", "intake", "notify"},
		BaseURL: "http://tidbok.test", DataDir: t.TempDir(), Clock: e.clock, AuthConfig: &authCfg}
	for _, c := range configure {
		c(&cfg)
	}
	e.server, e.srv, _ = testkit.StartServer(t, d, cfg)
	store := bookingstore.New(d)
	if _, err := demo.Load(ctx, demo.Stores{Directory: store, Schedules: store}, demo.Secrets{Password: "demo-" + core.NewID(), ClientSecret: "tbs_" + core.NewID()}); err != nil {
		t.Fatal(err)
	}
	// The same secret the server signs with: it lives in the database.
	var err error
	if e.links, err = booking.LoadManageLinks(ctx, store); err != nil {
		t.Fatal(err)
	}
	e.staff = core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleCaseworker, AgencyID: demo.ExempelbyID})
	return e
}

// freeSlots returns n starts of building permit advice in person, apart
// enough not to touch each other's buffers.
func (e *env) freeSlots(t testing.TB, n int) []time.Time {
	t.Helper()
	res, err := e.server.Booking.Availability(e.staff, booking.AvailabilityRequest{MeetingTypeID: permitAdvice, Mode: booking.InPerson,
		From: e.clock.Now().Add(72 * time.Hour), To: e.clock.Now().Add(20 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, s := range res.Slots {
		if len(out) == 0 || !s.Start.Before(out[len(out)-1].Add(2*time.Hour)) {
			out = append(out, s.Start)
		}
		if len(out) == n {
			return out
		}
	}
	t.Fatalf("only %d free slots", len(out))
	return nil
}

// book books building permit advice for a citizen known by e-mail, and
// returns the appointment and its manage-link token.
func (e *env) book(t testing.TB, at time.Time, email string) (booking.Appointment, string) {
	t.Helper()
	a, err := e.server.Booking.Book(e.staff, booking.BookRequest{MeetingTypeID: permitAdvice, Mode: booking.InPerson, Start: at,
		Citizen: booking.CitizenRef{Email: email, Name: "Karin Lindqvist"}, InterpreterLanguage: "arabiska"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := e.links.Mint(a)
	if err != nil {
		t.Fatal(err)
	}
	return a, token
}

func (e *env) appointment(t testing.TB, id string) booking.Appointment {
	t.Helper()
	a, err := e.server.Booking.GetAppointment(e.staff, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type page struct {
	Status int
	Header http.Header
	Body   string
	URL    *url.URL
}

func (e *env) get(t testing.TB, path string, header ...string) page {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(t, req)
}

// post sends a form as the page's own form would: same origin.
func (e *env) post(t testing.TB, path string, form url.Values, header ...string) page {
	t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return e.do(t, req)
}

func (e *env) do(t testing.TB, req *http.Request) page {
	t.Helper()
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b), URL: res.Request.URL}
}

func wantStatus(t testing.TB, p page, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d\n%s", p.Status, status, p.Body)
	}
}

func wantText(t testing.TB, p page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("the page lacks %q\n%s", s, p.Body)
		}
	}
}

func wantNoText(t testing.TB, p page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("the page has %q\n%s", s, p.Body)
		}
	}
}

// formOf is the hidden fields the page's forms carry.
func formOf(e *env, token string, version int) url.Values {
	return url.Values{"form_token": {e.links.FormToken(token)}, "version": {strconv.Itoa(version)}}
}

var (
	dayLink   = regexp.MustCompile(`/reschedule\?lang=sv&amp;day=([0-9]{4}-[0-9]{2}-[0-9]{2})"`)
	slotValue = regexp.MustCompile(`name="start" id="slot-0" value="([^"]+)"`)
)

func itoaVersion(v int) string { return strconv.Itoa(v) }
