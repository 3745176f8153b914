package mail_test

// A real SMTP server (go-smtp) in the test process, whose backend parses every
// message it receives with go-message, and helpers to look inside them.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// serverConfig is how a test server behaves.
type serverConfig struct {
	tls               *tls.Config // offers STARTTLS when set (or serves smtps with implicitTLS)
	implicitTLS       bool
	user, password    string // AUTH PLAIN required when set
	allowInsecureAuth bool
	rcpt              func(to string) error // a refusal for a recipient, or nil
	data              func() error          // a refusal at the end of DATA, or nil
}

type testServer struct {
	Addr string
	cfg  serverConfig

	mu       sync.Mutex
	sessions int
	received []received
}

// received is one message the server accepted.
type received struct {
	From     string
	To       []string
	TLS      bool
	AuthUser string
	Raw      []byte
	Mail     parsedMail
}

func startServer(t *testing.T, cfg serverConfig) *testServer {
	t.Helper()
	ts := &testServer{cfg: cfg}
	srv := smtp.NewServer(ts)
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = cfg.allowInsecureAuth
	srv.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in some tests

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.implicitTLS {
		l = tls.NewListener(l, cfg.tls)
	} else {
		srv.TLSConfig = cfg.tls
	}
	ts.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ts
}

// Received returns the messages accepted so far.
func (ts *testServer) Received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.received...)
}

// Sessions counts SMTP sessions (one per connection, one more after STARTTLS).
func (ts *testServer) Sessions() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.sessions
}

func (ts *testServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	ts.mu.Lock()
	ts.sessions++
	ts.mu.Unlock()
	_, isTLS := c.TLSConnectionState()
	return &session{server: ts, tls: isTLS}, nil
}

type session struct {
	server   *testServer
	tls      bool
	authUser string
	from     string
	to       []string
}

func (s *session) AuthMechanisms() []string {
	if s.server.cfg.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if (identity != "" && identity != user) || user != s.server.cfg.user || password != s.server.cfg.password {
			return smtp.ErrAuthFailed
		}
		s.authUser = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.server.cfg.user != "" && s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if f := s.server.cfg.rcpt; f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if f := s.server.cfg.data; f != nil {
		if err := f(); err != nil {
			return err
		}
	}
	pm, err := parseMail(raw)
	if err != nil {
		// Refuse what go-message cannot read: the sending test fails on it.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparseable: " + err.Error()}
	}
	s.server.mu.Lock()
	s.server.received = append(s.server.received, received{
		From: s.from, To: s.to, TLS: s.tls, AuthUser: s.authUser, Raw: raw, Mail: pm,
	})
	s.server.mu.Unlock()
	return nil
}

func (s *session) Reset() {
	s.from, s.to = "", nil
}

func (s *session) Logout() error { return nil }

// parsedMail is a message as go-message reads it.
type parsedMail struct {
	From      []*gomail.Address
	To        []*gomail.Address
	ReplyTo   []*gomail.Address
	Subject   string
	MessageID string // without angle brackets
	Date      time.Time
	Header    gomail.Header
	Root      *part
}

// part is one MIME entity with its transfer encoding undone.
type part struct {
	MediaType   string
	Params      map[string]string
	Disposition string
	DispParams  map[string]string
	Encoding    string
	Body        []byte // nil for multiparts
	Parts       []*part
}

func parseMail(raw []byte) (parsedMail, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		return parsedMail{}, err
	}
	h := gomail.Header{Header: e.Header}
	var pm parsedMail
	pm.Header = h
	if pm.From, err = h.AddressList("From"); err != nil {
		return pm, fmt.Errorf("From: %w", err)
	}
	if pm.To, err = h.AddressList("To"); err != nil {
		return pm, fmt.Errorf("To: %w", err)
	}
	if pm.ReplyTo, err = h.AddressList("Reply-To"); err != nil {
		return pm, fmt.Errorf("Reply-To: %w", err)
	}
	if pm.Subject, err = h.Subject(); err != nil {
		return pm, fmt.Errorf("Subject: %w", err)
	}
	if pm.MessageID, err = h.MessageID(); err != nil {
		return pm, fmt.Errorf("Message-Id: %w", err)
	}
	if pm.Date, err = h.Date(); err != nil {
		return pm, fmt.Errorf("Date: %w", err)
	}
	pm.Root, err = readPart(e)
	return pm, err
}

func readPart(e *message.Entity) (*part, error) {
	p := &part{Encoding: e.Header.Get("Content-Transfer-Encoding")}
	var err error
	if p.MediaType, p.Params, err = e.Header.ContentType(); err != nil {
		return nil, err
	}
	if e.Header.Has("Content-Disposition") {
		if p.Disposition, p.DispParams, err = e.Header.ContentDisposition(); err != nil {
			return nil, err
		}
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			child, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return p, nil
			}
			if err != nil {
				return nil, err
			}
			cp, err := readPart(child)
			if err != nil {
				return nil, err
			}
			p.Parts = append(p.Parts, cp)
		}
	}
	p.Body, err = io.ReadAll(e.Body)
	return p, err
}

// tree renders the MIME structure, e.g. "multipart/alternative[text/plain,text/html]".
func (p *part) tree() string {
	if len(p.Parts) == 0 {
		return p.MediaType
	}
	kids := make([]string, len(p.Parts))
	for i, c := range p.Parts {
		kids[i] = c.tree()
	}
	return p.MediaType + "[" + strings.Join(kids, ",") + "]"
}

// find returns the first part of mediaType, depth first, or nil.
func (p *part) find(mediaType string) *part {
	if p.MediaType == mediaType {
		return p
	}
	for _, c := range p.Parts {
		if f := c.find(mediaType); f != nil {
			return f
		}
	}
	return nil
}

// selfSignedCert makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it, as a private CA would be trusted in production.
func selfSignedCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tidbok test relay"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
