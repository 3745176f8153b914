package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/db/notifystore"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/webhookhttp"
	"github.com/tidbok/tidbok/transport/httpkit"
	notifytransport "github.com/tidbok/tidbok/transport/notify"
)

// tokens stands in for the auth service: each bearer token is a principal.
type tokens map[string]core.Principal

func (v tokens) Verify(_ context.Context, token string) (core.Principal, error) {
	p, ok := v[token]
	if !ok {
		return core.Principal{}, fmt.Errorf("unknown token: %w", core.ErrUnauthenticated)
	}
	return p, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// api is the webhook routes served over real HTTP, the service behind
// them, a dispatcher, and a receiver that answers with the status in next.
type api struct {
	url        string
	svc        notify.WebhookService
	dispatcher *notify.WebhookDispatcher
	clock      *clock
	agencyA    string
	agencyB    string
	agencyC    string // only the delivery log's, so no other scenario's webhooks get its events
	agencyD    string // only the cap's
	receiver   string
	next       atomic.Int32
	hits       atomic.Int32
}

func newAPI(t *testing.T, d *db.DB) *api {
	t.Helper()
	a := &api{clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, agencyA: core.NewID(), agencyB: core.NewID(), agencyC: core.NewID(), agencyD: core.NewID()}
	policy := notify.URLPolicy{AllowLoopback: true}
	store := notifystore.NewWebhookStore(d)
	a.svc = notify.NewWebhookService(store, a.clock, notify.WithWebhookURLPolicy(policy))
	a.dispatcher = &notify.WebhookDispatcher{Repo: store, Sender: webhookhttp.NewSender(policy), Clock: a.clock,
		Jitter: func(d time.Duration) time.Duration { return d }}

	mux := http.NewServeMux()
	notifytransport.RegisterWebhookRoutes(mux, a.svc)
	verifier := tokens{
		"admin-a":      {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: a.agencyA},
		"admin-b":      {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: a.agencyB},
		"caseworker-a": {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleCaseworker, AgencyID: a.agencyA},
		"sysadmin":     {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleSystemAdmin},
		"client-a":     {Kind: core.KindClient, Subject: "crm-a", AgencyID: a.agencyA, Scopes: []string{core.ScopeWebhooksManage}},
		"client-a-ro":  {Kind: core.KindClient, Subject: "bi-a", AgencyID: a.agencyA, Scopes: []string{core.ScopeCasesRead, core.ScopeAppointmentsRead}},
		"citizen":      {Kind: core.KindCitizen, Subject: core.NewID()},
		"admin-c":      {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: a.agencyC},
		"client-c":     {Kind: core.KindClient, Subject: "crm-c", AgencyID: a.agencyC, Scopes: []string{core.ScopeWebhooksManage}},
		"admin-d":      {Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: a.agencyD},
	}
	_, m := httpkit.NewRegistry()
	srv := httptest.NewServer(httpkit.Middleware(log.NewNopLogger(), m)(httpkit.Authenticate(verifier)(mux)))
	t.Cleanup(srv.Close)
	a.url = srv.URL

	a.next.Store(http.StatusOK)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		w.WriteHeader(int(a.next.Load()))
	}))
	t.Cleanup(recv.Close)
	a.receiver = recv.URL
	return a
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

// items returns the "items" of a list answer.
func (r response) items() []map[string]any {
	var out []map[string]any
	for _, it := range r.body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// fields returns the names of the fields a problem document complains about.
func (r response) fields() []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	slices.Sort(out)
	return out
}

func (a *api) call(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, raw)
		}
	}
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != httpkit.ProblemContentType {
		t.Fatalf("%s %s: error %d as %s, want problem+json", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return r
}

// create registers a webhook for the agency of token and returns its id.
func (a *api) create(t *testing.T, token, path string, types ...string) string {
	t.Helper()
	r := a.call(t, "POST", "/v1/webhooks", token, map[string]any{"url": a.receiver + path, "event_types": types})
	if r.status != http.StatusCreated {
		t.Fatalf("create webhook: %d %v", r.status, r.body)
	}
	return r.body["id"].(string)
}

func TestWebhookAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		a := newAPI(t, d)
		t.Run("an agency admin gets the secret once", func(t *testing.T) { testSecretShownOnce(t, a) })
		t.Run("who may manage webhooks", func(t *testing.T) { testWebhookAccess(t, a) })
		t.Run("bad input is refused field by field", func(t *testing.T) { testWebhookValidation(t, a) })
		t.Run("the delivery log shows status codes, and redelivery sends again", func(t *testing.T) { testDeliveryLog(t, a) })
		t.Run("disabling keeps the webhook listed, disabled", func(t *testing.T) { testDisable(t, a) })
		t.Run("an agency's active webhooks are capped", func(t *testing.T) { testWebhookCap(t, a) })
	})
}

