package booking_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/demo"
	"github.com/tidbok/tidbok/services/booking"
	"github.com/tidbok/tidbok/services/booking/availability"
	"github.com/tidbok/tidbok/tokens"
	bookingtransport "github.com/tidbok/tidbok/transport/booking"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// The administration and availability routes, driven over loopback HTTP
// through the real handlers, wired as cmd/tidbok wires them, with access
// tokens signed and verified by the real token code, on both databases.

const adminIssuer = "https://tidbok.test"

var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err)
	}
	return loc
}()

// adminClock is the booking service's clock; tests set it.
type adminClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *adminClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *adminClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t.UTC()
}

// adminEnv is a booking server with two agencies and a token for each kind
// of caller.
type adminEnv struct {
	t       *testing.T
	d       *db.DB
	store   *bookingstore.Store
	clock   *adminClock
	url     string
	client  *http.Client
	agencyA booking.Agency
	agencyB booking.Agency
	tokens  map[string]string // caller name → access token; "anonymous" has none
	signer  *tokens.Signer
}

// addCaller gives the tests one more caller to act as.
func (e *adminEnv) addCaller(name string, p core.Principal) {
	e.t.Helper()
	tok, _, err := e.signer.Issue(p, "tidbok", time.Hour, time.Now())
	if err != nil {
		e.t.Fatalf("issue a token for %s: %v", name, err)
	}
	e.tokens[name] = tok
}

// The callers the tests act as.
const (
	anonymous    = "anonymous"
	citizen      = "citizen"
	caseworkerA  = "caseworker of A"
	adminA       = "agency admin of A"
	adminB       = "agency admin of B"
	staffB       = "caseworker of B"
	systemAdmin  = "system admin"
	clientWrite  = "client of A with directory:write"
	clientRead   = "client of A with availability:read"
	clientOthers = "client of A with other scopes"
)

func newAdminEnv(t *testing.T, d *db.DB, limiter *httpkit.RateLimiter) *adminEnv {
	t.Helper()
	ctx := context.Background()
	e := &adminEnv{t: t, d: d, store: bookingstore.New(d), clock: &adminClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}}
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.agencyA = booking.Agency{ID: core.NewID(), Name: "Alby kommun", OrgNumber: nextAdminOrg(), Kind: booking.Municipality,
		TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish, CreatedAt: epoch, UpdatedAt: epoch}
	e.agencyB = booking.Agency{ID: core.NewID(), Name: "Bergby kommun", OrgNumber: nextAdminOrg(), Kind: booking.Municipality,
		TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish, CreatedAt: epoch, UpdatedAt: epoch}
	for _, a := range []booking.Agency{e.agencyA, e.agencyB} {
		if err := e.store.SaveAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}

	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := tokens.NewSigner(key, "test-key", adminIssuer)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tokens.NewKeySet(signer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := tokens.NewVerifier(tokens.VerifierConfig{Issuer: adminIssuer, Audiences: []string{"tidbok"}, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	principals := map[string]core.Principal{
		citizen:      {Kind: core.KindCitizen, Subject: core.NewID()},
		caseworkerA:  {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleCaseworker, AgencyID: e.agencyA.ID},
		adminA:       {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: e.agencyA.ID},
		adminB:       {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: e.agencyB.ID},
		staffB:       {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleCaseworker, AgencyID: e.agencyB.ID},
		systemAdmin:  {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleSystemAdmin},
		clientWrite:  {Kind: core.KindClient, Subject: "tbk_write", AgencyID: e.agencyA.ID, Scopes: []string{core.ScopeDirectoryWrite}},
		clientRead:   {Kind: core.KindClient, Subject: "tbk_read", AgencyID: e.agencyA.ID, Scopes: []string{core.ScopeAvailabilityRead}},
		clientOthers: {Kind: core.KindClient, Subject: "tbk_other", AgencyID: e.agencyA.ID, Scopes: []string{core.ScopeCasesRead, core.ScopeAppointmentsWrite}},
	}
	e.tokens, e.signer = map[string]string{}, signer
	for name, p := range principals {
		e.addCaller(name, p)
	}

	svc := booking.NewService(e.store, e.clock)
	mux := http.NewServeMux()
	bookingtransport.RegisterRoutes(mux, svc, limiter, nil, nil)
	_, metrics := httpkit.NewRegistry()
	handler := httpkit.Middleware(log.NewNopLogger(), metrics)(httpkit.Authenticate(verifier)(mux))
	// Whatever a test sends, the server must never answer with a fault.
	var faults atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		handler.ServeHTTP(rec, r)
		if rec.status >= 500 {
			faults.Add(1)
			t.Errorf("%s %s answered %d", r.Method, r.URL, rec.status)
		}
	}))
	t.Cleanup(srv.Close)
	e.url, e.client = srv.URL, srv.Client()
	return e
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) problem(t *testing.T) httpkit.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != httpkit.ProblemContentType {
		t.Fatalf("status %d with Content-Type %q, want a problem document: %s", r.status, ct, r.body)
	}
	var p httpkit.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem document: %v: %s", err, r.body)
	}
	if p.Status != r.status {
		t.Fatalf("problem says status %d, response %d", p.Status, r.status)
	}
	return p
}

// decode reads the JSON body of a successful response into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request as caller; body, when not nil, is sent as JSON (a
// string is sent as it is).
func (e *adminEnv) do(t *testing.T, caller, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := e.tokens[caller]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// must sends a request that has to be answered with status, and returns the response.
func (e *adminEnv) must(t *testing.T, status int, caller, method, path string, body any) response {
	t.Helper()
	r := e.do(t, caller, method, path, body)
	if r.status != status {
		t.Fatalf("%s %s as %s = %d, want %d: %s", method, path, caller, r.status, status, r.body)
	}
	return r
}

// wantFieldError checks for a 400 problem document naming field.
func wantFieldError(t *testing.T, r response, field string) {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400 naming %s: %s", r.status, field, r.body)
	}
	p := r.problem(t)
	for _, f := range p.Errors {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("errors = %+v, want one naming %q", p.Errors, field)
}

// wantProblem checks the status of a problem document and, when it is not
// empty, that its detail names name.
func wantProblem(t *testing.T, r response, status int, name string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d: %s", r.status, status, r.body)
	}
	p := r.problem(t)
	if name != "" && !strings.Contains(p.Detail, name) {
		t.Fatalf("detail %q does not name %s", p.Detail, name)
	}
}

func (e *adminEnv) agencyPath(a booking.Agency, rest string) string {
	return "/v1/agencies/" + a.ID + rest
}

// ---- request bodies ----

func officeBody(name string) map[string]any {
	return map[string]any{
		"name":       name,
		"address":    map[string]any{"street": "Torget 1", "postal_code": "123 45", "city": "Alby"},
		"directions": "Buss 4 till Torget", "accessibility_notes": "Hiss till plan 2",
		"step_free_access": true, "hearing_loop": true, "accessible_parking": false,
	}
}

