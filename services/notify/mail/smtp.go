package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
)

// DefaultTimeout bounds dialling (with the TLS handshake) and each SMTP command.
const DefaultTimeout = 30 * time.Second

type tlsMode int

const (
	tlsOpportunistic tlsMode = iota // STARTTLS when the server offers it (smtp:// default)
	tlsRequired                     // STARTTLS or no delivery
	tlsNone                         // plaintext, for a relay on the same host or pod
	tlsImplicit                     // smtps://: TLS from the first byte
)

// SMTPMailer is a notify.Mailer that hands each message to one SMTP relay.
//
// Each Send opens its own connection, delivers one message and quits. That
// keeps Send safe for concurrent use with no shared connection state to
// recover after an error, at the cost of a handshake per message, which
// Tidbok's volume (a few messages per booking) affords. Pool connections when
// a benchmark says otherwise. (In opportunistic mode the first Send to a relay
// that offers STARTTLS connects twice: go-smtp upgrades only a fresh
// connection. Later Sends remember the offer.)
//
// A message goes to all its recipients or to none: the first refused
// recipient ends the transaction before DATA, so a retry cannot reach the
// others twice.
type SMTPMailer struct {
	addr      string // host:port
	host      string
	mode      tlsMode
	username  string
	password  string
	tlsConfig *tls.Config
	helo      string
	timeout   time.Duration
	redacted  string // the URL without its password, for logs and errors

	// offersTLS remembers, in opportunistic mode, that the relay offered
	// STARTTLS, so later Sends go straight to TLS instead of probing first.
	offersTLS atomic.Bool
}

// SMTPOption configures an SMTPMailer.
type SMTPOption func(*SMTPMailer)

// WithTLSConfig sets the TLS configuration for STARTTLS and smtps, e.g. a
// private CA in RootCAs. It is cloned; ServerName defaults to the URL's host
// and MinVersion to TLS 1.2.
func WithTLSConfig(c *tls.Config) SMTPOption {
	return func(s *SMTPMailer) { s.tlsConfig = c.Clone() }
}

// WithHelloName sets the name sent in EHLO/HELO; the default is the host name.
// Some relays refuse a client that introduces itself as "localhost".
func WithHelloName(name string) SMTPOption {
	return func(s *SMTPMailer) { s.helo = name }
}

// WithTimeout bounds dialling and each SMTP command (DefaultTimeout if not set).
// The ctx given to Send can end a delivery sooner.
func WithTimeout(d time.Duration) SMTPOption {
	return func(s *SMTPMailer) { s.timeout = d }
}

// NewSMTPMailer returns a mailer for rawURL, which is one of
//
//	smtp://[user:password@]host[:port][?starttls=opportunistic|required|none]
//	smtps://[user:password@]host[:port]
//
// smtp:// defaults to port 25 and opportunistic STARTTLS (used when the relay
// offers it; an active attacker can suppress the offer, so use required for
// any relay across a network you do not control); smtps:// to port 465 and
// TLS from the first byte. With user information the mailer authenticates
// with AUTH PLAIN, and only over TLS unless the host is loopback. Errors
// wrap core.ErrInvalid and never show the password.
func NewSMTPMailer(rawURL string, opts ...SMTPOption) (*SMTPMailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url's errors quote the input, password included.
		return nil, fmt.Errorf("smtp url: does not parse (not shown: it may hold a password): %w", core.ErrInvalid)
	}
	s := &SMTPMailer{redacted: u.Redacted(), timeout: DefaultTimeout, helo: defaultHelloName()}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("smtp url %s: %s: %w", s.redacted, fmt.Sprintf(format, args...), core.ErrInvalid)
	}

	var defaultPort string
	switch u.Scheme {
	case "smtp":
		s.mode, defaultPort = tlsOpportunistic, "25"
	case "smtps":
		s.mode, defaultPort = tlsImplicit, "465"
	default:
		return nil, invalid("scheme must be smtp or smtps")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, invalid("expected scheme://[user:password@]host[:port][?starttls=...]")
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, invalid("host is missing")
	}
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, invalid("port must be 1 to 65535")
	}
	s.addr = net.JoinHostPort(s.host, port)

	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, invalid("query does not parse")
	}
	for key, values := range query {
		switch {
		case key != "starttls" || len(values) != 1:
			return nil, invalid("unknown parameter %q: the only one is starttls", key)
		case s.mode == tlsImplicit:
			return nil, invalid("starttls does not apply to smtps, which uses TLS from the start")
		}
		switch values[0] {
		case "opportunistic":
			s.mode = tlsOpportunistic
		case "required":
			s.mode = tlsRequired
		case "none":
			s.mode = tlsNone
		default:
			return nil, invalid("starttls must be opportunistic, required or none")
		}
	}

	if u.User != nil {
		s.username = u.User.Username()
		s.password, _ = u.User.Password()
		if s.username == "" || s.password == "" {
			return nil, invalid("give both a user and a password, or neither")
		}
		if s.mode == tlsNone && !isLoopback(s.host) {
			return nil, invalid("starttls=none would send the password in clear to a host that is not loopback")
		}
	}

	for _, opt := range opts {
		opt(s)
	}
	if s.tlsConfig == nil {
		s.tlsConfig = &tls.Config{}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = s.host
	}
	if s.tlsConfig.MinVersion == 0 {
		s.tlsConfig.MinVersion = tls.VersionTLS12
	}
	if !validHelloName(s.helo) {
		return nil, invalid("the hello name must be a host name")
	}
	if s.timeout <= 0 {
		return nil, invalid("the timeout must be positive")
	}
	return s, nil
}

