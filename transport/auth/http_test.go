package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/tokens"
	"github.com/tidbok/tidbok/transport/httpkit"
)

// ---- citizens: one-time codes ----

func TestCitizenSignIn(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		t.Run("code flow", func(t *testing.T) { testCitizenCodeFlow(t, e) })
		t.Run("refusals", func(t *testing.T) { testCitizenCodeRefusals(t, e) })
	})
}

// The code answer's expires_in is the lifetime the service is configured
// with, and the code works for exactly that long.
func TestCitizenCodeLifetime(t *testing.T) {
	t.Parallel()
	const ttl = 3 * time.Minute // not the default
	if auth.DefaultConfig(issuer).CodeTTL == ttl {
		t.Fatal("the test needs a lifetime other than the default")
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, withConfig(func(c *auth.Config) { c.CodeTTL = ttl }))
		verify := func(id, code string) response {
			return e.call(t, http.MethodPost, "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": id, "code": code})
		}
		const address = "lifetime@example.se"
		r := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{"email": address})
		wantStatus(t, r, http.StatusAccepted)
		if got := r.object(t)["expires_in"]; got != ttl.Seconds() {
			t.Fatalf("expires_in = %v, want %v", got, ttl.Seconds())
		}
		id, _ := r.object(t)["challenge_id"].(string)
		code := e.lastCode(t, "email", address)
		e.clock.Advance(ttl)
		wantProblem(t, verify(id, code), http.StatusUnauthorized)

		// A code asked for now works until a second before its end.
		id = e.requestCode(t, "email", address)
		code = e.lastCode(t, "email", address)
		e.clock.Advance(ttl - time.Second)
		e.tokens(t, verify(id, code))
	})
}

func testCitizenCodeFlow(t *testing.T, e *env) {
	for _, tc := range []struct {
		name, field, typed, stored string
	}{
		{"by e-mail", "email", "Karin@Example.se", "karin@example.se"},
		{"by SMS", "phone", "070-123 45 67", "+46701234567"},
	} {
		t.Run(tc.name+", the account is created once and found again", func(t *testing.T) {
			first := e.signInCitizen(t, tc.field, tc.typed, tc.stored)
			if first.RefreshToken == "" || first.Scope != "" {
				t.Fatalf("citizen tokens = %+v, want a refresh token and no scope", first)
			}
			me := e.call(t, http.MethodGet, "/v1/me", first.AccessToken, nil)
			wantStatus(t, me, http.StatusOK)
			m := me.object(t)
			c, _ := m["citizen"].(map[string]any)
			if m["kind"] != "citizen" || c == nil || c[tc.field] != tc.stored || c["id"] != m["id"] {
				t.Fatalf("GET /v1/me = %s", me.Body)
			}
			second := e.signInCitizen(t, tc.field, tc.typed, tc.stored)
			again := e.call(t, http.MethodGet, "/v1/me", second.AccessToken, nil).object(t)
			if again["id"] != m["id"] {
				t.Fatalf("second sign-in is citizen %v, first was %v", again["id"], m["id"])
			}
			if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
				t.Fatalf("second sign-in got the first one's tokens")
			}
		})
	}

	t.Run("the answer is the same for known and unknown addresses", func(t *testing.T) {
		for _, tc := range []struct{ field, known, unknown string }{
			{"email", "karin@example.se", "stranger@example.se"},
			{"phone", "+46701234567", "+46709876543"},
		} {
			known := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{tc.field: tc.known})
			unknown := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{tc.field: tc.unknown})
			if known.Status != http.StatusAccepted || unknown.Status != known.Status {
				t.Fatalf("%s: known %d, unknown %d", tc.field, known.Status, unknown.Status)
			}
			k, u := known.object(t), unknown.object(t)
			if !slices.Equal(keysOf(k), keysOf(u)) || k["expires_in"] != u["expires_in"] {
				t.Fatalf("%s: known answers %s, unknown %s", tc.field, known.Body, unknown.Body)
			}
			if known.Header.Get("Content-Type") != unknown.Header.Get("Content-Type") {
				t.Fatalf("%s: content types differ", tc.field)
			}
		}
	})
}

func testCitizenCodeRefusals(t *testing.T, e *env) {
	verify := func(t *testing.T, id, code string) response {
		t.Helper()
		return e.call(t, http.MethodPost, "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": id, "code": code})
	}

	t.Run("a wrong code is refused, and the right one still works", func(t *testing.T) {
		id := e.requestCode(t, "email", "wrong@example.se")
		code := e.lastCode(t, "email", "wrong@example.se")
		p := wantProblem(t, verify(t, id, wrongCode(code)), http.StatusUnauthorized)
		if strings.Contains(fmt.Sprint(p), code) {
			t.Fatalf("the refusal quotes the code: %v", p)
		}
		e.tokens(t, verify(t, id, code))
	})

	t.Run("the sixth attempt is refused even with the right code", func(t *testing.T) {
		id := e.requestCode(t, "email", "guesser@example.se")
		code := e.lastCode(t, "email", "guesser@example.se")
		for i := range e.cfg.MaxCodeAttempts {
			if r := verify(t, id, wrongCode(code)); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong attempt %d: %s", i+1, r)
			}
		}
		wantProblem(t, verify(t, id, code), http.StatusUnauthorized)
	})

	t.Run("an expired code is refused", func(t *testing.T) {
		id := e.requestCode(t, "phone", "+46701110000")
		code := e.lastCode(t, "phone", "+46701110000")
		e.clock.Advance(e.cfg.CodeTTL)
		wantProblem(t, verify(t, id, code), http.StatusUnauthorized)
	})

	t.Run("a code works until just before it expires", func(t *testing.T) {
		id := e.requestCode(t, "phone", "+46701110001")
		code := e.lastCode(t, "phone", "+46701110001")
		e.clock.Advance(e.cfg.CodeTTL - time.Second)
		e.tokens(t, verify(t, id, code))
	})

	t.Run("a used code is refused", func(t *testing.T) {
		id := e.requestCode(t, "email", "once@example.se")
		code := e.lastCode(t, "email", "once@example.se")
		e.tokens(t, verify(t, id, code))
		wantProblem(t, verify(t, id, code), http.StatusUnauthorized)
	})

	t.Run("a flood of codes to one address sends nothing more but answers alike", func(t *testing.T) {
		const addr = "flood@example.se"
		var first response
		for i := range e.cfg.CodesPerWindow {
			r := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{"email": addr})
			wantStatus(t, r, http.StatusAccepted)
			if i == 0 {
				first = r
			}
		}
		if n := len(e.mailCodes(t, addr)); n != e.cfg.CodesPerWindow {
			t.Fatalf("%d mails sent, want %d", n, e.cfg.CodesPerWindow)
		}
		flooded := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{"email": addr})
		if flooded.Status != first.Status || !slices.Equal(keysOf(flooded.object(t)), keysOf(first.object(t))) {
			t.Fatalf("flooded answer %s differs from %s", flooded, first)
		}
		if n := len(e.mailCodes(t, addr)); n != e.cfg.CodesPerWindow {
			t.Fatalf("%d mails sent after the flood limit, want %d", n, e.cfg.CodesPerWindow)
		}
		id := flooded.object(t)["challenge_id"].(string)
		wantProblem(t, verify(t, id, e.lastCode(t, "email", addr)), http.StatusUnauthorized)

		e.clock.Advance(e.cfg.CodeWindow + time.Second)
		e.requestCode(t, "email", addr)
		if n := len(e.mailCodes(t, addr)); n != e.cfg.CodesPerWindow+1 {
			t.Fatalf("%d mails after the window passed, want %d", n, e.cfg.CodesPerWindow+1)
		}
	})

	for _, tc := range []struct {
		name       string
		id, code   string
		status     int
		wantFields []string
	}{
		{"a challenge id that is not a UUID", "not-a-uuid", "123456", 400, []string{"challenge_id"}},
		{"an empty challenge id", "", "123456", 400, []string{"challenge_id"}},
		{"a challenge id with SQL in it", "' OR 1=1 --", "123456", 400, []string{"challenge_id"}},
		{"a UUID without dashes", strings.ReplaceAll(core.NewID(), "-", ""), "123456", 400, []string{"challenge_id"}},
		{"a code of five digits", core.NewID(), "12345", 400, []string{"code"}},
		{"a code with letters", core.NewID(), "12345a", 400, []string{"code"}},
		{"both wrong", "x", "", 400, []string{"challenge_id", "code"}},
		{"an unknown challenge", core.NewID(), "123456", 401, nil},
	} {
		t.Run("verify refuses "+tc.name, func(t *testing.T) {
			wantProblem(t, verify(t, tc.id, tc.code), tc.status, tc.wantFields...)
		})
	}

	t.Run("a code request refuses bad addresses, naming the field", func(t *testing.T) {
		for _, body := range []map[string]string{
			{"email": "not an address"},
			{"email": "karin@example.se\r\nBcc: all@example.se"},
			{"phone": "12"},
			{"email": "karin@example.se", "phone": "+46701234567"},
			{},
			{"email": "karin@example.se", "language": "de"},
		} {
			r := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", body)
			p := wantProblem(t, r, http.StatusBadRequest)
			if len(problemFields(p)) == 0 {
				t.Fatalf("%v: problem names no field: %s", body, r.Body)
			}
		}
	})
}

