package auth_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/go-kit/log"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/core/coretest"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/internal/testkit"
	"github.com/tidbok/tidbok/pin"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/notify"
	notifymail "github.com/tidbok/tidbok/services/notify/mail"
	"github.com/tidbok/tidbok/services/notify/sms"
	"github.com/tidbok/tidbok/tokens"
	authtransport "github.com/tidbok/tidbok/transport/auth"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// The tests drive the real handlers, wired as cmd/tidbok's newServer wires
// them, over loopback HTTP, on both databases. Codes travel through the real
// file mailer and SMS files and are read back from them. Every environment
// checks when its test ends that no secret it handed out reached the audit
// table or the server log, and that no request was answered with a 5xx.

const issuer = "https://tidbok.test"

// cheapArgon2 keeps hashing fast under -race; one test checks the default.
var cheapArgon2 = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

var (
	agencyA = core.StableID("test/agency/a")
	agencyB = core.StableID("test/agency/b")
)

type testClock = coretest.Clock

// syncBuffer is the server log, written by request goroutines.
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

// account is a staff member the test can sign in as.
type account struct {
	ID       string
	Email    string
	Password string
	Role     core.Role
	AgencyID string
}

type env struct {
	db      *db.DB
	svc     auth.Service
	clock   *testClock
	cfg     auth.Config
	srv     *httptest.Server
	mailDir string
	smsDir  string
	log     *syncBuffer
	http    *testkit.Client

	mu      sync.Mutex
	secrets []string

	sysAdmin, adminA, workerA, adminB, workerB account
}

type options struct {
	configure func(*auth.Config)
	limiter   *httpkit.RateLimiter
}

