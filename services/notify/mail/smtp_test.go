package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/mail"
)

const (
	relayUser = "bokning"
	// The password has a letter that must be escaped in a URL, and is
	// searched for in every error to prove none shows it.
	relayPassword = "hemligt-lösen-42"
)

func credentials(password string) string {
	return url.UserPassword(relayUser, password).String() + "@"
}

// newMailer builds an SMTPMailer with a short timeout, so a test that goes
// wrong fails fast instead of waiting DefaultTimeout.
func newMailer(t *testing.T, rawURL string, opts ...mail.SMTPOption) *mail.SMTPMailer {
	t.Helper()
	m, err := mail.NewSMTPMailer(rawURL, append([]mail.SMTPOption{mail.WithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func onlyMessage(t *testing.T, ts *testServer) received {
	t.Helper()
	got := ts.Received()
	if len(got) != 1 {
		t.Fatalf("the server received %d messages, want 1", len(got))
	}
	return got[0]
}

func TestSMTPMailerDeliversAnInvitationThatParses(t *testing.T) {
	ts := startServer(t, serverConfig{})
	// The default (opportunistic STARTTLS) must still deliver to a relay that
	// offers no TLS, such as Mailpit in development.
	mailer := newMailer(t, "smtp://"+ts.Addr)
	m := invitation("<inbjudan-1@exempelby.se>")

	if err := mailer.Send(testContext(t), m); err != nil {
		t.Fatal(err)
	}

	r := onlyMessage(t, ts)
	if r.From != m.From.Email || len(r.To) != 1 || r.To[0] != m.To[0].Email {
		t.Errorf("envelope = %s -> %v, want %s -> [%s]", r.From, r.To, m.From.Email, m.To[0].Email)
	}
	if got := r.Mail.Root.tree(); got != invitationTree {
		t.Errorf("MIME tree = %s, want %s", got, invitationTree)
	}
	assertHeaders(t, r.Mail, m)
	assertBodies(t, r.Mail.Root, m)
	assertWireSafe(t, r.Raw)
}

func TestSMTPMailerUsesTLSAndAuthenticates(t *testing.T) {
	cert, roots := selfSignedCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	tests := []struct {
		name   string
		server serverConfig
		url    func(addr string) string
	}{
		{
			name:   "starttls=required upgrades before AUTH",
			server: serverConfig{tls: serverTLS, user: relayUser, password: relayPassword},
			url:    func(addr string) string { return "smtp://" + credentials(relayPassword) + addr + "?starttls=required" },
		},
		{
			name:   "opportunistic STARTTLS, the default, upgrades when offered",
			server: serverConfig{tls: serverTLS, user: relayUser, password: relayPassword},
			url:    func(addr string) string { return "smtp://" + credentials(relayPassword) + addr },
		},
		{
			name:   "smtps speaks TLS from the first byte",
			server: serverConfig{tls: serverTLS, implicitTLS: true, user: relayUser, password: relayPassword},
			url:    func(addr string) string { return "smtps://" + credentials(relayPassword) + addr },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.server)
			mailer := newMailer(t, tc.url(ts.Addr), mail.WithTLSConfig(&tls.Config{RootCAs: roots}))
			// Twice: in opportunistic mode the second Send skips the probe.
			sent := []notify.Message{invitation("<tls-1@exempelby.se>"), testMessage("<tls-2@exempelby.se>")}
			for _, m := range sent {
				if err := mailer.Send(testContext(t), m); err != nil {
					t.Fatal(err)
				}
			}
			got := ts.Received()
			if len(got) != len(sent) {
				t.Fatalf("received %d messages, want %d", len(got), len(sent))
			}
			for i, r := range got {
				if !r.TLS {
					t.Errorf("message %d arrived without TLS", i)
				}
				if r.AuthUser != relayUser {
					t.Errorf("message %d: authenticated as %q, want %q", i, r.AuthUser, relayUser)
				}
				assertHeaders(t, r.Mail, sent[i])
				assertBodies(t, r.Mail.Root, sent[i])
			}
		})
	}
}

func TestSMTPMailerAuthenticatesWithoutTLSOnlyToLoopback(t *testing.T) {
	ts := startServer(t, serverConfig{user: relayUser, password: relayPassword, allowInsecureAuth: true})
	mailer := newMailer(t, "smtp://"+credentials(relayPassword)+ts.Addr+"?starttls=none")

	if err := mailer.Send(testContext(t), testMessage("<loopback@exempelby.se>")); err != nil {
		t.Fatal(err)
	}

	if r := onlyMessage(t, ts); r.AuthUser != relayUser || r.TLS {
		t.Errorf("authenticated as %q with TLS %v, want %q without TLS", r.AuthUser, r.TLS, relayUser)
	}
	// The same URL for a remote host is refused before anything is sent.
	_, err := mail.NewSMTPMailer("smtp://" + credentials(relayPassword) + "mail.exempelby.se:587?starttls=none")
	if !errors.Is(err, core.ErrInvalid) {
		t.Errorf("plaintext password to a remote host: err = %v, want ErrInvalid", err)
	}
}

func TestSMTPMailerSortsFailuresIntoPermanentAndTransient(t *testing.T) {
	cert, roots := selfSignedCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	trustRoots := mail.WithTLSConfig(&tls.Config{RootCAs: roots})
	refuse := func(code int, enhanced smtp.EnhancedCode, msg string) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}
	}
	twoRecipients := func() notify.Message {
		m := invitation("<two@exempelby.se>")
		m.To = append(m.To, notify.Address{Name: "Okänd", Email: "okand@example.se"})
		return m
	}

	tests := []struct {
		name      string
		server    *serverConfig // nil: nothing listens
		url       func(addr string) string
		opts      []mail.SMTPOption
		message   func() notify.Message
		permanent bool
	}{
		{
			name:      "starttls=required against a relay without TLS is permanent",
			server:    &serverConfig{},
			url:       func(addr string) string { return "smtp://" + addr + "?starttls=required" },
			permanent: true,
		},
		{
			name:      "a wrong password is permanent",
			server:    &serverConfig{tls: serverTLS, user: relayUser, password: "något-annat"},
			url:       func(addr string) string { return "smtp://" + credentials(relayPassword) + addr + "?starttls=required" },
			opts:      []mail.SMTPOption{trustRoots},
			permanent: true,
		},
		{
			name:      "an untrusted certificate is permanent",
			server:    &serverConfig{tls: serverTLS},
			url:       func(addr string) string { return "smtp://" + addr + "?starttls=required" },
			permanent: true,
		},
		{
			name:      "credentials for a relay that offers no AUTH are permanent",
			server:    &serverConfig{tls: serverTLS},
			url:       func(addr string) string { return "smtp://" + credentials(relayPassword) + addr },
			opts:      []mail.SMTPOption{trustRoots},
			permanent: true,
		},
		{
			name: "a 5xx for one recipient is permanent and nobody gets the message",
			server: &serverConfig{rcpt: func(to string) error {
				return refuseIf(to == "okand@example.se", refuse(550, smtp.EnhancedCode{5, 1, 1}, "No such user"))
			}},
			url:       func(addr string) string { return "smtp://" + addr },
			message:   twoRecipients,
			permanent: true,
		},
		{
			name:      "a 5xx at the end of DATA is permanent",
			server:    &serverConfig{data: func() error { return refuse(554, smtp.EnhancedCode{5, 7, 1}, "Rejected as spam") }},
			url:       func(addr string) string { return "smtp://" + addr },
			permanent: true,
		},
		{
			name:   "a closed port is transient",
			server: nil,
			url:    func(addr string) string { return "smtp://" + addr },
		},
		{
			name:   "a 4xx for a recipient is transient",
			server: &serverConfig{rcpt: func(string) error { return refuse(450, smtp.EnhancedCode{4, 2, 1}, "Mailbox busy, try later") }},
			url:    func(addr string) string { return "smtp://" + addr },
		},
		{
			name:   "a 4xx at the end of DATA is transient",
			server: &serverConfig{data: func() error { return refuse(451, smtp.EnhancedCode{4, 3, 0}, "Queue full, try later") }},
			url:    func(addr string) string { return "smtp://" + addr },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ts *testServer
			addr := closedPort(t)
			if tc.server != nil {
				ts = startServer(t, *tc.server)
				addr = ts.Addr
			}
			m := invitation("<failure@exempelby.se>")
			if tc.message != nil {
				m = tc.message()
			}

			err := newMailer(t, tc.url(addr), tc.opts...).Send(testContext(t), m)

			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, notify.ErrPermanent); got != tc.permanent {
				t.Errorf("errors.Is(err, ErrPermanent) = %v, want %v; err = %v", got, tc.permanent, err)
			}
			if got := errors.Is(err, core.ErrUnavailable); got == tc.permanent {
				t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v; err = %v", got, !tc.permanent, err)
			}
			if strings.Contains(err.Error(), relayPassword) || strings.Contains(err.Error(), url.UserPassword("", relayPassword).String()[1:]) {
				t.Errorf("the error shows the password: %v", err)
			}
			if ts != nil && len(ts.Received()) != 0 {
				t.Errorf("the server received %d messages, want none", len(ts.Received()))
			}
		})
	}
}