// ---- staff ----

func TestStaffLogin(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.login(t, e.adminA).AccessToken
		newWorker := func(t *testing.T, email string) account {
			t.Helper()
			pw := "initial-" + core.NewID()[24:]
			e.secret(pw)
			r := e.call(t, http.MethodPost, "/v1/staff", admin, map[string]string{
				"email": email, "name": "Ny Handläggare", "role": "caseworker", "agency_id": agencyA, "password": pw})
			wantStatus(t, r, http.StatusCreated)
			return account{ID: r.object(t)["id"].(string), Email: email, Password: pw, Role: core.RoleCaseworker, AgencyID: agencyA}
		}
		loginAs := func(t *testing.T, email, password string) response {
			t.Helper()
			return e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": email, "password": password})
		}

		t.Run("the right password signs in", func(t *testing.T) {
			tok := e.login(t, e.workerA)
			if tok.RefreshToken == "" || tok.Scope != "" {
				t.Fatalf("staff tokens = %+v", tok)
			}
			me := e.call(t, http.MethodGet, "/v1/me", tok.AccessToken, nil).object(t)
			st, _ := me["staff"].(map[string]any)
			if me["kind"] != "staff" || me["id"] != e.workerA.ID || me["role"] != "caseworker" || me["agency_id"] != agencyA ||
				st == nil || st["last_login_at"] == nil {
				t.Fatalf("GET /v1/me = %v", me)
			}
		})

		t.Run("the e-mail address is matched without regard to case", func(t *testing.T) {
			e.tokens(t, loginAs(t, "  HANNA@A.test ", e.workerA.Password))
		})

		t.Run("a wrong password and an unknown account answer alike", func(t *testing.T) {
			wrong := loginAs(t, e.workerA.Email, "not-the-password-at-all")
			unknown := loginAs(t, "nobody@a.test", "not-the-password-at-all")
			wantProblem(t, wrong, http.StatusUnauthorized)
			if unknown.Status != wrong.Status || unknown.Header.Get("WWW-Authenticate") != wrong.Header.Get("WWW-Authenticate") {
				t.Fatalf("wrong password: %s\nunknown account: %s", wrong, unknown)
			}
			w, u := wrong.object(t), unknown.object(t)
			delete(w, "request_id")
			delete(u, "request_id")
			wj, _ := json.Marshal(w)
			uj, _ := json.Marshal(u)
			if string(wj) != string(uj) {
				t.Fatalf("answers differ:\nwrong password:  %s\nunknown account: %s", wj, uj)
			}
		})

		t.Run("a disabled account is refused and its refresh token stops working", func(t *testing.T) {
			acct := newWorker(t, "disabled@a.test")
			tok := e.login(t, acct)
			r := e.call(t, http.MethodPatch, "/v1/staff/"+acct.ID, admin, map[string]any{"disabled": true})
			wantStatus(t, r, http.StatusOK)
			if r.object(t)["disabled"] != true {
				t.Fatalf("PATCH answered %s", r.Body)
			}
			wantProblem(t, loginAs(t, acct.Email, acct.Password), http.StatusUnauthorized)
			wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "", ""), http.StatusBadRequest, "refresh_token")
		})

		t.Run("repeated failures lock the account, even against the right password", func(t *testing.T) {
			acct := newWorker(t, "locked@a.test")
			for i := range e.cfg.AccountFreeFailures {
				if r := loginAs(t, acct.Email, "wrong-password-"+strconv.Itoa(i)); r.Status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %s", i+1, r)
				}
			}
			locked := loginAs(t, acct.Email, acct.Password)
			wantProblem(t, locked, http.StatusTooManyRequests)
			if ra := locked.Header.Get("Retry-After"); ra != "30" {
				t.Fatalf("Retry-After = %q, want 30", ra)
			}
			e.clock.Advance(10 * time.Second)
			if ra := loginAs(t, acct.Email, acct.Password).Header.Get("Retry-After"); ra != "20" {
				t.Fatalf("Retry-After 10 s later = %q, want 20", ra)
			}
			// Another account from the same address is not locked.
			e.tokens(t, loginAs(t, e.workerA.Email, e.workerA.Password))
			e.clock.Advance(21 * time.Second)
			e.tokens(t, loginAs(t, acct.Email, acct.Password))
		})

		t.Run("the lock doubles with each failure beyond the free ones", func(t *testing.T) {
			acct := newWorker(t, "stubborn@a.test")
			for i := range e.cfg.AccountFreeFailures {
				loginAs(t, acct.Email, "wrong-password-"+strconv.Itoa(i))
			}
			e.clock.Advance(31 * time.Second)
			wantProblem(t, loginAs(t, acct.Email, "wrong-again-password"), http.StatusUnauthorized)
			if ra := loginAs(t, acct.Email, acct.Password).Header.Get("Retry-After"); ra != "60" {
				t.Fatalf("Retry-After after one more failure = %q, want 60", ra)
			}
			e.clock.Advance(61 * time.Second)
			e.tokens(t, loginAs(t, acct.Email, acct.Password))
		})

		t.Run("an authenticator, once enrolled, is required", func(t *testing.T) {
			acct := newWorker(t, "totp@a.test")
			tok := e.login(t, acct).AccessToken
			r := e.call(t, http.MethodPost, "/v1/me/totp", tok, nil)
			wantStatus(t, r, http.StatusOK)
			enrol := r.object(t)
			secret, _ := enrol["secret"].(string)
			if secret == "" || !strings.HasPrefix(fmt.Sprint(enrol["otpauth_url"]), "otpauth://totp/") {
				t.Fatalf("enrolment = %s", r.Body)
			}
			e.secret(secret)
			code := func(at time.Time) string {
				c, err := totp.GenerateCode(secret, at)
				if err != nil {
					t.Fatal(err)
				}
				e.secret(c)
				return c
			}
			now := e.clock.Now()
			wrong := "000000"
			for slices.Contains([]string{code(now.Add(-30 * time.Second)), code(now), code(now.Add(30 * time.Second))}, wrong) {
				wrong = fmt.Sprintf("%06d", (mustAtoi(wrong)+111111)%1_000_000)
			}
			wantProblem(t, e.call(t, http.MethodPost, "/v1/me/totp/confirm", tok, map[string]string{"code": wrong}), http.StatusBadRequest, "code")
			wantStatus(t, e.call(t, http.MethodPost, "/v1/me/totp/confirm", tok, map[string]string{"code": code(now)}), http.StatusNoContent)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/me/totp", tok, nil), http.StatusConflict)

			wantProblem(t, loginAs(t, acct.Email, acct.Password), http.StatusBadRequest, "totp")
			withCode := func(c string) response {
				return e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": acct.Email, "password": acct.Password, "totp": c})
			}
			wantProblem(t, withCode(wrong), http.StatusUnauthorized)
			// The code that confirmed the enrolment is spent, though still
			// inside its window.
			wantProblem(t, withCode(code(now)), http.StatusUnauthorized)
			e.clock.Advance(30 * time.Second)
			next := code(e.clock.Now())
			e.tokens(t, withCode(next))
			// So is a code that signed in once: a replay is refused.
			replay := withCode(next)
			wantProblem(t, replay, http.StatusUnauthorized)
			if !strings.Contains(string(replay.Body), "used already") {
				t.Fatalf("a replayed code answered %s, want it to say the code was used", replay.Body)
			}
			me := e.call(t, http.MethodGet, "/v1/me", tok, nil).object(t)
			if me["staff"].(map[string]any)["totp_enabled"] != true {
				t.Fatalf("GET /v1/me after enrolment = %v", me)
			}
		})
	})
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

func TestLoginLockPerAddress(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, withConfig(func(c *auth.Config) { c.AddressFreeFailures = 3 }))
		// Failures against different accounts, one each: no account is
		// locked, but the address they all come from is.
		for i := range 3 {
			r := e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": fmt.Sprintf("guess%d@a.test", i), "password": "password-guess"})
			wantProblem(t, r, http.StatusUnauthorized)
		}
		r := e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": e.workerA.Email, "password": e.workerA.Password})
		wantProblem(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		e.clock.Advance(31 * time.Second)
		e.login(t, e.workerA)
	})
}

func TestSignInRateLimit(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		// One request a minute in bursts of three: the fourth is refused.
		e := newEnv(t, d, withLimiter(httpkit.NewRateLimiter(1, 3)))
		for range 3 {
			r := e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{"email": "burst@example.se"})
			wantStatus(t, r, http.StatusAccepted)
		}
		for _, path := range []string{"/v1/auth/citizen/code", "/v1/auth/login", "/v1/auth/token"} {
			r := e.call(t, http.MethodPost, path, "", map[string]string{"email": "burst@example.se"})
			wantProblem(t, r, http.StatusTooManyRequests)
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("%s: Retry-After = %q", path, r.Header.Get("Retry-After"))
			}
		}
		// Endpoints that are not sign-ins are not limited.
		wantProblem(t, e.call(t, http.MethodGet, "/v1/me", "", nil), http.StatusUnauthorized)
	})
}

