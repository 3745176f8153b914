package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/intakestore"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/internal/testkit"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/notify"
)

// The four services run as four servers, each built by app.NewServer with
// only its own service, as four processes would be; they share one database
// as a deployment's services share one PostgreSQL, each using its own tables.

const apartIssuer = "http://tidbok.test"

var (
	permitType = core.StableID("meeting-type/exempelby/building-permit-advice")
	permitCat  = core.StableID("case-category/exempelby/building-permits")
)

type apart struct {
	auth, booking, intake, notify *app.Server
	urls                          map[string]string
	mail                          *testkit.SMTPServer
	serviceID, serviceSecret      string
}

// startApart starts auth, booking, intake and notify as separate servers.
func startApart(t *testing.T, d *db.DB) *apart {
	t.Helper()
	ctx := context.Background()
	w := &apart{urls: map[string]string{}, mail: testkit.StartSMTP(t)}
	// Each server's address is known before any is built, so that each can
	// be told where the others are.
	handlers := map[string]*swappable{}
	for _, name := range []string{"auth", "booking", "intake", "notify"} {
		h := &swappable{}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		handlers[name], w.urls[name] = h, srv.URL
	}
	store := bookingstore.New(d)
	if _, err := demo.Load(ctx, demo.Stores{Directory: store, Schedules: store, Intake: intakestore.New(d)},
		demo.Secrets{Password: "demo-" + core.NewID(), ClientSecret: "tbs_" + core.NewID()}); err != nil {
		t.Fatalf("demo: %v", err)
	}
	// The operator's step: one service credential for the three processes
	// that call others.
	c, secret, err := auth.CreateServiceClient(ctx, authstore.New(d), "tidbok services", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	w.serviceID, w.serviceSecret = c.ID, secret

	authCfg := testkit.AuthConfig(apartIssuer, 0)
	keyring := testkit.Keyring(t)
	build := func(name string) *app.Server {
		t.Helper()
		others := map[string]string{}
		for n, u := range w.urls {
			if n != name {
				others[n] = u
			}
		}
		cfg := app.Config{Services: []string{name}, ServiceURLs: others, BaseURL: apartIssuer, DataDir: t.TempDir(),
			SMTPURL: w.mail.URL(), MailFrom: "Exempelby kommun <bokning@exempelby.se>",
			ServiceClientID: w.serviceID, ServiceClientSecret: w.serviceSecret}
		if name == "auth" {
			cfg.Keyring, cfg.AuthConfig = keyring, &authCfg
			cfg.ServiceClientID, cfg.ServiceClientSecret = "", "" // auth calls nobody
		}
		s, err := app.NewServer(ctx, cfg, log.NewNopLogger(), d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		handlers[name].set(s.Handler)
		return s
	}
	w.auth, w.booking, w.intake, w.notify = build("auth"), build("booking"), build("intake"), build("notify")
	return w
}

// manageLink finds the token of a manage link in a message's text.
var manageLink = regexp.MustCompile(`/m/([A-Za-z0-9_-]{40,})`)

func TestServicesApart(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := startApart(t, d)
		ctx := context.Background()
		if w.auth.Booking != nil || w.booking.Auth != nil || w.notify.Intake != nil || len(w.intake.Pumps) != 0 {
			t.Fatal("a server runs a service it was not asked to")
		}
		// An agency system listens for booked meetings.
		sysadmin := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleSystemAdmin})
		hook, err := w.notify.Webhooks.CreateWebhook(sysadmin, notify.NewWebhook{AgencyID: demo.ExempelbyID,
			URL: "https://cases.exempelby.example/hooks", EventTypes: []string{"appointment.booked"}})
		if err != nil {
			t.Fatal(err)
		}

		// A citizen signs in at auth, opens a case at intake and books a
		// meeting for it at booking: intake asks auth who the citizen is, and
		// booking asks auth for the citizen's contact details, over HTTP.
		citizen := w.signIn(t, "anna@example.se")
		r := call(t, "POST", w.urls["intake"]+"/v1/cases", citizen, map[string]any{"agency_id": demo.ExempelbyID,
			"category_id": permitCat, "subject": "Bygglov för uterum", "description": "Jag vill bygga ett uterum."})
		wantStatus(t, r, http.StatusCreated)
		var kase struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		decode(t, r, &kase)
		start := w.freeSlot(t, citizen)
		r = call(t, "POST", w.urls["booking"]+"/v1/appointments", citizen, map[string]any{"meeting_type_id": permitType,
			"mode": "video", "start": start, "case_id": kase.ID})
		wantStatus(t, r, http.StatusCreated)
		var appt struct {
			ID string `json:"id"`
		}
		decode(t, r, &appt)

		// The consumers read booking's and intake's outboxes over HTTP.
		if n, err := w.intake.IntakeConsumer.Poll(ctx); err != nil || n == 0 {
			t.Fatalf("intake read %d of booking's events: %v", n, err)
		}
		r = call(t, "GET", w.urls["intake"]+"/v1/cases/"+kase.ID, citizen, nil)
		wantStatus(t, r, http.StatusOK)
		decode(t, r, &kase)
		if kase.Status != "scheduled" {
			t.Fatalf("after intake read booking's events the case is %q, want scheduled", kase.Status)
		}
		if n := pumpAll(t, w.notify); n == 0 {
			t.Fatal("notify's pumps read no events")
		}
		sendAll(t, w.notify)
		uid := calendar.UID(appt.ID)
		invitations := countInvitations(t, w.mail, "anna@example.se", uid)
		if invitations != 1 {
			t.Fatalf("%d invitations with UID %s reached the citizen, want 1", invitations, uid)
		}
		// The invitation carries the citizen's manage link, minted by booking
		// and handed to notify over HTTP; booking's page honours it.
		// So does the meeting type's what to bring, read over the same route.
		token, bring := "", false
		for _, m := range w.mail.All() {
			if found := manageLink.FindStringSubmatch(m.Text()); found != nil && strings.Contains(strings.ToLower(strings.Join(m.EnvelopeTo, ",")), "anna@example.se") {
				token = found[1]
				bring = strings.Contains(m.Text(), "Ta med: Ritningar och fastighetsbeteckning")
			}
		}
		if token == "" {
			t.Fatal("the citizen's invitation has no manage link")
		}
		if !bring {
			t.Error("the citizen's invitation does not say what to bring")
		}
		// (An HTML page for people, so outside the API contract call checks.)
		linkPage, err := http.Get(w.urls["booking"] + "/m/" + token)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(linkPage.Body)
		linkPage.Body.Close()
		if linkPage.StatusCode != http.StatusOK || !strings.Contains(string(body), "<form") {
			t.Fatalf("the manage link answered %d:\n%s", linkPage.StatusCode, body)
		}

		// The citizen's calendar feed at notify lists the meeting, read from
		// booking over HTTP.
		r = call(t, "POST", w.urls["notify"]+"/v1/me/feeds", citizen, nil)
		wantStatus(t, r, http.StatusCreated)
		var feed struct {
			URL string `json:"url"`
		}
		decode(t, r, &feed)
		i := strings.Index(feed.URL, "/v1/feeds/")
		if i < 0 {
			t.Fatalf("feed url %q", feed.URL)
		}
		r = call(t, "GET", w.urls["notify"]+feed.URL[i:], "", nil)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), "UID:"+uid) {
			t.Fatalf("the citizen's feed lacks the meeting %s:\n%s", uid, r.Body)
		}

		// Replayed events send nothing twice: the cursors go back to the
		// start, and the notifier is handed the booking event again directly.
		outbox := w.notify.Pumps[0].Cursors
		for _, p := range w.notify.Pumps {
			if err := outbox.SetCursor(ctx, p.Name, 0); err != nil {
				t.Fatal(err)
			}
		}
		pumpAll(t, w.notify)
		for _, p := range w.notify.Pumps {
			if p.Name != "notify<-booking" {
				continue
			}
			evs, err := p.Fetch(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if err := w.notify.Notifier.HandleBookingEvent(ctx, notify.Event{ID: ev.ID, Type: ev.Type, Payload: ev.Payload}); err != nil {
					t.Fatalf("replay %s: %v", ev.Type, err)
				}
			}
		}
		sendAll(t, w.notify)
		if n := countInvitations(t, w.mail, "anna@example.se", uid); n != 1 {
			t.Fatalf("after the replay %d invitations with UID %s reached the citizen, want still 1", n, uid)
		}

		// The agency system's webhook got the booking, once.
		page, err := w.notify.Webhooks.ListDeliveries(sysadmin, notify.DeliveryFilter{WebhookID: hook.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Deliveries) != 1 || page.Deliveries[0].EventType != "appointment.booked" {
			t.Fatalf("webhook deliveries = %+v, want one appointment.booked", page.Deliveries)
		}

		// Reading the citizen's data on the citizen's behalf was logged in
		// auth's audit log, naming the citizen, though booking did the reading.
		audit, err := w.auth.Auth.ListAudit(sysadmin, auth.AuditQuery{TargetKind: "appointment", TargetID: appt.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var booked, read bool
		for _, e := range audit.Entries {
			booked = booked || (e.Action == "appointment.booked" && e.ActorKind == "citizen" && e.ClientIP != "")
			read = read || (e.Action == "appointment.read" && e.ActorID == w.serviceID)
		}
		if !booked || !read {
			t.Fatalf("auth's audit log lacks the citizen's booking or notify's read, both logged by booking over HTTP: %+v", audit.Entries)
		}
	})
}