// newEnv starts the auth routes on d with a system admin, and an agency
// admin and a caseworker for each of agencies A and B.
func newEnv(t *testing.T, d *db.DB, opts ...func(*options)) *env {
	t.Helper()
	o := options{limiter: httpkit.NewRateLimiter(60_000, 1_000)}
	for _, f := range opts {
		f(&o)
	}
	cfg := auth.DefaultConfig(issuer)
	cfg.Argon2 = cheapArgon2
	if o.configure != nil {
		o.configure(&cfg)
	}
	dir := t.TempDir()
	e := &env{
		db: d, cfg: cfg, log: &syncBuffer{},
		clock:   coretest.NewClock(time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)),
		mailDir: filepath.Join(dir, "mail"), smsDir: filepath.Join(dir, "sms"),
	}
	authKey := bytes.Repeat([]byte{0xa5}, auth.KeySize)
	sealer, err := pin.NewSealer(bytes.Repeat([]byte{0x5a}, pin.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := auth.NewKeyring(authKey, sealer)
	if err != nil {
		t.Fatal(err)
	}
	codes := notify.CodeSender{Mailer: notifymail.FileMailer{Dir: e.mailDir}, SMS: sms.Files{Dir: e.smsDir},
		From: notify.Address{Name: "Tidbok", Email: "no-reply@tidbok.test"}}
	e.svc = auth.NewService(cfg, authstore.New(d), keyring, codes, e.clock)

	// As cmd/tidbok's newServer: routes on a mux, tokens verified from the
	// service's own JWKS, authentication and the request middleware around.
	mux := http.NewServeMux()
	authtransport.Routes{Service: e.svc, SignInLimiter: o.limiter}.Register(mux)
	keySource := tokens.KeySourceFunc(func(ctx context.Context, kid string) (ed25519.PublicKey, error) {
		jwks, err := e.svc.JWKS(ctx)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(jwks)
		set, err := tokens.ParseJWKS(b)
		if err != nil {
			return nil, err
		}
		return set.Key(ctx, kid)
	})
	verifier, err := tokens.NewVerifier(tokens.VerifierConfig{Issuer: issuer, Audiences: []string{"tidbok"}, Keys: keySource, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	logger := log.With(log.NewLogfmtLogger(log.NewSyncWriter(e.log)), "ts", log.DefaultTimestampUTC)
	_, metrics := httpkit.NewRegistry()
	e.srv = httptest.NewServer(httpkit.Middleware(logger, metrics)(httpkit.Authenticate(verifier)(mux)))
	t.Cleanup(func() {
		e.srv.Close()
		e.checkNoLeaks(t)
	})
	e.http = &testkit.Client{URL: e.srv.URL, HTTP: e.srv.Client()}

	e.sysAdmin = e.seedStaff(t, "root@tidbok.test", core.RoleSystemAdmin, "")
	e.adminA = e.seedStaff(t, "admin@a.test", core.RoleAgencyAdmin, agencyA)
	e.workerA = e.seedStaff(t, "hanna@a.test", core.RoleCaseworker, agencyA)
	e.adminB = e.seedStaff(t, "admin@b.test", core.RoleAgencyAdmin, agencyB)
	e.workerB = e.seedStaff(t, "bengt@b.test", core.RoleCaseworker, agencyB)
	return e
}

func withConfig(f func(*auth.Config)) func(*options) {
	return func(o *options) { o.configure = f }
}

func withLimiter(l *httpkit.RateLimiter) func(*options) {
	return func(o *options) { o.limiter = l }
}

// seedStaff creates an account through the service, as the bootstrap does:
// there is no one yet to sign in as.
func (e *env) seedStaff(t *testing.T, email string, role core.Role, agency string) account {
	t.Helper()
	password := "pw-" + strings.Repeat(string(role[0]), 4) + "-" + core.NewID()[24:]
	ctx := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: "bootstrap", Role: core.RoleSystemAdmin})
	st, _, err := e.svc.CreateStaff(ctx, auth.NewStaff{Email: email, Name: "Test " + string(role), Role: role, AgencyID: agency, Password: password})
	if err != nil {
		t.Fatalf("seed %s: %v", email, err)
	}
	e.secret(password)
	return account{ID: st.ID, Email: email, Password: password, Role: role, AgencyID: agency}
}

// secret records a value that must never reach the audit table or the log.
func (e *env) secret(s string) {
	if s == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.secrets = append(e.secrets, s)
}

// ---- HTTP ----

type response struct{ testkit.Response }

func (r response) String() string {
	return fmt.Sprintf("%d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
}

// object decodes the body as a JSON object.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

func (e *env) do(t *testing.T, req *http.Request) response {
	t.Helper()
	return response{e.http.Do(t, req)}
}

func (e *env) newRequest(t *testing.T, method, path string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// call sends body as JSON (nil: no body; a string: sent as it is) with
// token as the bearer token ("" for none).
func (e *env) call(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	return response{e.http.Call(t, method, path, token, body)}
}

// form posts an OAuth2 token request; user and pass go in HTTP Basic,
// form-encoded as RFC 6749 section 2.3.1 has it, when user is set.
func (e *env) form(t *testing.T, path string, values url.Values, user, pass string) response {
	t.Helper()
	req := e.newRequest(t, http.MethodPost, path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return e.do(t, req)
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	testkit.WantStatus(t, r.Response, status)
}

// wantProblem checks an RFC 9457 answer with status that names each of fields.
func wantProblem(t *testing.T, r response, status int, fields ...string) map[string]any {
	t.Helper()
	testkit.WantProblem(t, r.Response, status, fields...)
	return r.object(t)
}

func problemFields(p map[string]any) []string {
	var out []string
	list, _ := p["errors"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["field"]))
		}
	}
	return out
}

func keysOf(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tokenAnswer is a successful answer of a sign-in endpoint.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// tokens checks a 200 token answer and records its tokens as secrets.
func (e *env) tokens(t *testing.T, r response) tokenAnswer {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var a tokenAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatalf("token answer: %v: %s", err, r.Body)
	}
	if a.AccessToken == "" || a.TokenType != "Bearer" || a.ExpiresIn != int(e.cfg.AccessTTL/time.Second) {
		t.Fatalf("token answer = %s", r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q on a token answer, want no-store", cc)
	}
	e.secret(a.AccessToken)
	e.secret(a.RefreshToken)
	return a
}

func (e *env) login(t *testing.T, a account) tokenAnswer {
	t.Helper()
	return e.tokens(t, e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": a.Email, "password": a.Password}))
}

// ---- citizens and their codes ----

// requestCode asks for a code at field ("email" or "phone") and returns the challenge id.
func (e *env) requestCode(t *testing.T, field, address string) string {
	t.Helper()
	r := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{field: address})
	wantStatus(t, r, http.StatusAccepted)
	id, _ := r.object(t)["challenge_id"].(string)
	if !core.ValidID(id) {
		t.Fatalf("challenge_id = %q", id)
	}
	return id
}

// signInCitizen runs the whole code flow and returns the tokens. The code
// is read at address, or at delivered when the service normalises address.
func (e *env) signInCitizen(t *testing.T, field, address string, delivered ...string) tokenAnswer {
	t.Helper()
	id := e.requestCode(t, field, address)
	to := address
	if len(delivered) > 0 {
		to = delivered[0]
	}
	code := e.lastCode(t, field, to)
	return e.tokens(t, e.call(t, http.MethodPost, "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": id, "code": code}))
}

// lastCode is the code most recently sent to address.
func (e *env) lastCode(t *testing.T, field, address string) string {
	t.Helper()
	var codes []string
	if field == "phone" {
		codes = e.smsCodes(t, address)
	} else {
		codes = e.mailCodes(t, address)
	}
	if len(codes) == 0 {
		t.Fatalf("no code was sent to %s", address)
	}
	return codes[len(codes)-1]
}

var mailCode = regexp.MustCompile(`(?m)^ +([0-9]{6})\r?$`)

// mailCodes reads every .eml the file mailer wrote to address, oldest
// first, and returns the code in each.
func (e *env) mailCodes(t *testing.T, address string) []string {
	t.Helper()
	var codes []string
	for _, path := range sortedFiles(t, e.mailDir, ".eml") {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		mr, err := mail.CreateReader(f)
		if err != nil {
			f.Close()
			t.Fatalf("%s: %v", path, err)
		}
		to, err := mr.Header.AddressList("To")
		if err != nil || len(to) != 1 {
			f.Close()
			t.Fatalf("%s: To = %v, %v", path, to, err)
		}
		if !strings.EqualFold(to[0].Address, address) {
			f.Close()
			continue
		}
		code := ""
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				t.Fatalf("%s: %v", path, err)
			}
			h, ok := p.Header.(*mail.InlineHeader)
			if !ok {
				continue
			}
			if ct, _, _ := h.ContentType(); ct != "text/plain" {
				continue
			}
			body, _ := io.ReadAll(p.Body)
			if m := mailCode.FindSubmatch(body); m != nil {
				code = string(m[1])
			}
		}
		f.Close()
		if code == "" {
			t.Fatalf("%s: no code in the text part", path)
		}
		codes = append(codes, code)
		e.secret(code)
	}
	return codes
}