// The one test that pays for OWASP's parameters.
func TestPasswordsAreHashedWithOWASPParameters(t *testing.T) {
	t.Parallel()
	want := auth.Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}
	if got := auth.DefaultConfig(issuer).Argon2; got != want || auth.OWASPArgon2 != want {
		t.Fatalf("DefaultConfig().Argon2 = %+v, OWASPArgon2 = %+v; want %+v", got, auth.OWASPArgon2, want)
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, withConfig(func(c *auth.Config) { c.Argon2 = auth.DefaultConfig(issuer).Argon2 }))
		var hash string
		if err := d.QueryRowContext(context.Background(), d.Rebind(`SELECT password_hash FROM auth_staff WHERE email = ?`), e.workerA.Email).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("stored hash %q is not argon2id with OWASP parameters", hash)
		}
		if strings.Contains(hash, e.workerA.Password) {
			t.Fatal("the hash holds the password")
		}
		e.login(t, e.workerA)
	})
}

// ---- the token endpoint: integration clients, refresh and logout ----

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		t.Run("client credentials", func(t *testing.T) { testClientCredentials(t, e) })
		t.Run("refresh tokens", func(t *testing.T) { testRefreshTokens(t, e) })
	})
}

func testClientCredentials(t *testing.T, e *env) {
	admin := e.login(t, e.adminA).AccessToken
	newClient := func(t *testing.T, scopes ...string) (id, secret string) {
		t.Helper()
		r := e.call(t, http.MethodPost, "/v1/clients", admin, map[string]any{"agency_id": agencyA, "name": "Ärendesystem", "scopes": scopes})
		wantStatus(t, r, http.StatusCreated)
		m := r.object(t)
		id, _ = m["client_id"].(string)
		secret, _ = m["client_secret"].(string)
		if !strings.HasPrefix(id, "tbk_") || !strings.HasPrefix(secret, "tbs_") || m["agency_id"] != agencyA {
			t.Fatalf("POST /v1/clients = %s", r.Body)
		}
		e.secret(secret)
		return id, secret
	}
	id, secret := newClient(t, core.ScopeCasesWrite, core.ScopeCasesRead, core.ScopeAppointmentsRead)
	all := "appointments:read cases:read cases:write"

	t.Run("the secret is shown once and never listed", func(t *testing.T) {
		r := e.call(t, http.MethodGet, "/v1/clients", admin, nil)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(string(r.Body), secret) || strings.Contains(string(r.Body), "secret") {
			t.Fatalf("GET /v1/clients shows a secret: %s", r.Body)
		}
		if !strings.Contains(string(r.Body), id) {
			t.Fatalf("GET /v1/clients does not list %s: %s", id, r.Body)
		}
	})

	for _, tc := range []struct {
		name string
		send func(t *testing.T, scope string) response
	}{
		{"a form with HTTP Basic", func(t *testing.T, scope string) response {
			return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}, id, secret)
		}},
		{"a form with the credentials in its body", func(t *testing.T, scope string) response {
			return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {scope}}, "", "")
		}},
		{"JSON", func(t *testing.T, scope string) response {
			return e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret, "scope": scope})
		}},
	} {
		t.Run(tc.name+" gets every granted scope and no refresh token", func(t *testing.T) {
			r := tc.send(t, "")
			tok := e.tokens(t, r)
			if tok.Scope != all || tok.RefreshToken != "" || strings.Contains(string(r.Body), "refresh_token") {
				t.Fatalf("client tokens = %s", r.Body)
			}
			me := e.call(t, http.MethodGet, "/v1/me", tok.AccessToken, nil).object(t)
			if me["kind"] != "client" || me["id"] != id || me["agency_id"] != agencyA || fmt.Sprint(me["scopes"]) != "[appointments:read cases:read cases:write]" {
				t.Fatalf("GET /v1/me = %v", me)
			}
		})
		t.Run(tc.name+" may ask for fewer scopes", func(t *testing.T) {
			tok := e.tokens(t, tc.send(t, "cases:read"))
			me := e.call(t, http.MethodGet, "/v1/me", tok.AccessToken, nil).object(t)
			if tok.Scope != "cases:read" || fmt.Sprint(me["scopes"]) != "[cases:read]" {
				t.Fatalf("scope = %q, GET /v1/me scopes = %v", tok.Scope, me["scopes"])
			}
		})
		t.Run(tc.name+" is refused a scope not granted", func(t *testing.T) {
			wantProblem(t, tc.send(t, "cases:read webhooks:manage"), http.StatusBadRequest, "scope")
		})
	}

	t.Run("a wrong secret is refused alike in every form", func(t *testing.T) {
		for _, r := range []response{
			e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, id, secret+"x"),
			e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {"tbs_wrong"}}, "", ""),
			e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": "tbs_wrong"}),
			e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, "tbk_unknown", secret),
		} {
			wantProblem(t, r, http.StatusUnauthorized)
		}
	})

	t.Run("a revoked client is refused", func(t *testing.T) {
		rid, rsecret := newClient(t, core.ScopeCasesRead)
		e.tokens(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, rid, rsecret))
		wantStatus(t, e.call(t, http.MethodPost, "/v1/clients/"+rid+"/revoke", admin, nil), http.StatusNoContent)
		wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, rid, rsecret), http.StatusUnauthorized)
		list := e.call(t, http.MethodGet, "/v1/clients", admin, nil)
		var body struct {
			Items []struct {
				ClientID  string     `json:"client_id"`
				RevokedAt *time.Time `json:"revoked_at"`
			} `json:"items"`
		}
		if err := json.Unmarshal(list.Body, &body); err != nil {
			t.Fatal(err)
		}
		for _, c := range body.Items {
			if (c.ClientID == rid) != (c.RevokedAt != nil) {
				t.Fatalf("GET /v1/clients = %s", list.Body)
			}
		}
	})

	t.Run("a grant type other than client_credentials and refresh_token is refused", func(t *testing.T) {
		for _, gt := range []string{"", "password", "authorization_code"} {
			wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {gt}}, id, secret), http.StatusBadRequest, "grant_type")
		}
	})

	t.Run("a standard OAuth2 client library gets a token that works", func(t *testing.T) {
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: e.srv.URL + "/v1/auth/token", Scopes: []string{"cases:read"}}
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.srv.Client())
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("clientcredentials: %v", err)
		}
		e.secret(tok.AccessToken)
		if tok.RefreshToken != "" || tok.Expiry.IsZero() || tok.Extra("scope") != "cases:read" {
			t.Fatalf("token = %+v, scope %v", tok, tok.Extra("scope"))
		}
		wantStatus(t, e.call(t, http.MethodGet, "/v1/me", tok.AccessToken, nil), http.StatusOK)
		cc.ClientSecret = "tbs_wrong"
		if _, err := cc.Token(ctx); err == nil {
			t.Fatal("a wrong secret got a token")
		}
	})

	t.Run("failed attempts lock a client, and a success forgives them", func(t *testing.T) {
		lid, lsecret := newClient(t, core.ScopeCasesRead)
		attempt := func(secret string) response {
			return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, lid, secret)
		}
		for range e.cfg.AccountFreeFailures {
			wantProblem(t, attempt("tbs_wrong"), http.StatusUnauthorized)
		}
		r := attempt(lsecret)
		wantProblem(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") != "30" {
			t.Fatalf("Retry-After = %q, want 30", r.Header.Get("Retry-After"))
		}
		e.clock.Advance(31 * time.Second)
		e.tokens(t, attempt(lsecret))
		// The slate is clean: one more mistake is just a mistake.
		wantProblem(t, attempt("tbs_wrong"), http.StatusUnauthorized)
		e.tokens(t, attempt(lsecret))
	})

	t.Run("a client cannot refresh", func(t *testing.T) {
		tok := e.tokens(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, id, secret))
		wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.AccessToken}}, "", ""), http.StatusBadRequest, "refresh_token")
	})
}