func pumpAll(t *testing.T, s *app.Server) int {
	t.Helper()
	total := 0
	for _, p := range s.Pumps {
		total += testkit.DrainPump(t, &p, 20)
	}
	return total
}

func sendAll(t *testing.T, s *app.Server) { t.Helper(); testkit.SendAll(t, s) }

var codeLine = regexp.MustCompile(`(?m)^ +([0-9]{6})\r?$`)

// signIn signs a citizen in with a code sent by e-mail and returns the token.
func (w *apart) signIn(t *testing.T, address string) string {
	t.Helper()
	before := w.mail.Count()
	at := &testkit.Client{URL: w.urls["auth"], Check: checkContract}
	return at.SignInCitizen(t, address, map[string]string{"email": address, "language": "sv"}, func() string {
		code := ""
		for _, m := range w.mail.All()[before:] {
			if c := codeLine.FindStringSubmatch(m.Text()); c != nil {
				code = c[1]
			}
		}
		if code == "" {
			t.Fatalf("no sign-in code reached %s", address)
		}
		return code
	}).Token
}

// freeSlot returns a bookable start of building permit advice by video.
func (w *apart) freeSlot(t *testing.T, token string) string {
	t.Helper()
	now := time.Now()
	q := url.Values{"meeting_type_id": {permitType}, "mode": {"video"}, "from": {now.Format(time.RFC3339)},
		"to": {now.Add(21 * 24 * time.Hour).Format(time.RFC3339)}}
	r := call(t, "GET", w.urls["booking"]+"/v1/availability?"+q.Encode(), token, nil)
	wantStatus(t, r, http.StatusOK)
	var l struct {
		Items []struct {
			Start string `json:"start"`
		} `json:"items"`
	}
	decode(t, r, &l)
	if len(l.Items) == 0 {
		t.Fatal("no free time for building permit advice")
	}
	return l.Items[len(l.Items)/2].Start
}