// String returns the relay's URL without its password.
func (s *SMTPMailer) String() string { return s.redacted }

// Send delivers m. See notify.Mailer for what its errors mean; an invalid
// message is refused before any connection is made.
func (s *SMTPMailer) Send(ctx context.Context, m notify.Message) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("smtp send: %w: %w", notify.ErrPermanent, err)
	}
	m = withMessageID(m)
	raw, err := Compose(m, time.Now().UTC())
	if err != nil {
		return fmt.Errorf("smtp send: %w: %w", notify.ErrPermanent, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smtp send: %w: %w", core.ErrUnavailable, err)
	}

	c, err := s.open(ctx)
	if err != nil {
		return s.fail(ctx, "connect", err)
	}
	defer c.close()
	if err := s.login(c); err != nil {
		return s.fail(ctx, "AUTH", err)
	}

	opts := &smtp.MailOptions{Size: int64(len(raw))}
	if !isASCII(m.From.Email) || !allASCII(m.To) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return s.fail(ctx, "MAIL FROM", fmt.Errorf("an address is not ASCII and the relay does not offer SMTPUTF8: %w", notify.ErrPermanent))
		}
		opts.UTF8 = true
	}
	if err := c.Mail(m.From.Email, opts); err != nil {
		return s.fail(ctx, "MAIL FROM", err)
	}
	for i, a := range m.To {
		if err := c.Rcpt(a.Email, nil); err != nil {
			// Closing without DATA sends nothing to anyone: all or none.
			return s.fail(ctx, fmt.Sprintf("RCPT TO (recipient %d of %d)", i+1, len(m.To)), err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, "end of DATA", err)
	}
	// The relay has taken the message: a failing QUIT must not turn that into
	// an error, or the outbox would send it again.
	_ = c.Quit()
	return nil
}

// client is an SMTP client whose connection closes when the Send's context
// ends: go-smtp's own deadlines know nothing of contexts.
type client struct {
	*smtp.Client
	stopWatch func() bool
}

func (c *client) close() {
	c.stopWatch()
	_ = c.Client.Close()
}

// errNoStartTLS: the relay did not offer STARTTLS.
var errNoStartTLS = fmt.Errorf("the relay does not offer STARTTLS: %w", notify.ErrPermanent)

func (s *SMTPMailer) open(ctx context.Context) (*client, error) {
	switch s.mode {
	case tlsRequired:
		return s.openStartTLS(ctx)
	case tlsNone, tlsImplicit:
		return s.openPlain(ctx)
	}

	if s.offersTLS.Load() {
		c, err := s.openStartTLS(ctx)
		if !errors.Is(err, errNoStartTLS) {
			return c, err
		}
		s.offersTLS.Store(false) // the offer is gone: probe again
	}
	c, err := s.openPlain(ctx)
	if err != nil {
		return nil, err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return c, nil
	}
	// go-smtp starts TLS only on a fresh connection (by design: nothing said
	// before STARTTLS may steer what follows), so leave and come back.
	s.offersTLS.Store(true)
	_ = c.Quit()
	c.close()
	return s.openStartTLS(ctx)
}