func testRefreshTokens(t *testing.T, e *env) {
	refresh := func(t *testing.T, rt string) response {
		t.Helper()
		return e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "", "")
	}

	t.Run("each refresh rotates; reuse revokes the family, newest token too", func(t *testing.T) {
		first := e.login(t, e.workerA)
		second := e.tokens(t, refresh(t, first.RefreshToken))
		if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
			t.Fatalf("refresh did not rotate: %+v", second)
		}
		wantStatus(t, e.call(t, http.MethodGet, "/v1/me", second.AccessToken, nil), http.StatusOK)
		// JSON works as well as the form.
		third := e.tokens(t, e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]string{"grant_type": "refresh_token", "refresh_token": second.RefreshToken}))

		wantProblem(t, refresh(t, first.RefreshToken), http.StatusBadRequest, "refresh_token")
		wantProblem(t, refresh(t, third.RefreshToken), http.StatusBadRequest, "refresh_token")
		wantProblem(t, refresh(t, second.RefreshToken), http.StatusBadRequest, "refresh_token")
	})

	t.Run("a citizen's refresh keeps the citizen", func(t *testing.T) {
		first := e.signInCitizen(t, "email", "refresh@example.se")
		id := e.call(t, http.MethodGet, "/v1/me", first.AccessToken, nil).object(t)["id"]
		next := e.tokens(t, refresh(t, first.RefreshToken))
		if got := e.call(t, http.MethodGet, "/v1/me", next.AccessToken, nil).object(t)["id"]; got != id {
			t.Fatalf("refreshed citizen is %v, want %v", got, id)
		}
	})

	t.Run("logout revokes, and logging out again is no error", func(t *testing.T) {
		tok := e.login(t, e.workerA)
		wantStatus(t, e.call(t, http.MethodPost, "/v1/auth/logout", "", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusNoContent)
		wantProblem(t, refresh(t, tok.RefreshToken), http.StatusBadRequest, "refresh_token")
		wantStatus(t, e.call(t, http.MethodPost, "/v1/auth/logout", "", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusNoContent)
	})

	t.Run("a refresh token expires", func(t *testing.T) {
		tok := e.login(t, e.workerA)
		e.clock.Advance(e.cfg.StaffRefreshTTL)
		wantProblem(t, refresh(t, tok.RefreshToken), http.StatusBadRequest, "refresh_token")
	})

	t.Run("garbage is refused", func(t *testing.T) {
		for _, rt := range []string{"rt_unknown", "not-a-refresh-token", strings.Repeat("a", 5000)} {
			wantProblem(t, refresh(t, rt), http.StatusBadRequest, "refresh_token")
		}
		wantProblem(t, refresh(t, ""), http.StatusBadRequest, "refresh_token")
	})
}

// ---- the caller ----

func TestMe(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		t.Run("GET", func(t *testing.T) { testMeForEachKind(t, e) })
		t.Run("PATCH", func(t *testing.T) { testUpdateProfile(t, e) })
	})
}

func testMeForEachKind(t *testing.T, e *env) {
	admin := e.login(t, e.adminA).AccessToken
	r := e.call(t, http.MethodPost, "/v1/clients", admin, map[string]any{"agency_id": agencyA, "name": "Ärendesystem", "scopes": []string{"cases:read"}})
	wantStatus(t, r, http.StatusCreated)
	client := r.object(t)
	e.secret(client["client_secret"].(string))
	clientToken := e.tokens(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}},
		client["client_id"].(string), client["client_secret"].(string))).AccessToken

	for _, tc := range []struct {
		name  string
		token func(t *testing.T) string
		want  map[string]any
		part  string
	}{
		{"a citizen", func(t *testing.T) string { return e.signInCitizen(t, "email", "me@example.se").AccessToken },
			map[string]any{"kind": "citizen"}, "citizen"},
		{"a caseworker", func(t *testing.T) string { return e.login(t, e.workerA).AccessToken },
			map[string]any{"kind": "staff", "id": e.workerA.ID, "role": "caseworker", "agency_id": agencyA}, "staff"},
		{"a system admin", func(t *testing.T) string { return e.login(t, e.sysAdmin).AccessToken },
			map[string]any{"kind": "staff", "id": e.sysAdmin.ID, "role": "system_admin"}, "staff"},
		{"a client", func(*testing.T) string { return clientToken },
			map[string]any{"kind": "client", "id": client["client_id"], "agency_id": agencyA}, "client"},
	} {
		t.Run(tc.name+" sees themself", func(t *testing.T) {
			r := e.call(t, http.MethodGet, "/v1/me", tc.token(t), nil)
			wantStatus(t, r, http.StatusOK)
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q on personal data", cc)
			}
			m := r.object(t)
			for k, v := range tc.want {
				if m[k] != v {
					t.Errorf("%s = %v, want %v (%s)", k, m[k], v, r.Body)
				}
			}
			if m[tc.part] == nil {
				t.Errorf("no %s part: %s", tc.part, r.Body)
			}
			for _, never := range []string{"password", "hash", "secret", "totp_sealed"} {
				if strings.Contains(string(r.Body), never) {
					t.Errorf("GET /v1/me mentions %q: %s", never, r.Body)
				}
			}
		})
	}
}

func testUpdateProfile(t *testing.T, e *env) {
	karinPIN := withLuhn("19811218987")
	ollePIN := withLuhn("19900101123")
	if karinPIN != "198112189876" {
		t.Fatalf("withLuhn = %s, want the known-valid 198112189876", karinPIN)
	}
	for _, s := range []string{karinPIN, karinPIN[:8] + "-" + karinPIN[8:], karinPIN[2:], ollePIN, ollePIN[:8] + "-" + ollePIN[8:], ollePIN[2:]} {
		e.secret(s)
	}
	karin := e.signInCitizen(t, "email", "karin@example.se").AccessToken
	olle := e.signInCitizen(t, "email", "olle@example.se").AccessToken
	patch := func(t *testing.T, token string, body any) response {
		t.Helper()
		return e.call(t, http.MethodPatch, "/v1/me", token, body)
	}
	citizenOf := func(t *testing.T, r response) map[string]any {
		t.Helper()
		wantStatus(t, r, http.StatusOK)
		c, _ := r.object(t)["citizen"].(map[string]any)
		if c == nil {
			t.Fatalf("no citizen in %s", r.Body)
		}
		return c
	}

	t.Run("name, phone and language change, the phone normalised", func(t *testing.T) {
		c := citizenOf(t, patch(t, karin, map[string]any{"name": "  Karin Lindqvist ", "phone": "070-123 45 67", "language": "en", "notify_sms": true}))
		if c["name"] != "Karin Lindqvist" || c["phone"] != "+46701234567" || c["language"] != "en" || c["notify_sms"] != true {
			t.Fatalf("after PATCH: %v", c)
		}
		got := citizenOf(t, e.call(t, http.MethodGet, "/v1/me", karin, nil))
		if got["name"] != "Karin Lindqvist" || got["phone"] != "+46701234567" || got["email"] != "karin@example.se" {
			t.Fatalf("GET /v1/me after PATCH: %v", got)
		}
	})

	t.Run("the personal identity number is stored, masked, and revealed on request with an audit entry", func(t *testing.T) {
		c := citizenOf(t, patch(t, karin, map[string]any{"personal_identity_number": karinPIN[:8] + "-" + karinPIN[8:]}))
		if c["personal_identity_number"] != "19811218-****" {
			t.Fatalf("PATCH answer shows %v", c["personal_identity_number"])
		}
		me := e.call(t, http.MethodGet, "/v1/me", karin, nil)
		if citizenOf(t, me)["personal_identity_number"] != "19811218-****" || strings.Contains(string(me.Body), karinPIN[8:]) {
			t.Fatalf("GET /v1/me shows %s", me.Body)
		}
		revealed := e.call(t, http.MethodGet, "/v1/me?reveal=personal_identity_number", karin, nil)
		if got := citizenOf(t, revealed)["personal_identity_number"]; got != "19811218-9876" {
			t.Fatalf("revealed number = %v", got)
		}
		id := citizenOf(t, me)["id"].(string)
		sys := e.login(t, e.sysAdmin).AccessToken
		audit := e.call(t, http.MethodGet, "/v1/audit?action=citizen.pin_revealed&target_id="+id, sys, nil)
		items := auditItems(t, audit)
		if len(items) != 1 || items[0]["actor_id"] != id || items[0]["target_kind"] != "citizen" || items[0]["actor_kind"] != "citizen" {
			t.Fatalf("audit of the reveal = %s", audit.Body)
		}
		wantProblem(t, e.call(t, http.MethodGet, "/v1/me?reveal=everything", karin, nil), http.StatusBadRequest, "reveal")
	})

	t.Run("a 10-digit number gets its century", func(t *testing.T) {
		c := citizenOf(t, patch(t, olle, map[string]any{"personal_identity_number": ollePIN[2:]}))
		if c["personal_identity_number"] != ollePIN[:8]+"-****" {
			t.Fatalf("masked = %v", c["personal_identity_number"])
		}
	})

	t.Run("another citizen's number or phone conflicts", func(t *testing.T) {
		wantProblem(t, patch(t, olle, map[string]any{"personal_identity_number": karinPIN}), http.StatusConflict)
		wantProblem(t, patch(t, olle, map[string]any{"phone": "+46701234567"}), http.StatusConflict)
		if c := citizenOf(t, e.call(t, http.MethodGet, "/v1/me", olle, nil)); c["phone"] != nil {
			t.Fatalf("a refused PATCH changed the profile: %v", c)
		}
	})

	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"a number with a wrong check digit", map[string]any{"personal_identity_number": karinPIN[:11] + "7"}, "personal_identity_number"},
		{"a number with a date that does not exist", map[string]any{"personal_identity_number": withLuhn("19810230123")}, "personal_identity_number"},
		{"a number born in the future", map[string]any{"personal_identity_number": withLuhn("20991231123")}, "personal_identity_number"},
		{"a number with letters", map[string]any{"personal_identity_number": "19811218-98X6"}, "personal_identity_number"},
		{"a phone that is no phone", map[string]any{"phone": "12"}, "phone"},
		{"a language other than sv and en", map[string]any{"language": "de"}, "language"},
		{"SMS notices without a phone", map[string]any{"phone": "", "notify_sms": true}, "notify_sms"},
		{"a name too long", map[string]any{"name": strings.Repeat("å", 201)}, "name"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			r := patch(t, olle, tc.body)
			wantProblem(t, r, http.StatusBadRequest, tc.field)
			if strings.Contains(string(r.Body), karinPIN[8:]) {
				t.Fatalf("the refusal quotes the number: %s", r.Body)
			}
		})
	}

	t.Run("a citizen cannot remove the only way to reach or identify them", func(t *testing.T) {
		sms := e.signInCitizen(t, "phone", "+46705550000").AccessToken
		wantProblem(t, patch(t, sms, map[string]any{"phone": "", "notify_sms": false}), http.StatusBadRequest, "phone")
		if c := citizenOf(t, e.call(t, http.MethodGet, "/v1/me", sms, nil)); c["phone"] != "+46705550000" {
			t.Fatalf("the phone was removed: %v", c)
		}
	})

	t.Run("a citizen from an eID without e-mail can change their profile", func(t *testing.T) {
		number := withLuhn("19700101111")
		e.secret(number)
		e.secret(number[2:])
		tok, err := e.svc.SignInWithIdentity(context.Background(), auth.ExternalIdentity{
			Issuer: "https://eid.example", Subject: "eid-1", Name: "Eva Eid", PersonalIdentityNumber: number,
		}, auth.PurposeCitizen)
		if err != nil {
			t.Fatal(err)
		}
		e.secret(tok.AccessToken)
		e.secret(tok.RefreshToken)
		c := citizenOf(t, patch(t, tok.AccessToken, map[string]any{"language": "en"}))
		if c["language"] != "en" || c["email"] != nil || c["notify_email"] != false || c["personal_identity_number"] != number[:8]+"-****" {
			t.Fatalf("after PATCH: %v", c)
		}
	})

	t.Run("staff have no profile to change here", func(t *testing.T) {
		wantProblem(t, patch(t, e.login(t, e.workerA).AccessToken, map[string]any{"name": "X"}), http.StatusForbidden)
	})
}