// serviceToken gets a service token from auth as a process would.
func (w *apart) serviceToken(t *testing.T, id, secret string) string {
	t.Helper()
	at := &testkit.Client{URL: w.urls["auth"], Check: checkContract}
	req := at.ClientCredentials(t, nil)
	req.SetBasicAuth(id, secret)
	return testkit.AccessToken(t, at.Do(t, req))
}

// ---- HTTP ----

type response = testkit.Response

var (
	decode     = testkit.Decode
	wantStatus = testkit.WantStatus
)

// call sends a request to a whole URL and holds the answer to
// docs/openapi.yaml.
func call(t *testing.T, method, target, token string, body any) response {
	t.Helper()
	return (&testkit.Client{Check: checkContract}).Call(t, method, target, token, body)
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// checkContract validates an answer against docs/openapi.yaml.
func checkContract(t testing.TB, req *http.Request, r response) {
	t.Helper()
	specOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
		_, specRouter, specErr = testkit.OpenAPI()
	})
	if specErr != nil {
		t.Fatalf("openapi.yaml: %v", specErr)
	}
	route, params, err := specRouter.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{ExcludeRequestBody: true, ExcludeRequestQueryParams: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header,
		Body: io.NopCloser(bytes.NewReader(r.Body))}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s → %d does not match openapi.yaml: %v\n%s", req.Method, req.URL, r.Status, err, r.Body)
	}
}

// swappable is a handler set after its server has started.
type swappable struct {
	mu sync.RWMutex
	h  http.Handler
}