var smsCode = regexp.MustCompile(`: ([0-9]{6})\.`)

func (e *env) smsCodes(t *testing.T, phone string) []string {
	t.Helper()
	var codes []string
	for _, path := range sortedFiles(t, e.smsDir, ".txt") {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := bufio.NewReader(bytes.NewReader(b)).ReadLine()
		if string(first) != "To: "+phone {
			continue
		}
		m := smsCode.FindSubmatch(b)
		if m == nil {
			t.Fatalf("%s: no code in %q", path, b)
		}
		codes = append(codes, string(m[1]))
		e.secret(string(m[1]))
	}
	return codes
}

func sortedFiles(t *testing.T, dir, ext string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		// Names start with the UTC time of writing: sorted, they are in order.
		if strings.HasSuffix(en.Name(), ext) && !strings.HasPrefix(en.Name(), ".") {
			out = append(out, filepath.Join(dir, en.Name()))
		}
	}
	sort.Strings(out)
	return out
}

// wrongCode is a six-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// withLuhn completes 11 digits (YYYYMMDDNNN) to a personal identity number
// with its check digit.
var withLuhn = testkit.WithLuhn

// ---- leak checks ----

// checkNoLeaks scans every column of every audit row and the server log for
// every secret the test handed out, and the log for any 5xx answer.
func (e *env) checkNoLeaks(t *testing.T) {
	t.Helper()
	rows, err := e.db.QueryContext(context.Background(), `SELECT * FROM auth_audit`)
	if err != nil {
		t.Errorf("read audit table: %v", err)
		return
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var cells []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Errorf("scan audit row: %v", err)
			return
		}
		for i, v := range vals {
			var s string
			switch v := v.(type) {
			case []byte:
				s = string(v)
			case time.Time:
				s = v.UTC().Format(time.RFC3339Nano)
			default:
				s = fmt.Sprint(v)
			}
			cells = append(cells, cols[i]+"="+s)
		}
	}
	if err := rows.Err(); err != nil {
		t.Errorf("read audit table: %v", err)
	}
	logText := e.log.String()
	e.mu.Lock()
	secrets := slices.Clone(e.secrets)
	e.mu.Unlock()
	table := strings.Join(cells, "\n")
	for _, s := range secrets {
		found := finder(s)
		if found(table) {
			for _, c := range cells {
				if found(c) {
					t.Errorf("the audit table holds a secret: %q in %q", s, c)
				}
			}
		}
		if found(logText) {
			t.Errorf("the server log holds a secret: %q", s)
		}
	}
	for line := range strings.Lines(logText) {
		if strings.Contains(line, "status=5") {
			t.Errorf("a request was answered with a server error: %s", line)
		}
	}
}

// finder returns a test for whether a text holds secret. Short secrets
// (six-digit codes) count only as a whole word, so that they are not found
// by chance inside ids, hashes and times.
func finder(secret string) func(text string) bool {
	if len(secret) > 8 {
		return func(text string) bool { return strings.Contains(text, secret) }
	}
	re := regexp.MustCompile(`(?m)(^|[^0-9A-Za-z])` + regexp.QuoteMeta(secret) + `($|[^0-9A-Za-z])`)
	return re.MatchString
}