func auditItems(t *testing.T, r response) []map[string]any {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var body struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("audit page: %v: %s", err, r.Body)
	}
	return body.Items
}

// ---- denials ----

func TestAccessDenials(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sys := e.login(t, e.sysAdmin).AccessToken
		adminA := e.login(t, e.adminA).AccessToken
		workerA := e.login(t, e.workerA).AccessToken
		adminB := e.login(t, e.adminB).AccessToken
		citizenA := e.signInCitizen(t, "email", "a@example.se").AccessToken
		citizenB := e.signInCitizen(t, "email", "b@example.se").AccessToken
		idOf := func(token string) string {
			return e.call(t, http.MethodGet, "/v1/me", token, nil).object(t)["id"].(string)
		}
		citizenBID := idOf(citizenB)

		r := e.call(t, http.MethodPost, "/v1/clients", adminB, map[string]any{"agency_id": agencyB, "name": "B:s system", "scopes": []string{"cases:read"}})
		wantStatus(t, r, http.StatusCreated)
		clientB := r.object(t)
		e.secret(clientB["client_secret"].(string))
		clientToken := e.tokens(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}},
			clientB["client_id"].(string), clientB["client_secret"].(string))).AccessToken

		newStaffIn := func(agency, role string) map[string]string {
			return map[string]string{"email": core.NewID()[24:] + "@x.test", "name": "Ny", "role": role, "agency_id": agency}
		}

		t.Run("a citizen_id in the query does not show another citizen", func(t *testing.T) {
			r := e.call(t, http.MethodGet, "/v1/me?citizen_id="+citizenBID, citizenA, nil)
			wantStatus(t, r, http.StatusOK)
			if m := r.object(t); m["id"] == citizenBID || strings.Contains(string(r.Body), "b@example.se") {
				t.Fatalf("citizen A sees B: %s", r.Body)
			}
		})

		t.Run("a citizen_id in the body does not change another citizen", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/me", citizenA, map[string]any{"citizen_id": citizenBID, "name": "Hijacked"}), http.StatusBadRequest)
			if m := e.call(t, http.MethodGet, "/v1/me", citizenB, nil).object(t); m["citizen"].(map[string]any)["name"] == "Hijacked" {
				t.Fatal("citizen A renamed citizen B")
			}
		})

		t.Run("a citizen cannot use staff endpoints", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodGet, "/v1/staff?agency_id="+agencyA, citizenA, nil), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff", citizenA, newStaffIn(agencyA, "caseworker")), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/me/totp", citizenA, nil), http.StatusForbidden)
		})

		t.Run("an agency_id in the query does not widen a caseworker's view", func(t *testing.T) {
			wantStatus(t, e.call(t, http.MethodGet, "/v1/staff", workerA, nil), http.StatusOK)
			wantProblem(t, e.call(t, http.MethodGet, "/v1/staff?agency_id="+agencyB, workerA, nil), http.StatusForbidden)
		})

		t.Run("an agency admin cannot create a client for another agency", func(t *testing.T) {
			r := e.call(t, http.MethodPost, "/v1/clients", adminA, map[string]any{"agency_id": agencyB, "name": "Smuggled", "scopes": []string{"cases:read"}})
			wantProblem(t, r, http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodGet, "/v1/clients?agency_id="+agencyB, adminA, nil), http.StatusForbidden)
		})

		t.Run("an agency admin cannot revoke another agency's client", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodPost, "/v1/clients/"+clientB["client_id"].(string)+"/revoke", adminA, nil), http.StatusForbidden)
			e.tokens(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, clientB["client_id"].(string), clientB["client_secret"].(string)))
		})

		t.Run("an agency admin cannot create staff in another agency", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff", adminA, newStaffIn(agencyB, "caseworker")), http.StatusForbidden)
		})

		t.Run("an agency admin cannot update or reset staff of another agency", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+e.workerB.ID, adminA, map[string]any{"disabled": true}), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+e.workerB.ID, adminA, map[string]any{"role": "agency_admin"}), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff/"+e.workerB.ID+"/reset-password", adminA, nil), http.StatusForbidden)
			e.login(t, e.workerB) // untouched
		})

		t.Run("an agency admin cannot create, change or reset a system admin", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff", adminA, newStaffIn("", "system_admin")), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff", adminA, newStaffIn(agencyA, "system_admin")), http.StatusBadRequest, "agency_id")
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+e.sysAdmin.ID, adminA, map[string]any{"disabled": true}), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff/"+e.sysAdmin.ID+"/reset-password", adminA, nil), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+e.workerA.ID, adminA, map[string]any{"role": "system_admin"}), http.StatusBadRequest, "role")
		})

		t.Run("a caseworker cannot create staff or clients, or change staff", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff", workerA, newStaffIn(agencyA, "caseworker")), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/clients", workerA, map[string]any{"agency_id": agencyA, "name": "X", "scopes": []string{"cases:read"}}), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+e.adminA.ID, workerA, map[string]any{"disabled": true}), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff/"+e.adminA.ID+"/reset-password", workerA, nil), http.StatusForbidden)
			wantProblem(t, e.call(t, http.MethodGet, "/v1/clients", workerA, nil), http.StatusForbidden)
		})

		t.Run("a client token cannot use the staff admin endpoints", func(t *testing.T) {
			for _, r := range []response{
				e.call(t, http.MethodGet, "/v1/staff", clientToken, nil),
				e.call(t, http.MethodGet, "/v1/staff?agency_id="+agencyB, clientToken, nil),
				e.call(t, http.MethodPost, "/v1/staff", clientToken, newStaffIn(agencyB, "caseworker")),
				e.call(t, http.MethodPatch, "/v1/staff/"+e.workerB.ID, clientToken, map[string]any{"disabled": true}),
				e.call(t, http.MethodPost, "/v1/staff/"+e.workerB.ID+"/reset-password", clientToken, nil),
				e.call(t, http.MethodPost, "/v1/clients", clientToken, map[string]any{"agency_id": agencyB, "name": "X", "scopes": []string{"cases:read"}}),
				e.call(t, http.MethodGet, "/v1/clients", clientToken, nil),
				e.call(t, http.MethodPatch, "/v1/me", clientToken, map[string]any{"name": "X"}),
			} {
				wantProblem(t, r, http.StatusForbidden)
			}
		})

		t.Run("only a system admin reads the audit log", func(t *testing.T) {
			wantStatus(t, e.call(t, http.MethodGet, "/v1/audit", sys, nil), http.StatusOK)
			for name, token := range map[string]string{"agency admin": adminA, "caseworker": workerA, "citizen": citizenA, "client": clientToken} {
				if r := e.call(t, http.MethodGet, "/v1/audit", token, nil); r.Status != http.StatusForbidden {
					t.Errorf("%s: %s", name, r)
				}
			}
		})

		t.Run("an anonymous caller is asked to sign in", func(t *testing.T) {
			for _, rq := range []struct{ method, path string }{
				{http.MethodGet, "/v1/me"}, {http.MethodPatch, "/v1/me"}, {http.MethodGet, "/v1/staff?agency_id=" + agencyA},
				{http.MethodPost, "/v1/staff"}, {http.MethodPost, "/v1/clients"}, {http.MethodGet, "/v1/audit"},
				{http.MethodPost, "/v1/me/totp"}, {http.MethodPost, "/v1/staff/" + e.workerA.ID + "/reset-password"},
				// Nothing about the request is looked at before the caller is known:
				// not the body, not whether an account exists.
				{http.MethodGet, "/v1/staff"}, {http.MethodGet, "/v1/clients"},
				{http.MethodPost, "/v1/staff/" + core.NewID() + "/reset-password"}, {http.MethodPatch, "/v1/staff/" + core.NewID()},
				{http.MethodPost, "/v1/clients/tbk_unknown/revoke"},
			} {
				var body any
				if rq.method != http.MethodGet {
					body = map[string]any{}
				}
				r := e.call(t, rq.method, rq.path, "", body)
				if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: %s (WWW-Authenticate %q)", rq.method, rq.path, r, r.Header.Get("WWW-Authenticate"))
				}
			}
		})
	})
}