func (s *swappable) set(h http.Handler) { s.mu.Lock(); s.h = h; s.mu.Unlock() }

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	h := s.h
	s.mu.RUnlock()
	if h == nil {
		http.Error(w, "not started", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

// countInvitations counts the calendar mails to address whose event has uid.
func countInvitations(t *testing.T, box *testkit.SMTPServer, address, uid string) int {
	t.Helper()
	n := 0
	for _, m := range box.All() {
		if !strings.EqualFold(strings.Join(m.EnvelopeTo, ","), address) {
			continue
		}
		if ev := m.Invite(t); ev != nil && ev.UID == uid {
			n++
		}
	}
	return n
}

// TestServiceRoutesDenials proves who reaches the routes the services serve
// each other: only a service token holding the route's scope. And a service
// token reaches none of the routes for people and agencies.
func TestServiceRoutesDenials(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		w := startApart(t, d)
		ctx := context.Background()
		boot := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleSystemAdmin})
		password := "Lösenord-" + core.NewID()
		if _, _, err := w.auth.Auth.CreateStaff(boot, auth.NewStaff{Email: "root@tidbok.test", Name: "Root", Role: core.RoleSystemAdmin, Password: password}); err != nil {
			t.Fatal(err)
		}
		r := call(t, "POST", w.urls["auth"]+"/v1/auth/login", "", map[string]string{"email": "root@tidbok.test", "password": password})
		wantStatus(t, r, http.StatusOK)
		var login struct {
			AccessToken string `json:"access_token"`
		}
		decode(t, r, &login)
		client, clientSecret, err := w.auth.Auth.CreateClient(boot, auth.NewClient{AgencyID: demo.ExempelbyID, Name: "Ärendesystem", Scopes: core.AllScopes})
		if err != nil {
			t.Fatal(err)
		}
		events, eventsSecret, err := auth.CreateServiceClient(ctx, authstore.New(d), "events only", []string{core.ScopeEventsRead}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tokens := map[string]string{
			"citizen":                  w.signIn(t, "bo@example.se"),
			"system admin":             login.AccessToken,
			"integration client":       w.serviceToken(t, client.ID, clientSecret),
			"service with events only": w.serviceToken(t, events.ID, eventsSecret),
		}
		someone := core.NewID()
		from := url.QueryEscape(time.Now().UTC().Format(time.RFC3339))
		internal := []struct {
			method, url string
			body        any
			scope       string
		}{
			{"GET", w.urls["booking"] + "/v1/events/booking", nil, core.ScopeEventsRead},
			{"GET", w.urls["intake"] + "/v1/events/intake", nil, core.ScopeEventsRead},
			{"GET", w.urls["booking"] + "/v1/internal/appointments/" + someone, nil, core.ScopeBookingsRead},
			{"GET", w.urls["booking"] + "/v1/internal/feeds?owner_kind=citizen&owner_id=" + someone + "&from=" + from, nil, core.ScopeBookingsRead},
			{"GET", w.urls["auth"] + "/v1/internal/citizens/" + someone, nil, core.ScopePeopleRead},
			{"GET", w.urls["auth"] + "/v1/internal/staff/" + someone, nil, core.ScopePeopleRead},
			{"POST", w.urls["auth"] + "/v1/internal/citizens/resolve", map[string]any{"citizen": map[string]string{"email": "x@example.se"},
				"on_behalf_of": map[string]any{"kind": "staff", "subject": someone, "role": "system_admin"}}, core.ScopePeopleWrite},
			{"POST", w.urls["auth"] + "/v1/internal/audit", map[string]string{"action": "citizen.read", "target_kind": "citizen", "target_id": someone}, core.ScopeAuditWrite},
		}
		for _, rt := range internal {
			if r := call(t, rt.method, rt.url, "", rt.body); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s = %d, want 401", rt.method, rt.url, r.Status)
			}
			for who, tok := range tokens {
				want := http.StatusForbidden
				if who == "service with events only" && rt.scope == core.ScopeEventsRead {
					want = http.StatusOK
				}
				if r := call(t, rt.method, rt.url, tok, rt.body); r.Status != want {
					t.Errorf("%s: %s %s = %d, want %d: %s", who, rt.method, rt.url, r.Status, want, r.Body)
				}
			}
		}

		// The service token with every scope is let in.
		service := w.serviceToken(t, w.serviceID, w.serviceSecret)
		r = call(t, "GET", w.urls["auth"]+"/v1/me", tokens["citizen"], nil)
		wantStatus(t, r, http.StatusOK)
		var me struct {
			ID string `json:"id"`
		}
		decode(t, r, &me)
		for _, rt := range []struct {
			method, url string
			body        any
			status      int
		}{
			{"GET", w.urls["booking"] + "/v1/events/booking?after=0&limit=10", nil, http.StatusOK},
			{"GET", w.urls["intake"] + "/v1/events/intake", nil, http.StatusOK},
			{"GET", w.urls["booking"] + "/v1/internal/appointments/" + someone, nil, http.StatusNotFound},
			{"GET", w.urls["booking"] + "/v1/internal/feeds?owner_kind=citizen&owner_id=" + me.ID + "&from=" + from, nil, http.StatusOK},
			{"GET", w.urls["auth"] + "/v1/internal/citizens/" + me.ID, nil, http.StatusOK},
			{"GET", w.urls["auth"] + "/v1/internal/citizens/" + someone, nil, http.StatusNotFound},
			{"POST", w.urls["auth"] + "/v1/internal/citizens/resolve", map[string]any{"citizen": map[string]string{"email": "bo@example.se"},
				"on_behalf_of": map[string]any{"kind": "staff", "subject": someone, "role": "system_admin"}}, http.StatusOK},
			{"POST", w.urls["auth"] + "/v1/internal/audit", map[string]string{"action": "citizen.read", "target_kind": "citizen", "target_id": me.ID}, http.StatusNoContent},
		} {
			if r := call(t, rt.method, rt.url, service, rt.body); r.Status != rt.status {
				t.Errorf("service: %s %s = %d, want %d: %s", rt.method, rt.url, r.Status, rt.status, r.Body)
			}
		}

		// A service token has no business with the routes for people.
		for _, rt := range []struct {
			method, url string
			body        any
		}{
			{"GET", w.urls["booking"] + "/v1/appointments?agency_id=" + demo.ExempelbyID, nil},
			{"POST", w.urls["booking"] + "/v1/appointments", map[string]any{"meeting_type_id": permitType, "mode": "video",
				"start": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339), "citizen": map[string]string{"email": "c@example.se"}}},
			{"GET", w.urls["intake"] + "/v1/cases?agency_id=" + demo.ExempelbyID, nil},
			{"POST", w.urls["intake"] + "/v1/cases", map[string]any{"agency_id": demo.ExempelbyID, "category_id": permitCat,
				"subject": "S", "description": "D", "citizen": map[string]string{"email": "c@example.se"}}},
			{"GET", w.urls["auth"] + "/v1/audit", nil},
			{"GET", w.urls["auth"] + "/v1/staff?agency_id=" + demo.ExempelbyID, nil},
			{"POST", w.urls["auth"] + "/v1/clients", map[string]any{"agency_id": demo.ExempelbyID, "name": "x", "scopes": []string{"cases:read"}}},
			{"GET", w.urls["notify"] + "/v1/webhooks?agency_id=" + demo.ExempelbyID, nil},
		} {
			if r := call(t, rt.method, rt.url, service, rt.body); r.Status != http.StatusForbidden {
				t.Errorf("service token: %s %s = %d, want 403: %s", rt.method, rt.url, r.Status, r.Body)
			}
		}

		// Bad input to the internal routes is a 400 naming the field, and
		// a service cannot lend rights it was not given.
		for _, rt := range []struct {
			method, url string
			body        any
			status      int
			field       string
		}{
			{"GET", w.urls["booking"] + "/v1/events/booking?after=-1", nil, 400, "after"},
			{"GET", w.urls["intake"] + "/v1/events/intake?limit=5000", nil, 400, "limit"},
			{"GET", w.urls["booking"] + "/v1/internal/appointments/nope", nil, 400, "id"},
			{"GET", w.urls["booking"] + "/v1/internal/feeds?owner_kind=client&owner_id=" + someone + "&from=" + from, nil, 400, "owner_kind"},
			{"POST", w.urls["auth"] + "/v1/internal/audit", map[string]string{"action": "x\u0000y"}, 400, "action"},
			{"POST", w.urls["auth"] + "/v1/internal/citizens/resolve", map[string]any{"citizen": map[string]string{"email": "x@example.se"}}, 400, "on_behalf_of"},
			{"POST", w.urls["auth"] + "/v1/internal/citizens/resolve", map[string]any{"citizen": map[string]string{"email": "x@example.se"},
				"on_behalf_of": map[string]any{"kind": "system", "subject": "notify"}}, 400, "on_behalf_of.kind"},
			{"POST", w.urls["auth"] + "/v1/internal/citizens/resolve", map[string]any{"citizen": map[string]string{"email": "x@example.se"},
				"on_behalf_of": map[string]any{"kind": "citizen", "subject": someone}}, 403, ""},
		} {
			r := call(t, rt.method, rt.url, service, rt.body)
			if r.Status != rt.status || !strings.Contains(r.Header.Get("Content-Type"), "application/problem+json") ||
				(rt.field != "" && !strings.Contains(string(r.Body), `"field":"`+rt.field+`"`)) {
				t.Errorf("%s %s = %d %s, want %d naming %q", rt.method, rt.url, r.Status, r.Body, rt.status, rt.field)
			}
		}
	})
}