func refuseIf(cond bool, err error) error {
	if cond {
		return err
	}
	return nil
}

// closedPort returns an address where nothing listens any more.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestMailersRefuseInvalidMessagesBeforeConnecting(t *testing.T) {
	tests := []struct {
		name   string
		change func(m *notify.Message)
		field  string
	}{
		{"CRLF in the subject", func(m *notify.Message) { m.Subject = "Hej\r\nBcc: angripare@example.com" }, "subject"},
		{"a line feed in a recipient's name", func(m *notify.Message) { m.To[0].Name = "Åsa\nBcc: angripare@example.com" }, "to[0].name"},
		{"a carriage return in the sender's name", func(m *notify.Message) { m.From.Name = "Kommun\rX-Evil: 1" }, "from.name"},
		{"an SMTP command in an address", func(m *notify.Message) { m.To[0].Email = "asa@example.se>\r\nRCPT TO:<angripare@example.com" }, "to[0].email"},
		{"a line break in an extra header", func(m *notify.Message) { m.Headers = map[string]string{"X-Tidbok": "a\r\nBcc: angripare@example.com"} }, `headers["X-Tidbok"]`},
		{"an extra header that would add a recipient", func(m *notify.Message) { m.Headers = map[string]string{"Bcc": "angripare@example.com"} }, `headers["Bcc"]`},
		{"an extra header that would replace the content type", func(m *notify.Message) { m.Headers = map[string]string{"content-type": "text/html"} }, `headers["content-type"]`},
		{"a header name with a colon and a space", func(m *notify.Message) { m.Headers = map[string]string{"X-A: b": "c"} }, `headers["X-A: b"]`},
		{"a From that is more than a bare address", func(m *notify.Message) { m.From.Email = "Kommun <bokning@exempelby.se>" }, "from.email"},
		{"no recipients", func(m *notify.Message) { m.To = nil }, "to"},
		{"no plain-text body", func(m *notify.Message) { m.Text = " \n" }, "text"},
		{"a malformed Message-ID", func(m *notify.Message) { m.MessageID = "utan-vinkelparenteser@exempelby.se" }, "message_id"},
		{"a calendar whose METHOD disagrees with its method", func(m *notify.Message) { m.Calendar.Method = notify.MethodCancel }, "calendar.data"},
		{"an unknown calendar method", func(m *notify.Message) { m.Calendar.Method = "COUNTER" }, "calendar.method"},
		{"a calendar file name with a path", func(m *notify.Message) { m.Calendar.Filename = "../../invite.ics" }, "calendar.filename"},
	}
	ts := startServer(t, serverConfig{})
	smtpMailer := newMailer(t, "smtp://"+ts.Addr)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := invitation("<ogiltig@exempelby.se>")
			tc.change(&m)
			sessionsBefore := ts.Sessions()
			dir := filepath.Join(t.TempDir(), "mail")
			for name, send := range map[string]func() error{
				"Validate":   m.Validate,
				"Compose":    func() error { _, err := mail.Compose(m, time.Now()); return err },
				"SMTPMailer": func() error { return smtpMailer.Send(testContext(t), m) },
				"FileMailer": func() error { return mail.FileMailer{Dir: dir}.Send(testContext(t), m) },
			} {
				err := send()
				var verr *core.ValidationError
				if !errors.As(err, &verr) || !errors.Is(err, core.ErrInvalid) {
					t.Fatalf("%s: err = %v, want a validation error", name, err)
				}
				if !hasField(verr, tc.field) {
					t.Errorf("%s: fields = %v, want %s", name, verr.Fields, tc.field)
				}
				if strings.HasSuffix(name, "Mailer") && !errors.Is(err, notify.ErrPermanent) {
					t.Errorf("%s: err = %v, want it permanent too", name, err)
				}
			}
			if n := ts.Sessions() - sessionsBefore; n != 0 {
				t.Errorf("the SMTP server saw %d sessions, want none", n)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the FileMailer created %s (%v), want nothing written", dir, err)
			}
		})
	}
}