// openPlain connects and says EHLO; for smtps the connection is TLS already.
func (s *SMTPMailer) openPlain(ctx context.Context) (*client, error) {
	conn, stopWatch, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	c := &client{Client: smtp.NewClient(conn), stopWatch: stopWatch}
	s.setTimeouts(c.Client)
	if err := c.Hello(s.helo); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// openStartTLS connects, upgrades with STARTTLS and says EHLO over TLS.
func (s *SMTPMailer) openStartTLS(ctx context.Context) (*client, error) {
	conn, stopWatch, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	// NewClientStartTLS greets with go-smtp's five-minute default timeout,
	// before ours can be set on the client: bound that phase here.
	timer := time.AfterFunc(s.timeout, func() { _ = conn.Close() })
	sc, err := smtp.NewClientStartTLS(conn, s.tlsConfig)
	timedOut := !timer.Stop()
	if err != nil || timedOut {
		stopWatch()
		_ = conn.Close()
		switch {
		case timedOut:
			return nil, fmt.Errorf("no STARTTLS within %s: %w", s.timeout, os.ErrDeadlineExceeded)
		case !isReplyOrIO(err):
			// Every other failure of go-smtp's initStartTLS is an SMTP reply
			// or an I/O error; what remains is its "doesn't support STARTTLS".
			return nil, errNoStartTLS
		}
		return nil, err
	}
	c := &client{Client: sc, stopWatch: stopWatch}
	s.setTimeouts(sc)
	// This EHLO is the first write over TLS: the handshake, and with it the
	// certificate check, happens here.
	if err := c.Hello(s.helo); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (s *SMTPMailer) dial(ctx context.Context) (net.Conn, func() bool, error) {
	d := &net.Dialer{Timeout: s.timeout}
	var conn net.Conn
	var err error
	if s.mode == tlsImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tlsConfig}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return nil, nil, err
	}
	stopWatch := context.AfterFunc(ctx, func() { _ = conn.Close() })
	return conn, stopWatch, nil
}

func (s *SMTPMailer) setTimeouts(c *smtp.Client) {
	c.CommandTimeout = s.timeout
	c.SubmissionTimeout = s.timeout
}

func (s *SMTPMailer) login(c *client) error {
	if s.username == "" {
		return nil
	}
	if _, isTLS := c.TLSConnectionState(); !isTLS && !isLoopback(s.host) {
		return fmt.Errorf("refusing to send the password without TLS, which the relay did not offer: %w", notify.ErrPermanent)
	}
	if !c.SupportsAuth(sasl.Plain) {
		return fmt.Errorf("the relay does not offer AUTH PLAIN: %w", notify.ErrPermanent)
	}
	return c.Auth(sasl.NewPlainClient("", s.username, s.password))
}

// fail names the relay and the stage and sorts err into notify.ErrPermanent
// or core.ErrUnavailable. Nothing here carries the password: go-smtp's errors
// hold the relay's replies, and s.addr has no user information.
func (s *SMTPMailer) fail(ctx context.Context, stage string, err error) error {
	where := "smtp " + s.addr + ": " + stage
	switch {
	case ctx.Err() != nil:
		// Whatever broke, it broke because the caller gave up: try again later.
		return fmt.Errorf("%s: %w: %w", where, core.ErrUnavailable, ctx.Err())
	case errors.Is(err, notify.ErrPermanent):
		return fmt.Errorf("%s: %w", where, err)
	case isPermanent(err):
		return fmt.Errorf("%s: %w: %w", where, notify.ErrPermanent, err)
	default:
		return fmt.Errorf("%s: %w: %w", where, core.ErrUnavailable, err)
	}
}

// isPermanent: a 5xx reply, or a TLS failure (a certificate that does not
// verify, a peer that does not speak TLS) that only a change of configuration
// can fix. Everything else (4xx, network, timeouts) may pass on its own.
func isPermanent(err error) bool {
	var reply *smtp.SMTPError
	if errors.As(err, &reply) {
		return reply.Code >= 500 && reply.Code <= 599
	}
	var verify *tls.CertificateVerificationError
	var alert tls.AlertError
	var record tls.RecordHeaderError
	return errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record)
}

func isReplyOrIO(err error) bool {
	var reply *smtp.SMTPError
	var netErr net.Error
	var proto textproto.ProtocolError
	return errors.As(err, &reply) || errors.As(err, &netErr) || errors.As(err, &proto) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaultHelloName() string {
	if name, err := os.Hostname(); err == nil && validHelloName(name) {
		return name
	}
	return "localhost"
}

// validHelloName accepts a host name or an address literal: printable ASCII
// without spaces, so it cannot add anything to the EHLO line.
func validHelloName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(as []notify.Address) bool {
	for _, a := range as {
		if !isASCII(a.Email) {
			return false
		}
	}
	return true
}