// meetingTypeBody has only the fields an administrator must give.
func meetingTypeBody(modes ...string) map[string]any {
	return map[string]any{
		"name":             map[string]any{"sv": "Bygglovsrådgivning", "en": "Building permit advice"},
		"description":      map[string]any{"sv": "Råd inför ansökan", "en": "Advice before applying"},
		"duration_minutes": 30, "modes": modes,
	}
}

func staffBody(types, offices []string, office string) map[string]any {
	var weekly []map[string]any
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		weekly = append(weekly,
			map[string]any{"weekday": d, "start": "08:00", "end": "12:00", "office_id": office},
			map[string]any{"weekday": d, "start": "13:00", "end": "16:30", "office_id": "remote"})
	}
	return map[string]any{
		"name": "Hanna Handläggare", "title": "Socialsekreterare", "email": "hanna@alby.se",
		"meeting_type_ids": types, "modes": []string{"phone", "video", "in_person"}, "office_ids": offices,
		"weekly_hours": weekly,
		"exceptions": []map[string]any{
			{"date": "2026-12-23", "closed": true, "hours": []map[string]any{{"start": "09:00", "end": "11:00", "office_id": office}}},
			{"date": "2026-12-30", "closed": true, "hours": []map[string]any{}},
		},
	}
}

// with returns a copy of body with path (dot-separated, numbers index lists)
// set to value.
func with(body map[string]any, path string, value any) map[string]any {
	var clone map[string]any
	b, _ := json.Marshal(body)
	_ = json.Unmarshal(b, &clone)
	var cur any = clone
	keys := strings.Split(path, ".")
	for i, k := range keys {
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[k] = value
			} else {
				cur = c[k]
			}
		case []any:
			n, _ := strconv.Atoi(k)
			if last {
				c[n] = value
			} else {
				cur = c[n]
			}
		}
	}
	return clone
}

// ---- administration ----