func testSecretShownOnce(t *testing.T, a *api) {
	r := a.call(t, "POST", "/v1/webhooks", "admin-a", map[string]any{
		"url": a.receiver + "/secret", "event_types": []string{"case.submitted", "appointment.booked"}})
	secret, _ := r.body["secret"].(string)
	if r.status != http.StatusCreated || !strings.HasPrefix(secret, "whsec_") || r.body["agency_id"] != a.agencyA ||
		!strings.HasPrefix(r.body["created_by"].(string), "staff:") || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create = %d %v %v", r.status, r.header, r.body)
	}
	if types := r.body["event_types"].([]any); len(types) != 2 || types[0] != "appointment.booked" {
		t.Fatalf("event types = %v, want them in catalogue order", types)
	}
	list := a.call(t, "GET", "/v1/webhooks", "admin-a", nil)
	if list.status != http.StatusOK {
		t.Fatalf("list = %d %v", list.status, list.body)
	}
	found := false
	for _, w := range list.items() {
		if _, ok := w["secret"]; ok {
			t.Fatalf("a listed webhook shows its secret: %v", w)
		}
		found = found || w["id"] == r.body["id"]
	}
	if !found {
		t.Fatalf("the new webhook is not listed: %v", list.body)
	}
}

func testWebhookAccess(t *testing.T, a *api) {
	id := a.create(t, "admin-a", "/access", "*")
	hook := func(to string) map[string]any {
		return map[string]any{"url": a.receiver + to, "event_types": []string{"*"}}
	}
	cases := []struct {
		name, method, path, token string
		body                      any
		want                      int
	}{
		{"a client with webhooks:manage creates for its agency", "POST", "/v1/webhooks", "client-a", hook("/client"), http.StatusCreated},
		{"a system admin creates for a named agency", "POST", "/v1/webhooks", "sysadmin",
			map[string]any{"agency_id": a.agencyB, "url": a.receiver + "/sys", "event_types": []string{"*"}}, http.StatusCreated},
		{"a system admin must name the agency", "POST", "/v1/webhooks", "sysadmin", hook("/sys"), http.StatusBadRequest},
		{"a client lists its agency's webhooks", "GET", "/v1/webhooks", "client-a", nil, http.StatusOK},
		{"a caseworker may not create", "POST", "/v1/webhooks", "caseworker-a", hook("/cw"), http.StatusForbidden},
		{"a caseworker may not list", "GET", "/v1/webhooks", "caseworker-a", nil, http.StatusForbidden},
		{"a client without webhooks:manage may not create", "POST", "/v1/webhooks", "client-a-ro", hook("/ro"), http.StatusForbidden},
		{"a citizen may not list", "GET", "/v1/webhooks?agency_id=" + a.agencyA, "citizen", nil, http.StatusForbidden},
		{"another agency's admin may not create for it", "POST", "/v1/webhooks", "admin-b",
			map[string]any{"agency_id": a.agencyA, "url": a.receiver + "/b", "event_types": []string{"*"}}, http.StatusForbidden},
		{"another agency's admin may not list it", "GET", "/v1/webhooks?agency_id=" + a.agencyA, "admin-b", nil, http.StatusForbidden},
		{"another agency's admin may not disable its webhook", "POST", "/v1/webhooks/" + id + "/disable", "admin-b", nil, http.StatusForbidden},
		{"another agency's admin may not read its deliveries", "GET", "/v1/webhooks/" + id + "/deliveries", "admin-b", nil, http.StatusForbidden},
		{"another agency's admin may not redeliver", "POST", "/v1/webhooks/" + id + "/deliveries/" + core.NewID() + "/redeliver", "admin-b", nil, http.StatusForbidden},
		{"a caseworker may not read deliveries", "GET", "/v1/webhooks/" + id + "/deliveries", "caseworker-a", nil, http.StatusForbidden},
		{"an anonymous caller must sign in", "GET", "/v1/webhooks", "", nil, http.StatusUnauthorized},
		{"an unknown webhook is not found", "GET", "/v1/webhooks/" + core.NewID() + "/deliveries", "admin-a", nil, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := a.call(t, c.method, c.path, c.token, c.body); r.status != c.want {
				t.Fatalf("%s %s as %s = %d %v, want %d", c.method, c.path, c.token, r.status, r.body, c.want)
			}
		})
	}
	// The refusals changed nothing: agency A still has only its own webhooks.
	for _, w := range a.call(t, "GET", "/v1/webhooks", "admin-a", nil).items() {
		if strings.HasSuffix(w["url"].(string), "/b") || strings.HasSuffix(w["url"].(string), "/cw") {
			t.Fatalf("a refused create was stored: %v", w)
		}
	}
}