// ---- tokens ----

func TestAccessTokens(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		t.Run("refusals", func(t *testing.T) { testTokenRefusals(t, e) })
		t.Run("key rotation", func(t *testing.T) { testKeyRotation(t, e) })
	})
}

func testTokenRefusals(t *testing.T, e *env) {
	good := e.login(t, e.workerA).AccessToken
	wantStatus(t, e.call(t, http.MethodGet, "/v1/me", good, nil), http.StatusOK)
	parts := strings.Split(good, ".")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	header := func(h map[string]any) string {
		b, _ := json.Marshal(h)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	var kid string
	if hb, err := base64.RawURLEncoding.DecodeString(parts[0]); err == nil {
		var h map[string]any
		_ = json.Unmarshal(hb, &h)
		kid, _ = h["kid"].(string)
	}
	if kid == "" {
		t.Fatalf("token has no kid: %s", good)
	}

	for _, tc := range []struct{ name, token string }{
		{"a flipped byte in the signature", parts[0] + "." + parts[1] + "." + flip(parts[2], len(parts[2])/2)},
		{"a flipped byte in the claims", parts[0] + "." + flip(parts[1], len(parts[1])/2) + "." + parts[2]},
		{"alg none without a signature", header(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + parts[1] + "."},
		{"alg none with the old signature", header(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + parts[1] + "." + parts[2]},
		{"an unknown kid", header(map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": "unknown"}) + "." + parts[1] + "." + parts[2]},
		{"garbage", "not-a-jwt"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			r := e.call(t, http.MethodGet, "/v1/me", tc.token, nil)
			wantProblem(t, r, http.StatusUnauthorized)
			if !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Fatalf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("refuses an expired token", func(t *testing.T) {
		e.clock.Advance(e.cfg.AccessTTL - time.Second)
		wantStatus(t, e.call(t, http.MethodGet, "/v1/me", good, nil), http.StatusOK)
		e.clock.Advance(tokens.DefaultLeeway + 2*time.Second)
		r := e.call(t, http.MethodGet, "/v1/me", good, nil)
		wantProblem(t, r, http.StatusUnauthorized)
		if !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
		}
	})
}

func testKeyRotation(t *testing.T, e *env) {
	kidOf := func(t *testing.T, token string) string {
		t.Helper()
		hb, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
		if err != nil {
			t.Fatal(err)
		}
		var h map[string]any
		if err := json.Unmarshal(hb, &h); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(h["kid"])
	}
	jwksKids := func(t *testing.T) []string {
		t.Helper()
		r := e.call(t, http.MethodGet, tokens.JWKSPath, "", nil)
		wantStatus(t, r, http.StatusOK)
		set, err := tokens.ParseJWKS(r.Body)
		if err != nil {
			t.Fatalf("JWKS: %v: %s", err, r.Body)
		}
		var kids []string
		for _, k := range set.Keys() {
			kids = append(kids, k.KID)
		}
		slices.Sort(kids)
		return kids
	}
	old := e.login(t, e.workerA).AccessToken
	oldKid := kidOf(t, old)
	if got := jwksKids(t); !slices.Equal(got, []string{oldKid}) {
		t.Fatalf("JWKS before rotation = %v, want [%s]", got, oldKid)
	}

	newKid, err := e.svc.RotateSigningKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if got, want := jwksKids(t), []string{newKid, oldKid}; !slices.Equal(got, sorted(want)) {
		t.Fatalf("JWKS after rotation = %v, want %v", got, sorted(want))
	}
	wantStatus(t, e.call(t, http.MethodGet, "/v1/me", old, nil), http.StatusOK)
	fresh := e.login(t, e.workerA).AccessToken
	if kidOf(t, fresh) != newKid {
		t.Fatalf("a new token carries kid %s, want %s", kidOf(t, fresh), newKid)
	}
	wantStatus(t, e.call(t, http.MethodGet, "/v1/me", fresh, nil), http.StatusOK)

	// Once every token of the old key has expired, it is no longer published.
	e.clock.Advance(e.cfg.AccessTTL + tokens.DefaultLeeway)
	if got := jwksKids(t); !slices.Equal(got, []string{newKid}) {
		t.Fatalf("JWKS after the old key's tokens expired = %v, want [%s]", got, newKid)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// ---- bad input ----

func TestBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		sys := e.login(t, e.sysAdmin).AccessToken
		worker := e.login(t, e.workerA).AccessToken
		citizen := e.signInCitizen(t, "email", "bad@example.se").AccessToken
		staffPath := "/v1/staff/" + e.workerA.ID

		endpoints := []struct {
			method, path, token string
			missing             []string // fields an empty object lacks
		}{
			{http.MethodPost, "/v1/auth/citizen/code", "", []string{"email"}},
			{http.MethodPost, "/v1/auth/citizen/verify", "", []string{"challenge_id", "code"}},
			{http.MethodPost, "/v1/auth/login", "", []string{"email", "password"}},
			{http.MethodPost, "/v1/auth/token", "", []string{"grant_type"}},
			{http.MethodPost, "/v1/auth/logout", "", []string{"refresh_token"}},
			{http.MethodPatch, "/v1/me", citizen, nil},
			{http.MethodPost, "/v1/me/password", worker, []string{"new_password"}},
			{http.MethodPost, "/v1/me/totp/confirm", worker, nil},
			{http.MethodPost, "/v1/staff", sys, []string{"email", "name", "role", "agency_id"}},
			{http.MethodPatch, staffPath, sys, nil},
			{http.MethodPost, "/v1/clients", sys, []string{"agency_id", "name", "scopes"}},
		}
		send := func(t *testing.T, method, path, token, contentType, body string) response {
			t.Helper()
			req := e.newRequest(t, method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			return e.do(t, req)
		}
		oversized := `{"name":"` + strings.Repeat("a", httpkit.MaxBodyBytes) + `"}`

		for _, ep := range endpoints {
			t.Run(ep.method+" "+ep.path, func(t *testing.T) {
				for _, tc := range []struct {
					name, contentType, body string
					status                  int
					field                   string
				}{
					{"malformed JSON", "application/json", `{"email":`, 400, "body"},
					{"broken JSON", "application/json", `{"email" "x"}`, 400, "body"},
					{"an unknown field", "application/json", `{"is_admin":true}`, 400, "is_admin"},
					{"an array", "application/json", `[]`, 400, "body"},
					{"two objects", "application/json", `{}{}`, 400, "body"},
					{"an empty body", "application/json", ``, 400, "body"},
					{"a wrong type", "application/json", `{"name":42,"email":42,"code":42}`, 400, ""},
					{"text/plain", "text/plain", `{}`, 415, ""},
					{"no content type", "", `{}`, 415, ""},
				} {
					r := send(t, ep.method, ep.path, ep.token, tc.contentType, tc.body)
					if r.Status != tc.status || r.Header.Get("Content-Type") != httpkit.ProblemContentType {
						t.Errorf("%s: %s", tc.name, r)
						continue
					}
					if tc.field != "" && !slices.Contains(problemFields(r.object(t)), tc.field) {
						t.Errorf("%s: problem does not name %q: %s", tc.name, tc.field, r.Body)
					}
				}
				if ep.missing != nil {
					wantProblem(t, send(t, ep.method, ep.path, ep.token, "application/json", `{}`), http.StatusBadRequest, ep.missing...)
				}
			})
		}

		// Every JSON body goes through one decoder; one route of each kind
		// (anonymous, signed in, admin) shows it, as 1 MiB costs under -race.
		t.Run("an oversized body is refused", func(t *testing.T) {
			for _, ep := range []struct{ method, path, token string }{
				{http.MethodPost, "/v1/auth/login", ""},
				{http.MethodPost, "/v1/auth/token", ""},
				{http.MethodPatch, "/v1/me", citizen},
				{http.MethodPost, "/v1/staff", sys},
			} {
				wantProblem(t, send(t, ep.method, ep.path, ep.token, "application/json", oversized), http.StatusRequestEntityTooLarge)
			}
		})

		t.Run("an oversized form is refused", func(t *testing.T) {
			r := send(t, http.MethodPost, "/v1/auth/token", "", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id="+strings.Repeat("a", httpkit.MaxBodyBytes))
			wantProblem(t, r, http.StatusRequestEntityTooLarge)
		})

		t.Run("a malformed form is refused", func(t *testing.T) {
			wantProblem(t, send(t, http.MethodPost, "/v1/auth/token", "", "application/x-www-form-urlencoded", "grant_type=%zz"), http.StatusBadRequest)
		})

		t.Run("the token endpoint refuses unknown JSON fields", func(t *testing.T) {
			r := e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]any{"grant_type": "client_credentials", "client_id": "tbk_x", "client_secret": "s", "scopes": []string{"cases:read"}})
			wantProblem(t, r, http.StatusBadRequest, "scopes")
		})

		// Odd values must be refused or treated as unknown, never crash a
		// query: a NUL byte is valid JSON but not valid PostgreSQL text.
		odd := []string{"\x00", "a\x00b@example.se", "\xff\xfe", strings.Repeat("x", 10_000), "'; DROP TABLE auth_staff; --", "\u202e", "😀"}
		t.Run("odd strings never cause a server error", func(t *testing.T) {
			for i, s := range odd {
				for _, r := range []response{
					e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": s, "password": s}),
					e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{"email": s}),
					e.call(t, http.MethodPost, "/v1/auth/citizen/code", "", map[string]string{"phone": s}),
					e.call(t, http.MethodPost, "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": s, "code": s}),
					e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": s, "client_secret": s}),
					e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, s, s),
					e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"tbk_" + s}, "client_secret": {s}}, "", ""),
					e.call(t, http.MethodPost, "/v1/auth/token", "", map[string]string{"grant_type": "refresh_token", "refresh_token": "rt_" + s}),
					e.call(t, http.MethodPost, "/v1/auth/logout", "", map[string]string{"refresh_token": s}),
					e.call(t, http.MethodPatch, "/v1/me", citizen, map[string]string{"name": s}),
					e.call(t, http.MethodPatch, "/v1/me", citizen, map[string]string{"personal_identity_number": s}),
					e.call(t, http.MethodPost, "/v1/staff", sys, map[string]string{"email": s + "@x.test", "name": "X", "role": "caseworker", "agency_id": agencyA}),
					e.call(t, http.MethodPost, "/v1/staff", sys, map[string]string{"email": fmt.Sprintf("odd%d@x.test", i), "name": s, "role": "caseworker", "agency_id": agencyA}),
					e.call(t, http.MethodPost, "/v1/staff", sys, map[string]string{"email": fmt.Sprintf("odd%d@x.test", i), "name": s, "role": s, "agency_id": s}),
					e.call(t, http.MethodPatch, staffPath, sys, map[string]string{"name": s}),
					e.call(t, http.MethodPost, "/v1/clients", sys, map[string]any{"agency_id": agencyA, "name": s, "scopes": []string{"cases:read"}}),
					e.call(t, http.MethodGet, "/v1/audit?actor_id="+url.QueryEscape(s)+"&target_id="+url.QueryEscape(s)+"&action="+url.QueryEscape(s), sys, nil),
					e.call(t, http.MethodGet, "/v1/staff?agency_id="+url.QueryEscape(s), sys, nil),
					e.call(t, http.MethodPost, "/v1/clients/tbk_"+url.PathEscape(s)+"/revoke", sys, nil),
				} {
					if r.Status >= 500 {
						t.Errorf("%q: %s", s, r)
					}
				}
			}
		})

		t.Run("malformed query parameters are refused, naming them", func(t *testing.T) {
			for _, tc := range []struct{ path, field string }{
				{"/v1/audit?limit=0", "limit"},
				{"/v1/audit?limit=501", "limit"},
				{"/v1/audit?limit=abc", "limit"},
				{"/v1/audit?from=yesterday", "from"},
				{"/v1/audit?cursor=%21%21", "cursor"},
				{"/v1/audit?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("[1,2]")), "cursor"},
				{"/v1/audit?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"t":"2026-05-04T09:00:00Z","i":"\u0000"}`)), "cursor"},
				{"/v1/audit?actor_id=%FF", "actor_id"},
				{"/v1/audit?a=%zz", "query"},
				{"/v1/staff?agency_id=nope", "agency_id"},
			} {
				wantProblem(t, e.call(t, http.MethodGet, tc.path, sys, nil), http.StatusBadRequest, tc.field)
			}
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/not-a-uuid", sys, map[string]any{}), http.StatusBadRequest, "id")
			wantProblem(t, e.call(t, http.MethodPost, "/v1/clients/nope/revoke", sys, nil), http.StatusBadRequest, "id")
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+core.NewID(), sys, map[string]any{}), http.StatusNotFound)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/clients/tbk_unknown/revoke", sys, nil), http.StatusNotFound)
		})
	})
}