func testAdministration(t *testing.T, d *db.DB) {
	e := newAdminEnv(t, d, nil)
	A, B := e.agencyA, e.agencyB
	officeB := struct {
		ID string `json:"id"`
	}{}
	e.must(t, http.StatusCreated, adminB, "POST", e.agencyPath(B, "/offices"), officeBody("Bergby kontor")).decode(t, &officeB)

	var office struct {
		ID          string `json:"id"`
		AgencyID    string `json:"agency_id"`
		Name        string `json:"name"`
		Directions  string `json:"directions"`
		HearingLoop bool   `json:"hearing_loop"`
		Address     struct {
			PostalCode string `json:"postal_code"`
		} `json:"address"`
	}
	listOffices := func(t *testing.T) string {
		t.Helper()
		return string(e.must(t, http.StatusOK, anonymous, "GET", e.agencyPath(A, "/offices"), nil).body)
	}

	t.Run("an agency admin creates, updates and retires an office", func(t *testing.T) {
		e.must(t, http.StatusCreated, adminA, "POST", e.agencyPath(A, "/offices"), officeBody("Medborgarkontoret")).decode(t, &office)
		if !core.ValidID(office.ID) || office.AgencyID != A.ID || office.Directions != "Buss 4 till Torget" || !office.HearingLoop || office.Address.PostalCode != "123 45" {
			t.Fatalf("created office = %+v", office)
		}
		changed := with(officeBody("Medborgarkontoret"), "directions", "Buss 5 till Torget")
		e.must(t, http.StatusOK, adminA, "PUT", e.agencyPath(A, "/offices/"+office.ID), changed)
		if list := listOffices(t); !strings.Contains(list, "Buss 5 till Torget") {
			t.Fatalf("offices after update = %s", list)
		}
		var temp struct {
			ID string `json:"id"`
		}
		e.must(t, http.StatusCreated, adminA, "POST", e.agencyPath(A, "/offices"), officeBody("Tillfälligt kontor")).decode(t, &temp)
		e.must(t, http.StatusNoContent, adminA, "POST", e.agencyPath(A, "/offices/"+temp.ID+"/retire"), nil)
		if list := listOffices(t); strings.Contains(list, temp.ID) || !strings.Contains(list, office.ID) {
			t.Fatalf("offices after retiring %s = %s", temp.ID, list)
		}
	})

	t.Run("bad offices are refused field by field and nothing is written", func(t *testing.T) {
		before := listOffices(t)
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"no name", with(officeBody(""), "name", "  "), "name"},
			{"a foreign postal code", with(officeBody("X"), "address.postal_code", "SW1A 1AA"), "address.postal_code"},
			{"no city", with(officeBody("X"), "address.city", ""), "address.city"},
			{"notes too long", with(officeBody("X"), "accessibility_notes", strings.Repeat("a", 2001)), "accessibility_notes"},
			{"a flag that is not a boolean", with(officeBody("X"), "step_free_access", "yes"), "step_free_access"},
			{"an unknown field", with(officeBody("X"), "floor", 3), "floor"},
			{"not JSON", `{"name": `, "body"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantFieldError(t, e.do(t, adminA, "POST", e.agencyPath(A, "/offices"), tc.body), tc.field)
			})
		}
		t.Run("an update naming another agency's office", func(t *testing.T) {
			wantProblem(t, e.do(t, adminA, "PUT", e.agencyPath(A, "/offices/"+officeB.ID), officeBody("Kapat")), http.StatusNotFound, "office_id")
		})
		t.Run("a malformed office id", func(t *testing.T) {
			wantFieldError(t, e.do(t, adminA, "PUT", e.agencyPath(A, "/offices/42"), officeBody("X")), "office_id")
		})
		if after := listOffices(t); after != before {
			t.Fatalf("offices changed:\nbefore %s\nafter  %s", before, after)
		}
	})

	var mt map[string]any
	listTypes := func(t *testing.T) string {
		t.Helper()
		return string(e.must(t, http.StatusOK, anonymous, "GET", e.agencyPath(A, "/meeting-types"), nil).body)
	}

	t.Run("a meeting type gets the defaults of the fields left out", func(t *testing.T) {
		e.must(t, http.StatusCreated, adminA, "POST", e.agencyPath(A, "/meeting-types"), meetingTypeBody("phone", "in_person")).decode(t, &mt)
		want := map[string]any{"duration_minutes": 30.0, "buffer_before_minutes": 0.0, "buffer_after_minutes": 0.0,
			"slot_step_minutes": 15.0, "minimum_notice_minutes": 120.0, "booking_horizon_days": 60.0,
			"cancellation_cutoff_minutes": 1440.0, "citizen_bookable": true, "max_active_per_citizen": 2.0}
		for k, v := range want {
			if mt[k] != v {
				t.Errorf("%s = %v, want %v", k, mt[k], v)
			}
		}
		if list := listTypes(t); !strings.Contains(list, `"slot_step_minutes":15`) || !strings.Contains(list, mt["id"].(string)) {
			t.Fatalf("meeting types = %s", list)
		}
	})

	t.Run("an agency admin updates and retires a meeting type", func(t *testing.T) {
		id := mt["id"].(string)
		body := with(meetingTypeBody("phone", "video"), "duration_minutes", 45)
		body["buffer_after_minutes"], body["citizen_bookable"] = 10, false
		var got map[string]any
		e.must(t, http.StatusOK, adminA, "PUT", e.agencyPath(A, "/meeting-types/"+id), body).decode(t, &got)
		if got["duration_minutes"] != 45.0 || got["buffer_after_minutes"] != 10.0 || got["citizen_bookable"] != false ||
			fmt.Sprint(got["modes"]) != "[phone video]" {
			t.Fatalf("updated meeting type = %v", got)
		}
		var temp map[string]any
		e.must(t, http.StatusCreated, adminA, "POST", e.agencyPath(A, "/meeting-types"), meetingTypeBody("phone")).decode(t, &temp)
		e.must(t, http.StatusNoContent, adminA, "POST", e.agencyPath(A, "/meeting-types/"+temp["id"].(string)+"/retire"), nil)
		if list := listTypes(t); strings.Contains(list, temp["id"].(string)) || !strings.Contains(list, `"duration_minutes":45`) {
			t.Fatalf("meeting types = %s", list)
		}
	})

	t.Run("bad meeting types are refused field by field and nothing is written", func(t *testing.T) {
		before := listTypes(t)
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"a 3-minute meeting", with(meetingTypeBody("phone"), "duration_minutes", 3), "duration_minutes"},
			{"an unknown mode", meetingTypeBody("phone", "fax"), "modes"},
			{"a mode twice", meetingTypeBody("phone", "phone"), "modes"},
			{"no mode", meetingTypeBody(), "modes"},
			{"a buffer of five hours", with(meetingTypeBody("phone"), "buffer_before_minutes", 300), "buffer_before_minutes"},
			{"a zero slot step", with(meetingTypeBody("phone"), "slot_step_minutes", 0), "slot_step_minutes"},
			{"a horizon of no days", with(meetingTypeBody("phone"), "booking_horizon_days", 0), "booking_horizon_days"},
			{"a notice beyond the horizon", with(with(meetingTypeBody("phone"), "minimum_notice_minutes", 3*24*60), "booking_horizon_days", 2), "booking_horizon_days"},
			{"no Swedish name", with(meetingTypeBody("phone"), "name.sv", ""), "name.sv"},
			{"no active bookings allowed", with(meetingTypeBody("phone"), "max_active_per_citizen", 0), "max_active_per_citizen"},
			{"a duration that is not a number", with(meetingTypeBody("phone"), "duration_minutes", "half an hour"), "duration_minutes"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantFieldError(t, e.do(t, adminA, "POST", e.agencyPath(A, "/meeting-types"), tc.body), tc.field)
			})
		}
		if after := listTypes(t); after != before {
			t.Fatalf("meeting types changed:\nbefore %s\nafter  %s", before, after)
		}
	})

	var staff map[string]any
	listStaff := func(t *testing.T) string {
		t.Helper()
		return string(e.must(t, http.StatusOK, adminA, "GET", e.agencyPath(A, "/staff-members"), nil).body)
	}
	goodStaff := func() map[string]any { return staffBody([]string{mt["id"].(string)}, []string{office.ID}, office.ID) }

	t.Run("an agency admin creates a staff member with weekly hours and exceptions", func(t *testing.T) {
		e.must(t, http.StatusCreated, adminA, "POST", e.agencyPath(A, "/staff-members"), goodStaff()).decode(t, &staff)
		var got map[string]any
		e.must(t, http.StatusOK, adminA, "GET", e.agencyPath(A, "/staff-members/"+staff["id"].(string)), nil).decode(t, &got)
		for _, k := range []string{"weekly_hours", "exceptions", "office_ids", "meeting_type_ids", "modes", "email"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(goodStaff()[k]) {
				t.Errorf("%s = %v, want %v", k, got[k], goodStaff()[k])
			}
		}
		if got["account_id"] != nil {
			t.Errorf("account_id = %v, want null", got["account_id"])
		}
	})

	t.Run("an agency admin updates and retires a staff member", func(t *testing.T) {
		id := staff["id"].(string)
		body := with(goodStaff(), "title", "Enhetschef")
		body["weekly_hours"] = []map[string]any{{"weekday": "Monday", "start": "09:00", "end": "24:00", "office_id": "remote"}}
		e.must(t, http.StatusOK, adminA, "PUT", e.agencyPath(A, "/staff-members/"+id), body)
		var got map[string]any
		e.must(t, http.StatusOK, adminA, "GET", e.agencyPath(A, "/staff-members/"+id), nil).decode(t, &got)
		if got["title"] != "Enhetschef" || fmt.Sprint(got["weekly_hours"]) != "[map[end:24:00 office_id:remote start:09:00 weekday:monday]]" {
			t.Fatalf("after update = %v", got)
		}
		var temp map[string]any
		e.must(t, http.StatusCreated, adminA, "POST", e.agencyPath(A, "/staff-members"), with(goodStaff(), "name", "Tillfällig")).decode(t, &temp)
		e.must(t, http.StatusNoContent, adminA, "POST", e.agencyPath(A, "/staff-members/"+temp["id"].(string)+"/retire"), nil)
		if list := listStaff(t); strings.Contains(list, temp["id"].(string)) || !strings.Contains(list, id) {
			t.Fatalf("staff after retiring = %s", list)
		}
	})

	t.Run("bad staff members are refused field by field and nothing is written", func(t *testing.T) {
		before := listStaff(t)
		weekly := func(day, start, end, office string) []map[string]any {
			return []map[string]any{{"weekday": day, "start": start, "end": end, "office_id": office}}
		}
		typeB := ""
		var mtB map[string]any
		e.must(t, http.StatusCreated, adminB, "POST", e.agencyPath(B, "/meeting-types"), meetingTypeBody("phone")).decode(t, &mtB)
		typeB = mtB["id"].(string)
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"hours that end before they start", with(goodStaff(), "weekly_hours", weekly("monday", "12:00", "08:00", office.ID)), "weekly_hours[0].end"},
			{"an unknown weekday", with(goodStaff(), "weekly_hours", weekly("funday", "08:00", "12:00", office.ID)), "weekly_hours[0].weekday"},
			{"a time of day that is not one", with(goodStaff(), "weekly_hours", weekly("monday", "8am", "12:00", office.ID)), "weekly_hours[0].start"},
			{"another agency's office", with(goodStaff(), "office_ids", []string{officeB.ID}), "office_ids[0]"},
			{"an office listed twice", with(goodStaff(), "office_ids", []string{office.ID, office.ID}), "office_ids[1]"},
			{"hours at an office they do not work at", with(with(goodStaff(), "office_ids", []string{}), "modes", []string{"phone"}), "weekly_hours[0].office_id"},
			{"another agency's meeting type", with(goodStaff(), "meeting_type_ids", []string{typeB}), "meeting_type_ids[0]"},
			{"an unknown mode", with(goodStaff(), "modes", []string{"phone", "telepathy"}), "modes[1]"},
			{"in person without an office", with(with(goodStaff(), "office_ids", []string{}), "weekly_hours", []any{}), "office_ids"},
			{"overlapping hours", with(goodStaff(), "weekly_hours", append(weekly("monday", "08:00", "12:00", office.ID), weekly("monday", "11:00", "13:00", "remote")...)), "weekly_hours[1]"},
			{"an exception on no date", with(goodStaff(), "exceptions.0.date", "2026-02-30"), "exceptions[0].date"},
			{"an e-mail address that is not one", with(goodStaff(), "email", "hanna at alby"), "email"},
			{"no name", with(goodStaff(), "name", ""), "name"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantFieldError(t, e.do(t, adminA, "POST", e.agencyPath(A, "/staff-members"), tc.body), tc.field)
			})
		}
		if after := listStaff(t); after != before {
			t.Fatalf("staff changed:\nbefore %s\nafter  %s", before, after)
		}
	})

	absences := func(t *testing.T) string {
		t.Helper()
		return string(e.must(t, http.StatusOK, caseworkerA, "GET", e.agencyPath(A, "/staff-members/"+staff["id"].(string)+"/absences"), nil).body)
	}

	t.Run("an agency admin adds and deletes absences", func(t *testing.T) {
		path := e.agencyPath(A, "/staff-members/"+staff["id"].(string)+"/absences")
		var a map[string]any
		e.must(t, http.StatusCreated, adminA, "POST", path, map[string]any{"kind": "vacation", "start": "2026-12-14T00:00", "end": "2026-12-18T24:00"}).decode(t, &a)
		if list := absences(t); !strings.Contains(list, `"kind":"vacation"`) || !strings.Contains(list, `"end":"2026-12-18T24:00"`) {
			t.Fatalf("absences = %s", list)
		}
		e.must(t, http.StatusNoContent, adminA, "DELETE", path+"/"+a["id"].(string), nil)
		if list := absences(t); list != "{\"items\":[]}\n" {
			t.Fatalf("absences after delete = %s", list)
		}
		wantProblem(t, e.do(t, adminA, "DELETE", path+"/"+a["id"].(string), nil), http.StatusNotFound, "absence_id")
	})

	t.Run("bad absences are refused field by field and nothing is written", func(t *testing.T) {
		path := e.agencyPath(A, "/staff-members/"+staff["id"].(string)+"/absences")
		before := absences(t)
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"an end before the start", map[string]any{"kind": "sick", "start": "2026-12-14T12:00", "end": "2026-12-14T08:00"}, "end"},
			{"an unknown kind", map[string]any{"kind": "holiday", "start": "2026-12-14T08:00", "end": "2026-12-14T12:00"}, "kind"},
			{"a start that is not a local time", map[string]any{"kind": "sick", "start": "2026-12-14 08:00", "end": "2026-12-14T12:00"}, "start"},
			{"an end that is an instant", map[string]any{"kind": "sick", "start": "2026-12-14T08:00", "end": "2026-12-14T12:00:00Z"}, "end"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantFieldError(t, e.do(t, adminA, "POST", path, tc.body), tc.field)
			})
		}
		t.Run("another agency's staff member", func(t *testing.T) {
			wantProblem(t, e.do(t, adminB, "POST", e.agencyPath(B, "/staff-members/"+staff["id"].(string)+"/absences"),
				map[string]any{"kind": "sick", "start": "2026-12-14T08:00", "end": "2026-12-14T12:00"}), http.StatusNotFound, "staff_id")
		})
		if after := absences(t); after != before {
			t.Fatalf("absences changed: %s → %s", before, after)
		}
	})

	closures := func(t *testing.T) string {
		t.Helper()
		return string(e.must(t, http.StatusOK, anonymous, "GET", e.agencyPath(A, "/closures"), nil).body)
	}

	t.Run("an agency admin adds and deletes closures", func(t *testing.T) {
		var c map[string]any
		e.must(t, http.StatusCreated, adminA, "POST", e.agencyPath(A, "/closures"),
			map[string]any{"start": "2026-12-11T12:00", "end": "2026-12-11T24:00", "reason": "Personaldag"}).decode(t, &c)
		if list := closures(t); !strings.Contains(list, "Personaldag") {
			t.Fatalf("closures = %s", list)
		}
		e.must(t, http.StatusNoContent, adminA, "DELETE", e.agencyPath(A, "/closures/"+c["id"].(string)), nil)
		if list := closures(t); strings.Contains(list, "Personaldag") {
			t.Fatalf("closures after delete = %s", list)
		}
		wantProblem(t, e.do(t, adminB, "DELETE", e.agencyPath(B, "/closures/"+c["id"].(string)), nil), http.StatusNotFound, "closure_id")
	})

	t.Run("bad closures are refused field by field and nothing is written", func(t *testing.T) {
		before := closures(t)
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"an end before the start", map[string]any{"start": "2026-12-11T12:00", "end": "2026-12-10T12:00"}, "end"},
			{"a start on no date", map[string]any{"start": "2026-13-01T12:00", "end": "2026-12-11T12:00"}, "start"},
			{"a reason too long", map[string]any{"start": "2026-12-11T12:00", "end": "2026-12-11T13:00", "reason": strings.Repeat("x", 501)}, "reason"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantFieldError(t, e.do(t, adminA, "POST", e.agencyPath(A, "/closures"), tc.body), tc.field)
			})
		}
		if after := closures(t); after != before {
			t.Fatalf("closures changed: %s → %s", before, after)
		}
	})

	holidays := func(t *testing.T) map[string]bool {
		t.Helper()
		var list struct {
			Items []struct {
				Holiday string `json:"holiday"`
				Date    string `json:"date"`
				Open    bool   `json:"open"`
			} `json:"items"`
		}
		e.must(t, http.StatusOK, anonymous, "GET", e.agencyPath(A, "/holidays?year=2026"), nil).decode(t, &list)
		out := map[string]bool{}
		for _, h := range list.Items {
			out[h.Holiday+" "+h.Date] = h.Open
		}
		return out
	}

	t.Run("an agency admin opens holidays", func(t *testing.T) {
		if open, ok := holidays(t)["julafton 2026-12-24"]; !ok || open {
			t.Fatalf("julafton 2026 = %v, %v; want listed and closed", open, ok)
		}
		var got map[string]any
		e.must(t, http.StatusOK, adminA, "PUT", e.agencyPath(A, "/holidays"), map[string]any{"open_holidays": []string{"nyarsafton", "julafton", "julafton"}}).decode(t, &got)
		if fmt.Sprint(got["open_holidays"]) != "[julafton nyarsafton]" {
			t.Fatalf("open_holidays = %v", got["open_holidays"])
		}
		h := holidays(t)
		if !h["julafton 2026-12-24"] || !h["nyarsafton 2026-12-31"] || h["juldagen 2026-12-25"] || h["midsommarafton 2026-06-19"] {
			t.Fatalf("holidays = %v", h)
		}
	})

	t.Run("without a year, the holidays of the service's current year", func(t *testing.T) {
		e.clock.Set(time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC))
		defer e.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
		body := string(e.must(t, http.StatusOK, anonymous, "GET", e.agencyPath(A, "/holidays"), nil).body)
		if !strings.Contains(body, `"date":"2027-12-24"`) || strings.Contains(body, "2026-") {
			t.Fatalf("holidays = %s", body)
		}
	})

	t.Run("an unknown holiday is refused by its index and nothing changes", func(t *testing.T) {
		before := holidays(t)
		wantFieldError(t, e.do(t, adminA, "PUT", e.agencyPath(A, "/holidays"), map[string]any{"open_holidays": []string{"nyarsafton", "lucia"}}), "open_holidays[1]")
		if after := holidays(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("holidays changed: %v → %v", before, after)
		}
		wantFieldError(t, e.do(t, anonymous, "GET", e.agencyPath(A, "/holidays?year=twenty"), nil), "year")
		wantFieldError(t, e.do(t, anonymous, "GET", e.agencyPath(A, "/holidays?year=1066"), nil), "year")
	})
}