func testWebhookValidation(t *testing.T, a *api) {
	cases := []struct {
		name       string
		body       map[string]any
		wantFields []string
	}{
		{"plain http to a public host", map[string]any{"url": "http://crm.exempelby.se/hook", "event_types": []string{"*"}}, []string{"url"}},
		{"a private address", map[string]any{"url": "https://10.0.0.8/hook", "event_types": []string{"*"}}, []string{"url"}},
		{"the metadata service", map[string]any{"url": "https://169.254.169.254/latest", "event_types": []string{"*"}}, []string{"url"}},
		{"credentials in the URL", map[string]any{"url": "https://u:p@crm.exempelby.se/", "event_types": []string{"*"}}, []string{"url"}},
		{"not a URL", map[string]any{"url": "crm.exempelby.se", "event_types": []string{"*"}}, []string{"url"}},
		{"another scheme", map[string]any{"url": "ftp://crm.exempelby.se/", "event_types": []string{"*"}}, []string{"url"}},
		{"no event types", map[string]any{"url": "https://crm.exempelby.se/hook", "event_types": []string{}}, []string{"event_types"}},
		{"an unknown event type", map[string]any{"url": "https://crm.exempelby.se/hook", "event_types": []string{"case.deleted"}}, []string{"event_types"}},
		{"both wrong at once", map[string]any{"url": "http://crm.exempelby.se/", "event_types": []string{"*", "case.submitted"}}, []string{"event_types", "url"}},
		{"a malformed agency id", map[string]any{"agency_id": "42", "url": "https://crm.exempelby.se/", "event_types": []string{"*"}}, []string{"agency_id"}},
		{"an unknown field", map[string]any{"url": "https://crm.exempelby.se/", "event_types": []string{"*"}, "secret": "mine"}, []string{"secret"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := a.call(t, "POST", "/v1/webhooks", "admin-a", c.body)
			if r.status != http.StatusBadRequest || !slices.Equal(r.fields(), c.wantFields) {
				t.Fatalf("create = %d %v, want 400 on %v", r.status, r.body, c.wantFields)
			}
		})
	}
	for _, path := range []string{"/v1/webhooks/42/deliveries", "/v1/webhooks/42/disable"} {
		method := "GET"
		if strings.HasSuffix(path, "disable") {
			method = "POST"
		}
		if r := a.call(t, method, path, "admin-a", nil); r.status != http.StatusBadRequest || !slices.Equal(r.fields(), []string{"id"}) {
			t.Errorf("%s %s = %d %v, want 400 on id", method, path, r.status, r.body)
		}
	}
}