// ---- staff administration and the audit log ----

func TestStaffAdministration(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.login(t, e.adminA).AccessToken

		t.Run("an agency admin creates a caseworker with a generated password shown once", func(t *testing.T) {
			r := e.call(t, http.MethodPost, "/v1/staff", admin, map[string]string{"email": "New@A.test", "name": "Ny", "role": "caseworker", "agency_id": agencyA})
			wantStatus(t, r, http.StatusCreated)
			m := r.object(t)
			pw, _ := m["initial_password"].(string)
			e.secret(pw)
			if len(pw) < auth.MinPasswordLength || m["email"] != "new@a.test" || m["agency_id"] != agencyA {
				t.Fatalf("POST /v1/staff = %s", r.Body)
			}
			e.login(t, account{Email: "new@a.test", Password: pw})
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff", admin, map[string]string{"email": "new@a.test", "name": "Ny", "role": "caseworker", "agency_id": agencyA}), http.StatusConflict)
		})

		t.Run("a chosen password is not echoed, and a short one is refused", func(t *testing.T) {
			pw := "chosen-password-" + core.NewID()[24:]
			e.secret(pw)
			r := e.call(t, http.MethodPost, "/v1/staff", admin, map[string]string{"email": "chosen@a.test", "name": "Vald", "role": "agency_admin", "agency_id": agencyA, "password": pw})
			wantStatus(t, r, http.StatusCreated)
			if strings.Contains(string(r.Body), pw) || strings.Contains(string(r.Body), "initial_password") {
				t.Fatalf("the answer echoes the password: %s", r.Body)
			}
			wantProblem(t, e.call(t, http.MethodPost, "/v1/staff", admin, map[string]string{"email": "short@a.test", "name": "K", "role": "caseworker", "agency_id": agencyA, "password": "short"}), http.StatusBadRequest, "password")
		})

		t.Run("a reset password replaces the old one and signs the account out", func(t *testing.T) {
			before := e.login(t, e.workerA)
			r := e.call(t, http.MethodPost, "/v1/staff/"+e.workerA.ID+"/reset-password", admin, nil)
			wantStatus(t, r, http.StatusOK)
			pw, _ := r.object(t)["temporary_password"].(string)
			e.secret(pw)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": e.workerA.Email, "password": e.workerA.Password}), http.StatusUnauthorized)
			wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {before.RefreshToken}}, "", ""), http.StatusBadRequest, "refresh_token")
			e.workerA.Password = pw
			e.login(t, e.workerA)
		})

		t.Run("staff change their own password", func(t *testing.T) {
			tok := e.login(t, e.workerA).AccessToken
			next := "my-own-new-password-" + core.NewID()[24:]
			e.secret(next)
			wantProblem(t, e.call(t, http.MethodPost, "/v1/me/password", tok, map[string]string{"current_password": "wrong-password", "new_password": next}), http.StatusBadRequest, "current_password")
			wantStatus(t, e.call(t, http.MethodPost, "/v1/me/password", tok, map[string]string{"current_password": e.workerA.Password, "new_password": next}), http.StatusNoContent)
			e.workerA.Password = next
			e.login(t, e.workerA)
		})

		t.Run("a role change takes effect at the next refresh", func(t *testing.T) {
			tok := e.login(t, e.workerA)
			r := e.call(t, http.MethodPatch, "/v1/staff/"+e.workerA.ID, admin, map[string]any{"role": "agency_admin", "name": "Hanna Admin"})
			wantStatus(t, r, http.StatusOK)
			if m := r.object(t); m["role"] != "agency_admin" || m["name"] != "Hanna Admin" {
				t.Fatalf("PATCH = %s", r.Body)
			}
			// The change signs the account out everywhere.
			wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "", ""), http.StatusBadRequest, "refresh_token")
			me := e.call(t, http.MethodGet, "/v1/me", e.login(t, e.workerA).AccessToken, nil).object(t)
			if me["role"] != "agency_admin" {
				t.Fatalf("GET /v1/me after the change = %v", me)
			}
		})

		t.Run("an admin cannot disable themself or change their own role", func(t *testing.T) {
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+e.adminA.ID, admin, map[string]any{"disabled": true}), http.StatusBadRequest, "disabled")
			wantProblem(t, e.call(t, http.MethodPatch, "/v1/staff/"+e.adminA.ID, admin, map[string]any{"role": "caseworker"}), http.StatusBadRequest, "role")
		})

		t.Run("the list shows the agency's staff without secrets", func(t *testing.T) {
			r := e.call(t, http.MethodGet, "/v1/staff", admin, nil)
			wantStatus(t, r, http.StatusOK)
			body := string(r.Body)
			if !strings.Contains(body, e.adminA.Email) || strings.Contains(body, e.adminB.Email) || strings.Contains(body, "argon2") || strings.Contains(body, "password") {
				t.Fatalf("GET /v1/staff = %s", body)
			}
		})
	})
}