// ---- who may do what ----

func testAdministrationDenials(t *testing.T, d *db.DB) {
	e := newAdminEnv(t, d, nil)
	A, B := e.agencyA, e.agencyB
	ctx := context.Background()
	staffID := core.NewID()
	if err := e.store.SaveStaffMember(ctx, booking.StaffMember{ID: staffID, AgencyID: A.ID, Name: "Sara", Modes: []booking.Mode{booking.Phone},
		CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	offices := func(t *testing.T, a booking.Agency) int {
		t.Helper()
		var list struct {
			Items []any `json:"items"`
		}
		e.must(t, http.StatusOK, anonymous, "GET", e.agencyPath(a, "/offices"), nil).decode(t, &list)
		return len(list.Items)
	}

	cases := []struct {
		name   string
		caller string
		agency booking.Agency
		want   int
	}{
		{"anonymous callers must sign in", anonymous, A, http.StatusUnauthorized},
		{"a caseworker may not administer", caseworkerA, A, http.StatusForbidden},
		{"an agency admin may not administer another agency", adminB, A, http.StatusForbidden},
		{"a client without directory:write may not administer", clientRead, A, http.StatusForbidden},
		{"a client with directory:write may administer its agency", clientWrite, A, http.StatusCreated},
		{"a client with directory:write may not administer another agency", clientWrite, B, http.StatusForbidden},
		{"a citizen may not administer", citizen, A, http.StatusForbidden},
		{"a system admin administers every agency", systemAdmin, B, http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := offices(t, tc.agency)
			r := e.do(t, tc.caller, "POST", e.agencyPath(tc.agency, "/offices"), officeBody("Nytt kontor"))
			after := offices(t, tc.agency)
			if tc.want == http.StatusCreated {
				if r.status != tc.want || after != before+1 {
					t.Fatalf("status %d, offices %d → %d: %s", r.status, before, after, r.body)
				}
				return
			}
			wantProblem(t, r, tc.want, "")
			if after != before {
				t.Fatalf("refused, yet offices went from %d to %d", before, after)
			}
			if tc.want == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	// Absences may reveal sick leave: only the agency's own staff see them.
	absences := e.agencyPath(A, "/staff-members/"+staffID+"/absences")
	for _, tc := range []struct {
		name   string
		caller string
		want   int
	}{
		{"a caseworker of the agency sees absences", caseworkerA, http.StatusOK},
		{"a client, even with availability:read, does not", clientRead, http.StatusForbidden},
		{"a client with directory:write does not", clientWrite, http.StatusForbidden},
		{"a citizen does not", citizen, http.StatusForbidden},
		{"staff of another agency do not", staffB, http.StatusForbidden},
		{"anonymous callers do not", anonymous, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, tc.caller, "GET", absences, nil)
			if tc.want == http.StatusOK {
				if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("status %d, Cache-Control %q: %s", r.status, r.header.Get("Cache-Control"), r.body)
				}
				return
			}
			wantProblem(t, r, tc.want, "")
		})
	}

	t.Run("a caseworker may not add an absence", func(t *testing.T) {
		wantProblem(t, e.do(t, caseworkerA, "POST", absences, map[string]any{"kind": "sick", "start": "2026-12-14T08:00", "end": "2026-12-14T12:00"}), http.StatusForbidden, "")
	})
	t.Run("a caseworker may not open holidays", func(t *testing.T) {
		wantProblem(t, e.do(t, caseworkerA, "PUT", e.agencyPath(A, "/holidays"), map[string]any{"open_holidays": []string{"julafton"}}), http.StatusForbidden, "")
	})
}

// ---- availability ----

// availabilityWorld is an agency whose staff work known hours, each scenario
// with its own meeting type so that they cannot disturb each other.
type availabilityWorld struct {
	office, officeB                         string
	simple, buffered, holiday, dst, retired string // meeting type ids
	monday, weekdays, weekends              string // staff ids
}

func newAvailabilityWorld(t *testing.T, e *adminEnv) availabilityWorld {
	t.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	w := availabilityWorld{}
	office := func(a booking.Agency) string {
		o := booking.Office{ID: core.NewID(), AgencyID: a.ID, Name: "Kontoret",
			Address: booking.Address{Street: "Torget 1", PostalCode: "123 45", City: "Alby"}, CreatedAt: now, UpdatedAt: now}
		if err := e.store.SaveOffice(ctx, o); err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	w.office, w.officeB = office(e.agencyA), office(e.agencyB)
	meetingType := func(before, after time.Duration, step time.Duration, modes ...booking.Mode) string {
		mt := booking.MeetingType{ID: core.NewID(), AgencyID: e.agencyA.ID, Name: booking.Text{SV: "Möte", EN: "Meeting"},
			Duration: 30 * time.Minute, Modes: modes, BufferBefore: before, BufferAfter: after, SlotStep: step,
			MinNotice: 2 * time.Hour, Horizon: 60 * 24 * time.Hour, CancellationCutoff: time.Hour, CitizenBookable: true,
			MaxActivePerCitizen: 2, CreatedAt: now, UpdatedAt: now}
		if err := e.store.SaveMeetingType(ctx, mt); err != nil {
			t.Fatal(err)
		}
		return mt.ID
	}
	w.simple = meetingType(0, 0, 30*time.Minute, booking.Phone, booking.InPerson)
	w.buffered = meetingType(10*time.Minute, 10*time.Minute, 30*time.Minute, booking.Phone)
	w.holiday = meetingType(0, 0, 60*time.Minute, booking.Phone)
	w.dst = meetingType(0, 0, 30*time.Minute, booking.Phone)
	w.retired = meetingType(0, 0, 30*time.Minute, booking.Phone)
	if err := e.store.RetireMeetingType(ctx, w.retired, now); err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) availability.Clock { return availability.At(h, m) }
	member := func(name string, types []string, weekly availability.WeeklyHours) string {
		m := booking.StaffMember{ID: core.NewID(), AgencyID: e.agencyA.ID, Name: name, MeetingTypeIDs: types,
			Modes: []booking.Mode{booking.Phone, booking.InPerson}, OfficeIDs: []string{w.office},
			Schedule: availability.Schedule{Weekly: weekly}, CreatedAt: now, UpdatedAt: now}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := e.store.SaveStaffMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	w.monday = member("Måns Måndag", []string{w.simple, w.buffered, w.retired}, availability.WeeklyHours{
		{Weekday: time.Monday, Start: at(9, 0), End: at(12, 0), OfficeID: availability.Remote},
		{Weekday: time.Tuesday, Start: at(9, 0), End: at(10, 0), OfficeID: w.office},
	})
	var weekdays availability.WeeklyHours
	for d := time.Monday; d <= time.Friday; d++ {
		weekdays = append(weekdays, availability.WeeklyInterval{Weekday: d, Start: at(9, 0), End: at(12, 0), OfficeID: availability.Remote})
	}
	w.weekdays = member("Vera Vardag", []string{w.holiday}, weekdays)
	w.weekends = member("Helge Helg", []string{w.dst}, availability.WeeklyHours{
		{Weekday: time.Saturday, Start: at(9, 0), End: at(10, 0), OfficeID: availability.Remote},
		{Weekday: time.Sunday, Start: at(9, 0), End: at(10, 0), OfficeID: availability.Remote},
	})
	return w
}

type slotJSON struct {
	Start    string   `json:"start"`
	End      string   `json:"end"`
	Mode     string   `json:"mode"`
	OfficeID string   `json:"office_id"`
	StaffIDs []string `json:"staff_ids"`
}

func availabilityPath(route, meetingType, mode string, from, to time.Time, extra ...string) string {
	q := url.Values{"meeting_type_id": {meetingType}, "mode": {mode},
		"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return route + "?" + q.Encode()
}

func (e *adminEnv) slots(t *testing.T, caller, path string) []slotJSON {
	t.Helper()
	var out struct {
		TimeZone string     `json:"time_zone"`
		Items    []slotJSON `json:"items"`
	}
	e.must(t, http.StatusOK, caller, "GET", path, nil).decode(t, &out)
	if out.TimeZone != "Europe/Stockholm" {
		t.Fatalf("time_zone = %q", out.TimeZone)
	}
	return out.Items
}

func starts(slots []slotJSON) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = s.Start
	}
	return out
}

func (e *adminEnv) days(t *testing.T, caller, path string) []string {
	t.Helper()
	var out struct {
		Days []string `json:"days"`
	}
	e.must(t, http.StatusOK, caller, "GET", path, nil).decode(t, &out)
	return out.Days
}

// insertAppointmentBlock books time directly in booking_blocks, as Booking II does:
// instants as timestamptz on PostgreSQL, Unix milliseconds on SQLite.
func insertAppointmentBlock(t *testing.T, d *db.DB, staffID string, start, end time.Time, before, after time.Duration) {
	t.Helper()
	inst := func(t time.Time) any {
		if d.Dialect == db.Postgres {
			return t.UTC()
		}
		return t.UnixMilli()
	}
	_, err := d.ExecContext(context.Background(), d.Rebind(`INSERT INTO booking_blocks
		(id, staff_id, kind, starts_at, ends_at, blocked_from, blocked_to, expires_at) VALUES (?, ?, 'appointment', ?, ?, ?, ?, NULL)`),
		core.NewID(), staffID, inst(start), inst(end), inst(start.Add(-before)), inst(end.Add(after)))
	if err != nil {
		t.Fatalf("book %s–%s: %v", start, end, err)
	}
}

func testAvailability(t *testing.T, d *db.DB) {
	e := newAdminEnv(t, d, nil)
	w := newAvailabilityWorld(t, e)
	monday := time.Date(2026, 12, 7, 0, 0, 0, 0, stockholm)
	day := func(d time.Time) (time.Time, time.Time) { return d, d.AddDate(0, 0, 1) }

	t.Run("known hours give exactly the expected slots", func(t *testing.T) {
		from, to := day(monday)
		got := starts(e.slots(t, anonymous, availabilityPath("/v1/availability", w.simple, "phone", from, to)))
		want := []string{"2026-12-07T09:00:00+01:00", "2026-12-07T09:30:00+01:00", "2026-12-07T10:00:00+01:00",
			"2026-12-07T10:30:00+01:00", "2026-12-07T11:00:00+01:00", "2026-12-07T11:30:00+01:00"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("slots = %v\nwant    %v", got, want)
		}
		slots := e.slots(t, anonymous, availabilityPath("/v1/availability", w.simple, "in_person", monday.AddDate(0, 0, 1), monday.AddDate(0, 0, 2)))
		if len(slots) != 2 || slots[0].OfficeID != w.office || slots[0].End != "2026-12-08T09:30:00+01:00" || slots[1].Start != "2026-12-08T09:30:00+01:00" {
			t.Fatalf("in-person slots on Tuesday = %+v", slots)
		}
	})

	t.Run("only staff of the agency and clients with availability:read see who is free", func(t *testing.T) {
		from, to := day(monday)
		path := availabilityPath("/v1/availability", w.simple, "phone", from, to)
		for _, tc := range []struct {
			caller string
			named  bool
		}{
			{anonymous, false}, {citizen, false}, {staffB, false}, {clientOthers, false},
			{caseworkerA, true}, {adminA, true}, {clientRead, true}, {systemAdmin, true},
		} {
			t.Run(tc.caller, func(t *testing.T) {
				r := e.must(t, http.StatusOK, tc.caller, "GET", path, nil)
				if strings.Contains(string(r.body), "staff_ids") != tc.named {
					t.Fatalf("staff_ids shown = %v, want %v: %s", !tc.named, tc.named, r.body)
				}
				if tc.named {
					var out struct{ Items []slotJSON }
					r.decode(t, &out)
					if len(out.Items) == 0 || fmt.Sprint(out.Items[0].StaffIDs) != fmt.Sprint([]string{w.monday}) {
						t.Fatalf("slots = %+v", out.Items)
					}
				}
			})
		}
	})

	t.Run("asking per staff member", func(t *testing.T) {
		from, to := day(monday)
		path := availabilityPath("/v1/availability", w.simple, "phone", from, to, "staff_id", w.monday)
		wantProblem(t, e.do(t, anonymous, "GET", path, nil), http.StatusForbidden, "staff_id")
		wantProblem(t, e.do(t, citizen, "GET", path, nil), http.StatusForbidden, "staff_id")
		if got := e.slots(t, clientRead, path); len(got) != 6 {
			t.Fatalf("the staff member's slots = %d, want 6", len(got))
		}
		other := availabilityPath("/v1/availability", w.simple, "phone", from, to, "staff_id", w.weekdays)
		if got := e.slots(t, caseworkerA, other); len(got) != 0 {
			t.Fatalf("a staff member who does not serve the type has slots: %+v", got)
		}
	})

	t.Run("a booking removes the slots it overlaps, buffers included", func(t *testing.T) {
		next := monday.AddDate(0, 0, 7)
		from, to := day(next)
		path := availabilityPath("/v1/availability", w.buffered, "phone", from, to)
		// [t−10 min, t+40 min) must fit in 09:00–12:00 and be free.
		want := []string{"2026-12-14T09:30:00+01:00", "2026-12-14T10:00:00+01:00", "2026-12-14T10:30:00+01:00", "2026-12-14T11:00:00+01:00"}
		if got := starts(e.slots(t, anonymous, path)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("before the booking: %v, want %v", got, want)
		}
		// Booked 10:30–11:00 with 10 minutes either side: 10:20–11:10 is taken.
		// 10:00–10:30 does not overlap the meeting, only its buffers.
		insertAppointmentBlock(t, d, w.monday, next.Add(10*time.Hour+30*time.Minute), next.Add(11*time.Hour), 10*time.Minute, 10*time.Minute)
		want = []string{"2026-12-14T09:30:00+01:00"}
		if got := starts(e.slots(t, anonymous, path)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after the booking: %v, want %v", got, want)
		}
	})

	t.Run("holidays show no slots until the agency opens them", func(t *testing.T) {
		from, to := time.Date(2026, 12, 21, 0, 0, 0, 0, stockholm), time.Date(2026, 12, 29, 0, 0, 0, 0, stockholm)
		daysPath := availabilityPath("/v1/availability/days", w.holiday, "phone", from, to)
		want := "[2026-12-21 2026-12-22 2026-12-23 2026-12-28]"
		if got := e.days(t, anonymous, daysPath); fmt.Sprint(got) != want {
			t.Fatalf("days = %v, want %s (julafton and juldagen closed)", got, want)
		}
		eve := time.Date(2026, 12, 24, 0, 0, 0, 0, stockholm)
		if got := e.slots(t, anonymous, availabilityPath("/v1/availability", w.holiday, "phone", eve, eve.AddDate(0, 0, 1))); len(got) != 0 {
			t.Fatalf("slots on julafton = %v", starts(got))
		}
		e.must(t, http.StatusOK, adminA, "PUT", e.agencyPath(e.agencyA, "/holidays"), map[string]any{"open_holidays": []string{"julafton"}})
		want = "[2026-12-21 2026-12-22 2026-12-23 2026-12-24 2026-12-28]"
		if got := e.days(t, anonymous, daysPath); fmt.Sprint(got) != want {
			t.Fatalf("days with julafton open = %v, want %s", got, want)
		}
		got := starts(e.slots(t, anonymous, availabilityPath("/v1/availability", w.holiday, "phone", eve, eve.AddDate(0, 0, 1))))
		if fmt.Sprint(got) != "[2026-12-24T09:00:00+01:00 2026-12-24T10:00:00+01:00 2026-12-24T11:00:00+01:00]" {
			t.Fatalf("slots on an opened julafton = %v", got)
		}
	})

	t.Run("09:00 is 09:00 local on both sides of a daylight-saving change", func(t *testing.T) {
		for _, tc := range []struct {
			now      time.Time
			from     time.Time
			expected string
		}{
			{time.Date(2026, 3, 20, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 28, 0, 0, 0, 0, stockholm),
				"[2026-03-28T09:00:00+01:00 2026-03-28T09:30:00+01:00 2026-03-29T09:00:00+02:00 2026-03-29T09:30:00+02:00]"},
			{time.Date(2026, 10, 15, 8, 0, 0, 0, time.UTC), time.Date(2026, 10, 24, 0, 0, 0, 0, stockholm),
				"[2026-10-24T09:00:00+02:00 2026-10-24T09:30:00+02:00 2026-10-25T09:00:00+01:00 2026-10-25T09:30:00+01:00]"},
		} {
			t.Run(tc.from.Format(time.DateOnly), func(t *testing.T) {
				e.clock.Set(tc.now)
				defer e.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
				got := starts(e.slots(t, anonymous, availabilityPath("/v1/availability", w.dst, "phone", tc.from, tc.from.AddDate(0, 0, 2))))
				if fmt.Sprint(got) != tc.expected {
					t.Fatalf("slots = %v\nwant    %s", got, tc.expected)
				}
			})
		}
	})

	t.Run("without from and to, the two weeks from the service's now", func(t *testing.T) {
		var implicit, explicit struct{ Items []slotJSON }
		e.must(t, http.StatusOK, anonymous, "GET", "/v1/availability?meeting_type_id="+w.simple+"&mode=phone", nil).decode(t, &implicit)
		now := e.clock.Now() // Tuesday 2026-12-01, 09:00 in Stockholm
		e.must(t, http.StatusOK, anonymous, "GET", availabilityPath("/v1/availability", w.simple, "phone", now, now.AddDate(0, 0, 14)), nil).decode(t, &explicit)
		got := starts(implicit.Items)
		if len(got) == 0 || got[0] != "2026-12-07T09:00:00+01:00" || !strings.HasPrefix(got[len(got)-1], "2026-12-14") ||
			fmt.Sprint(got) != fmt.Sprint(starts(explicit.Items)) {
			t.Fatalf("slots = %v\nwant    %v", got, starts(explicit.Items))
		}
	})

	t.Run("an offset sent with an unescaped plus still reads", func(t *testing.T) {
		path := "/v1/availability?meeting_type_id=" + w.simple + "&mode=phone&from=2026-12-07T00:00:00+01:00&to=2026-12-08T00:00:00+01:00"
		if got := e.slots(t, anonymous, path); len(got) != 6 {
			t.Fatalf("slots = %v", starts(got))
		}
	})
}

// Every bad question is answered 400 or 404 with a
// problem document naming the parameter, never 500.
func testAvailabilityBadInput(t *testing.T, d *db.DB) {
	e := newAdminEnv(t, d, nil)
	w := newAvailabilityWorld(t, e)
	from := time.Date(2026, 12, 7, 0, 0, 0, 0, stockholm)
	to := from.AddDate(0, 0, 7)
	q := func(kv ...string) string {
		v := url.Values{"meeting_type_id": {w.simple}, "mode": {"phone"}, "from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v.Encode()
	}
	cases := []struct {
		name   string
		query  string
		caller string
		status int
		param  string
	}{
		{"from after to", q("from", to.Format(time.RFC3339), "to", from.Format(time.RFC3339)), anonymous, 400, "to"},
		{"from equal to to", q("to", from.Format(time.RFC3339)), anonymous, 400, "to"},
		{"a range over 92 days", q("to", from.AddDate(0, 0, 93).Format(time.RFC3339)), anonymous, 400, "to"},
		{"an unparseable from", q("from", "tomorrow"), anonymous, 400, "from"},
		{"a from without offset", q("from", "2026-12-07T08:00:00"), anonymous, 400, "from"},
		{"an unparseable to", q("to", "2026-12-32T00:00:00Z"), anonymous, 400, "to"},
		{"no meeting type", q("meeting_type_id", ""), anonymous, 400, "meeting_type_id"},
		{"a malformed meeting type", q("meeting_type_id", "42"), anonymous, 400, "meeting_type_id"},
		{"an unknown meeting type", q("meeting_type_id", core.NewID()), anonymous, 404, "meeting_type_id"},
		{"a retired meeting type", q("meeting_type_id", w.retired), anonymous, 404, "meeting_type_id"},
		{"no mode", q("mode", ""), anonymous, 400, "mode"},
		{"an unknown mode", q("mode", "fax"), anonymous, 400, "mode"},
		{"a mode the meeting type does not allow", q("mode", "video"), anonymous, 400, "mode"},
		{"an office of another agency", q("mode", "in_person", "office_id", w.officeB), anonymous, 404, "office_id"},
		{"an unknown office", q("mode", "in_person", "office_id", core.NewID()), anonymous, 404, "office_id"},
		{"a malformed office", q("office_id", "kontoret"), anonymous, 400, "office_id"},
		{"a malformed staff member", q("staff_id", "x"), caseworkerA, 400, "staff_id"},
		{"an unknown staff member", q("staff_id", core.NewID()), caseworkerA, 404, "staff_id"},
		{"a staff member asked for by a citizen", q("staff_id", w.monday), citizen, 403, "staff_id"},
		{"a malformed query string", "meeting_type_id=%zz", anonymous, 400, "query"},
		{"a time before 1970", q("from", "1900-01-01T00:00:00Z", "to", "1900-01-02T00:00:00Z"), anonymous, 400, "from"},
	}
	for _, route := range []string{"/v1/availability", "/v1/availability/days"} {
		t.Run(route, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := e.do(t, tc.caller, "GET", route+"?"+tc.query, nil)
					if tc.status == http.StatusBadRequest {
						wantFieldError(t, r, tc.param)
						return
					}
					wantProblem(t, r, tc.status, tc.param)
				})
			}
		})
	}
}