func testDeliveryLog(t *testing.T, a *api) {
	id := a.create(t, "admin-c", "/log", "appointment.booked")
	base := "/v1/webhooks/" + id + "/deliveries"
	events := []string{core.NewID(), core.NewID()}
	a.next.Store(http.StatusInternalServerError)
	for _, ev := range events {
		if err := a.svc.Enqueue(context.Background(), a.agencyC, ev, "appointment.booked", []byte(`{"appointment":"x"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := a.dispatcher.RunOnce(context.Background()); n != 2 || err != nil {
		t.Fatalf("dispatch = %d, %v", n, err)
	}
	log := a.call(t, "GET", base, "admin-c", nil)
	items := log.items()
	if log.status != http.StatusOK || len(items) != 2 {
		t.Fatalf("log = %d %v", log.status, log.body)
	}
	for _, it := range items {
		if it["status"] != "pending" || it["last_status"] != float64(500) || it["attempts"] != float64(1) ||
			it["next_attempt_at"] == nil || it["delivered_at"] != nil || it["payload"].(map[string]any)["appointment"] != "x" {
			t.Fatalf("log entry after a 500 = %v", it)
		}
	}

	a.next.Store(http.StatusOK)
	a.clock.Advance(5 * time.Second)
	if n, err := a.dispatcher.RunOnce(context.Background()); n != 2 || err != nil {
		t.Fatalf("retry = %d, %v", n, err)
	}
	first := a.call(t, "GET", base+"?limit=1", "admin-c", nil)
	cursor, _ := first.body["next_cursor"].(string)
	if items := first.items(); len(items) != 1 || items[0]["status"] != "delivered" || items[0]["last_status"] != float64(200) ||
		items[0]["next_attempt_at"] != nil || items[0]["delivered_at"] == nil || cursor == "" {
		t.Fatalf("first page = %v", first.body)
	}
	second := a.call(t, "GET", base+"?limit=1&cursor="+cursor, "admin-c", nil)
	if items := second.items(); len(items) != 1 || items[0]["id"] == first.items()[0]["id"] || second.body["next_cursor"] != nil {
		t.Fatalf("second page = %v", second.body)
	}

	hits := a.hits.Load()
	delivery := first.items()[0]["id"].(string)
	redeliver := base + "/" + delivery + "/redeliver"
	if r := a.call(t, "POST", redeliver, "client-c", nil); r.status != http.StatusOK || r.body["status"] != "pending" {
		t.Fatalf("redeliver = %d %v", r.status, r.body)
	}
	if r := a.call(t, "POST", redeliver, "admin-c", nil); r.status != http.StatusConflict {
		t.Fatalf("redeliver while pending = %d %v, want 409", r.status, r.body)
	}
	if n, err := a.dispatcher.RunOnce(context.Background()); n != 1 || err != nil || a.hits.Load() != hits+1 {
		t.Fatalf("redelivery dispatch = %d, %v; receiver hits %d -> %d", n, err, hits, a.hits.Load())
	}

	for _, q := range []string{"?status=lost", "?limit=0", "?limit=1000", "?cursor=forged"} {
		if r := a.call(t, "GET", base+q, "admin-c", nil); r.status != http.StatusBadRequest {
			t.Errorf("GET deliveries%s = %d %v, want 400", q, r.status, r.body)
		}
	}
	if r := a.call(t, "GET", base+"?status=failed", "admin-c", nil); r.status != http.StatusOK || len(r.items()) != 0 {
		t.Fatalf("failed deliveries = %d %v, want none", r.status, r.body)
	}
	if r := a.call(t, "POST", base+"/"+core.NewID()+"/redeliver", "admin-c", nil); r.status != http.StatusNotFound {
		t.Fatalf("redeliver an unknown delivery = %d %v", r.status, r.body)
	}
}

func testDisable(t *testing.T, a *api) {
	id := a.create(t, "admin-a", "/off", "case.submitted")
	first := a.call(t, "POST", "/v1/webhooks/"+id+"/disable", "admin-a", nil)
	again := a.call(t, "POST", "/v1/webhooks/"+id+"/disable", "client-a", nil)
	if first.status != http.StatusOK || first.body["disabled_at"] == nil || again.status != http.StatusOK ||
		again.body["disabled_at"] != first.body["disabled_at"] {
		t.Fatalf("disable = %d %v, again %d %v", first.status, first.body, again.status, again.body)
	}
	for _, w := range a.call(t, "GET", "/v1/webhooks", "admin-a", nil).items() {
		if w["id"] == id && w["disabled_at"] == nil {
			t.Fatalf("listed as active after disabling: %v", w)
		}
	}
}

func testWebhookCap(t *testing.T, a *api) {
	var first string
	for i := range notify.MaxActiveWebhooks {
		id := a.create(t, "admin-d", fmt.Sprintf("/cap/%d", i), "*")
		if i == 0 {
			first = id
		}
	}
	body := map[string]any{"url": a.receiver + "/cap/over", "event_types": []string{"*"}}
	if r := a.call(t, "POST", "/v1/webhooks", "admin-d", body); r.status != http.StatusConflict {
		t.Fatalf("webhook %d = %d %v, want 409", notify.MaxActiveWebhooks+1, r.status, r.body)
	}
	if r := a.call(t, "POST", "/v1/webhooks/"+first+"/disable", "admin-d", nil); r.status != http.StatusOK {
		t.Fatalf("disable = %d %v", r.status, r.body)
	}
	if r := a.call(t, "POST", "/v1/webhooks", "admin-d", body); r.status != http.StatusCreated {
		t.Fatalf("create after disabling one = %d %v, want 201", r.status, r.body)
	}
}