func hasField(verr *core.ValidationError, field string) bool {
	for _, f := range verr.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// silentRelay accepts connections and never says a word, like a relay that
// hangs; it counts the connections.
func silentRelay(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String(), accepted
}

func TestSMTPMailerGivesUpOnASilentRelay(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		timeout time.Duration // the mailer's; the context allows 10 s
		ctx     func(t *testing.T) context.Context
		wantCtx error
	}{
		{
			name:    "the context's deadline ends the wait for the greeting",
			timeout: time.Minute,
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			wantCtx: context.DeadlineExceeded,
		},
		{
			name:    "the command timeout ends the wait for the greeting",
			timeout: 200 * time.Millisecond,
			ctx:     testContext,
		},
		{
			name:    "the command timeout also bounds the greeting before STARTTLS",
			query:   "?starttls=required",
			timeout: 200 * time.Millisecond,
			ctx:     testContext,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, accepted := silentRelay(t)
			mailer, err := mail.NewSMTPMailer("smtp://"+addr+tc.query, mail.WithTimeout(tc.timeout))
			if err != nil {
				t.Fatal(err)
			}
			begin := time.Now()

			err = mailer.Send(tc.ctx(t), testMessage("<tyst@exempelby.se>"))

			if took := time.Since(begin); took > 5*time.Second {
				t.Errorf("Send took %s", took)
			}
			if !errors.Is(err, core.ErrUnavailable) || errors.Is(err, notify.ErrPermanent) {
				t.Errorf("err = %v, want a transient error", err)
			}
			if tc.wantCtx != nil && !errors.Is(err, tc.wantCtx) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.wantCtx)
			}
			if accepted.Load() == 0 {
				t.Error("the mailer never connected, so the test proves nothing")
			}
		})
	}

	t.Run("a cancelled context sends nothing and is transient", func(t *testing.T) {
		addr, accepted := silentRelay(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()

		err := newMailer(t, "smtp://"+addr).Send(ctx, testMessage("<avbruten@exempelby.se>"))

		if !errors.Is(err, context.Canceled) || !errors.Is(err, core.ErrUnavailable) {
			t.Errorf("err = %v, want context.Canceled and ErrUnavailable", err)
		}
		if n := accepted.Load(); n != 0 {
			t.Errorf("%d connections, want none", n)
		}
	})
}