func TestAuditTrail(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		karinPIN := withLuhn("19811218987")
		for _, s := range []string{karinPIN, karinPIN[:8] + "-" + karinPIN[8:], karinPIN[2:]} {
			e.secret(s)
		}

		// A day of work, with something of every kind the audit must hold.
		citizen := e.signInCitizen(t, "email", "karin@example.se")
		wantStatus(t, e.call(t, http.MethodPatch, "/v1/me", citizen.AccessToken, map[string]string{"personal_identity_number": karinPIN}), http.StatusOK)
		wantStatus(t, e.call(t, http.MethodGet, "/v1/me?reveal=personal_identity_number", citizen.AccessToken, nil), http.StatusOK)
		id := e.requestCode(t, "phone", "+46701234567")
		code := e.lastCode(t, "phone", "+46701234567")
		wantProblem(t, e.call(t, http.MethodPost, "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": id, "code": wrongCode(code)}), http.StatusUnauthorized)
		wantProblem(t, e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": e.workerA.Email, "password": "wrong-password-1"}), http.StatusUnauthorized)
		wantProblem(t, e.call(t, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": "nobody@a.test", "password": "wrong-password-2"}), http.StatusUnauthorized)
		admin := e.login(t, e.adminA)
		r := e.call(t, http.MethodPost, "/v1/staff", admin.AccessToken, map[string]string{"email": "new@a.test", "name": "Ny", "role": "caseworker", "agency_id": agencyA})
		wantStatus(t, r, http.StatusCreated)
		newStaff := r.object(t)
		e.secret(newStaff["initial_password"].(string))
		wantStatus(t, e.call(t, http.MethodPatch, "/v1/staff/"+newStaff["id"].(string), admin.AccessToken, map[string]any{"disabled": true}), http.StatusOK)
		r = e.call(t, http.MethodPost, "/v1/staff/"+e.workerA.ID+"/reset-password", admin.AccessToken, nil)
		wantStatus(t, r, http.StatusOK)
		e.secret(r.object(t)["temporary_password"].(string))
		r = e.call(t, http.MethodPost, "/v1/clients", admin.AccessToken, map[string]any{"agency_id": agencyA, "name": "System", "scopes": []string{"cases:read"}})
		wantStatus(t, r, http.StatusCreated)
		client := r.object(t)
		clientID, clientSecret := client["client_id"].(string), client["client_secret"].(string)
		e.secret(clientSecret)
		e.tokens(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, clientSecret))
		wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"client_credentials"}}, clientID, "tbs_wrong-secret-value"), http.StatusUnauthorized)
		wantStatus(t, e.call(t, http.MethodPost, "/v1/clients/"+clientID+"/revoke", admin.AccessToken, nil), http.StatusNoContent)
		e.tokens(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {admin.RefreshToken}}, "", ""))
		wantProblem(t, e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {admin.RefreshToken}}, "", ""), http.StatusBadRequest, "refresh_token")
		wantStatus(t, e.call(t, http.MethodPost, "/v1/auth/logout", "", map[string]string{"refresh_token": citizen.RefreshToken}), http.StatusNoContent)

		sys := e.login(t, e.sysAdmin).AccessToken
		list := func(t *testing.T, query string) []map[string]any {
			t.Helper()
			return auditItems(t, e.call(t, http.MethodGet, "/v1/audit?"+query, sys, nil))
		}

		for _, tc := range []struct {
			action, actor, target, outcome string
		}{
			{"auth.code_requested", "anonymous", "", "success"},
			{"auth.login", "citizen", "", "success"},
			{"citizen.profile_updated", "citizen", "", "success"},
			{"citizen.pin_revealed", "citizen", "", "success"},
			{"auth.code_failed", "anonymous", "", "failure"},
			{"auth.login_failed", "anonymous", e.workerA.ID, "failure"},
			{"auth.login", "staff", e.adminA.ID, "success"},
			{"staff.created", "staff", newStaff["id"].(string), "success"},
			{"staff.updated", "staff", newStaff["id"].(string), "success"},
			{"staff.password_reset", "staff", e.workerA.ID, "success"},
			{"auth.client_created", "staff", clientID, "success"},
			{"auth.token_issued", "client", clientID, "success"},
			{"auth.client_failed", "anonymous", clientID, "failure"},
			{"auth.client_revoked", "staff", clientID, "success"},
			{"auth.refresh_reuse", "staff", "", "denied"},
			{"auth.logout", "citizen", "", "success"},
		} {
			t.Run("holds "+tc.action+" by "+tc.actor, func(t *testing.T) {
				q := url.Values{"action": {tc.action}}
				if tc.target != "" {
					q.Set("target_id", tc.target)
				}
				items := list(t, q.Encode())
				found := slices.ContainsFunc(items, func(m map[string]any) bool {
					return m["actor_kind"] == tc.actor && m["outcome"] == tc.outcome && m["client_ip"] != "" && m["request_id"] != ""
				})
				if !found {
					t.Fatalf("no %s entry by %s with outcome %s: %v", tc.action, tc.actor, tc.outcome, items)
				}
			})
		}

		t.Run("an unknown account's failed sign-in is recorded without a target", func(t *testing.T) {
			items := list(t, "action=auth.login_failed")
			if len(items) != 2 {
				t.Fatalf("%d failed logins, want 2: %v", len(items), items)
			}
		})

		t.Run("admin changes name who made them and for which agency", func(t *testing.T) {
			items := list(t, "action=staff.created&target_id="+newStaff["id"].(string))
			if len(items) != 1 || items[0]["actor_id"] != e.adminA.ID || items[0]["agency_id"] != agencyA || !strings.Contains(fmt.Sprint(items[0]["detail"]), "caseworker") {
				t.Fatalf("staff.created = %v", items)
			}
		})

		t.Run("pages follow the cursor without gaps or repeats", func(t *testing.T) {
			all := list(t, "limit=500")
			var paged []any
			cursor := ""
			for range 100 {
				q := url.Values{"limit": {"3"}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				r := e.call(t, http.MethodGet, "/v1/audit?"+q.Encode(), sys, nil)
				items := auditItems(t, r)
				for _, it := range items {
					paged = append(paged, it["id"])
				}
				cursor, _ = r.object(t)["next_cursor"].(string)
				if cursor == "" {
					break
				}
			}
			var want []any
			for _, it := range all {
				want = append(want, it["id"])
			}
			if len(want) < 20 || fmt.Sprint(paged) != fmt.Sprint(want) {
				t.Fatalf("paged %d ids, listed %d:\n%v\n%v", len(paged), len(want), paged, want)
			}
		})

		t.Run("the time filter is inclusive from, exclusive to", func(t *testing.T) {
			now := e.clock.Now()
			if n := len(list(t, "limit=500&from="+url.QueryEscape(now.Format(time.RFC3339)))); n == 0 {
				t.Fatal("nothing from now on")
			}
			if n := len(list(t, "limit=500&to="+url.QueryEscape(now.Format(time.RFC3339)))); n != 0 {
				t.Fatalf("%d entries before now, want 0", n)
			}
		})
		// The environment's cleanup scans every audit row and the log for
		// every password, secret, code, token and number used above.
	})
}

// Changing the password needs the current one, and guessing it through a
// stolen access token locks like failed sign-ins; a change signs other
// sessions out.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct := e.seedStaff(t, "byter@a.test", core.RoleCaseworker, agencyA)
		first := e.login(t, acct)
		other := e.login(t, acct)
		change := func(current string) response {
			return e.call(t, http.MethodPost, "/v1/me/password", first.AccessToken,
				map[string]string{"current_password": current, "new_password": "a-brand-new-password"})
		}
		for i := 0; i < 5; i++ {
			wantProblem(t, change("not-the-current-one"), http.StatusBadRequest, "current_password")
		}
		r := change("still-not-the-current-one")
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("after repeated wrong current passwords: %s", r)
		}
		e.clock.Advance(2 * time.Hour)
		first = e.login(t, acct)
		wantStatus(t, change(acct.Password), http.StatusNoContent)
		refreshed := e.form(t, "/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {other.RefreshToken}}, "", "")
		wantProblem(t, refreshed, http.StatusBadRequest, "refresh_token")
	})
}