// The public availability routes are limited per client address; the rest
// of the API is not.
func testAvailabilityRateLimit(t *testing.T, d *db.DB) {
	// One request a minute after a burst of three: the test cannot outlast it.
	e := newAdminEnv(t, d, httpkit.NewRateLimiter(1, 3))
	w := newAvailabilityWorld(t, e)
	path := availabilityPath("/v1/availability/days", w.simple, "phone", time.Date(2026, 12, 7, 0, 0, 0, 0, stockholm), time.Date(2026, 12, 14, 0, 0, 0, 0, stockholm))
	for range 3 {
		e.must(t, http.StatusOK, anonymous, "GET", path, nil)
	}
	r := e.do(t, anonymous, "GET", path, nil)
	wantProblem(t, r, http.StatusTooManyRequests, "")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After = %q, want the seconds until the next request is allowed", r.header.Get("Retry-After"))
	}
	// The same address is limited on the other availability route too, and
	// however it signs in; the directory stays open.
	wantProblem(t, e.do(t, caseworkerA, "GET", strings.Replace(path, "/days", "", 1), nil), http.StatusTooManyRequests, "")
	e.must(t, http.StatusOK, anonymous, "GET", e.agencyPath(e.agencyA, "/offices"), nil)
}

// The demo's staff have real schedules, so the demo shows
// availability in every mode; Elin is on vacation next week, Dalia works
// mornings Tuesday to Thursday, and nobody is booked over lunch.
func testDemoAvailability(t *testing.T, d *db.DB) {
	e := newAdminEnv(t, d, nil)
	// The demo puts Elin's vacation in the week after the day it is loaded.
	now := time.Now()
	e.clock.Set(now)
	if _, err := demo.Load(context.Background(), demo.Stores{Directory: e.store, Schedules: e.store}, demo.Secrets{}); err != nil {
		t.Fatal(err)
	}
	demoClient := "the demo's client with availability:read"
	e.addCaller(demoClient, core.Principal{Kind: core.KindClient, Subject: demo.ClientID, AgencyID: demo.ExempelbyID, Scopes: []string{core.ScopeAvailabilityRead}})
	today := availability.DateOf(now.In(stockholm))
	nextMonday := today.AddDays((8 - int(today.Weekday())) % 7)
	if nextMonday == today {
		nextMonday = today.AddDays(7)
	}
	vacation := nextMonday.Start(stockholm)
	from, to := vacation, vacation.AddDate(0, 0, 14)

	for _, mt := range demo.MeetingTypes() {
		for _, mode := range mt.Modes {
			t.Run(mt.Name.EN+"/"+string(mode), func(t *testing.T) {
				slots := e.slots(t, clientRead, availabilityPath("/v1/availability", mt.ID, string(mode), from, to))
				if len(slots) == 0 {
					t.Fatalf("no slots in the two weeks from %s", from.Format(time.DateOnly))
				}
				for _, s := range slots {
					start, _ := time.Parse(time.RFC3339, s.Start)
					end, _ := time.Parse(time.RFC3339, s.End)
					lunch := time.Date(start.Year(), start.Month(), start.Day(), 12, 0, 0, 0, stockholm)
					if start.Before(lunch.Add(time.Hour)) && end.After(lunch) {
						t.Fatalf("slot %s–%s is over lunch", s.Start, s.End)
					}
				}
			})
		}
	}

	elder := core.StableID("meeting-type/exempelby/elder-care-assessment")
	elin := core.StableID("staff-member/exempelby/elin")
	t.Run("Elin, the only elder care assessor, is on vacation next week", func(t *testing.T) {
		if got := e.slots(t, demoClient, availabilityPath("/v1/availability", elder, "phone", vacation, vacation.AddDate(0, 0, 5))); len(got) != 0 {
			t.Fatalf("slots in her vacation: %v", starts(got))
		}
		got := e.slots(t, demoClient, availabilityPath("/v1/availability", elder, "phone", vacation.AddDate(0, 0, 7), vacation.AddDate(0, 0, 12)))
		if len(got) == 0 || !slices.Equal(got[0].StaffIDs, []string{elin}) {
			t.Fatalf("slots the week after: %+v", got)
		}
	})

	t.Run("Dalia works mornings Tuesday to Thursday", func(t *testing.T) {
		debt := core.StableID("meeting-type/exempelby/debt-counselling")
		slots := e.slots(t, clientRead, availabilityPath("/v1/availability", debt, "in_person", from, to))
		for _, s := range slots {
			start, _ := time.Parse(time.RFC3339, s.Start)
			end, _ := time.Parse(time.RFC3339, s.End)
			wd := start.Weekday()
			if wd < time.Tuesday || wd > time.Thursday || end.Hour() > 12 || (end.Hour() == 12 && end.Minute() > 0) {
				t.Fatalf("slot %s–%s outside her hours", s.Start, s.End)
			}
		}
		if len(slots) == 0 {
			t.Fatal("no slots for Dalia")
		}
	})
}

// TestBookingAdministrationAndAvailability runs every test of this file on
// one database per backend: each builds its own agencies and server.
func TestBookingAdministrationAndAvailability(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		t.Run("administration", func(t *testing.T) { testAdministration(t, d) })
		t.Run("who may administer", func(t *testing.T) { testAdministrationDenials(t, d) })
		t.Run("availability", func(t *testing.T) { testAvailability(t, d) })
		t.Run("bad availability questions", func(t *testing.T) { testAvailabilityBadInput(t, d) })
		t.Run("availability is rate-limited", func(t *testing.T) { testAvailabilityRateLimit(t, d) })
		t.Run("the demo shows availability in every mode", func(t *testing.T) { testDemoAvailability(t, d) })
	})
}

var adminOrgs atomic.Int64

// nextAdminOrg gives every agency of a test run its own organisation number.
func nextAdminOrg() string {
	n := adminOrgs.Add(1)
	return fmt.Sprintf("2124%02d-%04d", n/10000, n%10000)
}