func TestSMTPMailerDeliversConcurrentSendsExactlyOnce(t *testing.T) {
	const n = 20
	ts := startServer(t, serverConfig{})
	mailer := newMailer(t, "smtp://"+ts.Addr)
	ctx := testContext(t)

	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = mailer.Send(ctx, invitation(fmt.Sprintf("<samtidig-%02d@exempelby.se>", i)))
		})
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("send %d: %v", i, err)
		}
	}
	count := map[string]int{}
	for _, r := range ts.Received() {
		count[r.Mail.MessageID]++
		if got := r.Mail.Root.tree(); got != invitationTree {
			t.Errorf("%s: MIME tree = %s", r.Mail.MessageID, got)
		}
	}
	for i := range n {
		id := fmt.Sprintf("samtidig-%02d@exempelby.se", i)
		if count[id] != 1 {
			t.Errorf("%s arrived %d times, want once", id, count[id])
		}
	}
	if len(count) != n {
		t.Errorf("%d distinct messages arrived, want %d", len(count), n)
	}
}

func TestNewSMTPMailerReadsTheURL(t *testing.T) {
	const secret = "s3cret-lösen"
	accepted := []struct {
		name, url, redacted string
	}{
		{"host and port", "smtp://127.0.0.1:1025", "smtp://127.0.0.1:1025"},
		{"credentials are redacted", "smtp://bokning:" + url.QueryEscape(secret) + "@mail.exempelby.se:587?starttls=required", "smtp://bokning:xxxxx@mail.exempelby.se:587?starttls=required"},
		{"smtps with the default port", "smtps://mail.exempelby.se", "smtps://mail.exempelby.se"},
		{"a password without TLS to loopback", "smtp://u:" + url.QueryEscape(secret) + "@localhost:25?starttls=none", "smtp://u:xxxxx@localhost:25?starttls=none"},
	}
	for _, tc := range accepted {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			m, err := mail.NewSMTPMailer(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if m.String() != tc.redacted {
				t.Errorf("String() = %q, want %q", m.String(), tc.redacted)
			}
		})
	}

	refused := []struct {
		name, url string
		opts      []mail.SMTPOption
	}{
		{name: "another scheme", url: "http://mail.exempelby.se"},
		{name: "no host", url: "smtp://:25"},
		{name: "a port out of range", url: "smtp://mail.exempelby.se:70000"},
		{name: "a path", url: "smtp://mail.exempelby.se/inbox"},
		{name: "an unknown starttls mode", url: "smtp://mail.exempelby.se?starttls=maybe"},
		{name: "an unknown parameter", url: "smtp://mail.exempelby.se?tls=on"},
		{name: "starttls on smtps", url: "smtps://mail.exempelby.se?starttls=required"},
		{name: "a user without a password", url: "smtp://bokning@mail.exempelby.se"},
		{name: "a password in clear to a remote host", url: "smtp://u:" + secret + "@mail.exempelby.se?starttls=none"},
		{name: "a URL that does not parse, password and all", url: "smtp://u:" + secret + "%zz@mail.exempelby.se"},
		{name: "a hello name that would add a command", url: "smtp://mail.exempelby.se", opts: []mail.SMTPOption{mail.WithHelloName("tidbok\r\nRSET")}},
		{name: "a timeout that is not positive", url: "smtp://mail.exempelby.se", opts: []mail.SMTPOption{mail.WithTimeout(0)}},
	}
	for _, tc := range refused {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			m, err := mail.NewSMTPMailer(tc.url, tc.opts...)
			if !errors.Is(err, core.ErrInvalid) || m != nil {
				t.Fatalf("NewSMTPMailer = %v, %v; want nil and ErrInvalid", m, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}
