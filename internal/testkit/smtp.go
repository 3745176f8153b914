package testkit

// A real SMTP server (go-smtp) in the test process. Its backend parses every
// message with go-message, as a mail client would, and keeps what it read.
// It can be stopped and started again on the same address, refuse a
// recipient for good, and drop the connection after taking a message (the
// window in which a relay has the message but the sender does not know).

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"github.com/tidbok/tidbok/calendar"
)

// SMTPServer is an SMTP server that keeps every message it takes.
type SMTPServer struct {
	t    testing.TB
	addr string

	mu       sync.Mutex
	srv      *smtp.Server
	done     chan struct{}
	received []*Inbound
	// refuse answers RCPT TO for these addresses with 550.
	refuse map[string]bool
	// dropAfter, when > 0, is how many more messages are taken normally; the
	// next one is kept and its connection closed before the reply, and
	// onDrop runs.
	dropAfter int
	onDrop    func()
}

// Inbound is one message as the server read it.
type Inbound struct {
	EnvelopeTo []string
	To         []*gomail.Address
	Subject    string
	MessageID  string // without angle brackets
	Header     gomail.Header
	Root       *MIMEPart
	Raw        []byte
	At         time.Time // real time of arrival, for benchmarks
}

// MIMEPart is one MIME entity with its transfer encoding undone.
type MIMEPart struct {
	MediaType   string
	Params      map[string]string
	Disposition string
	DispParams  map[string]string
	Body        []byte
	Parts       []*MIMEPart
}

// StartSMTP starts a server on a fresh loopback address, stopped when t ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{t: t, refuse: map[string]bool{}}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start listens on the server's address (a fresh one the first time).
func (s *SMTPServer) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("smtp listen %s: %v", addr, err)
	}
	s.addr = l.Addr().String()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{server: s, conn: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	s.srv, s.done = srv, done
}

// Stop closes the listener and every open connection.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
		<-done
	}
}

// URL is the server's address as app.Config's SMTPURL.
func (s *SMTPServer) URL() string { return "smtp://" + s.addr + "?starttls=none" }

// SetRefused makes RCPT TO addr fail for good, or succeed again.
func (s *SMTPServer) SetRefused(addr string, refused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(addr)] = refused
}

// DropAfterN takes n more messages, then keeps the next one without
// answering: the connection closes and onDrop runs.
func (s *SMTPServer) DropAfterN(n int, onDrop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter, s.onDrop = n+1, onDrop
}

// All returns every message kept so far.
func (s *SMTPServer) All() []*Inbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Inbound(nil), s.received...)
}

// Count is how many messages were kept.
func (s *SMTPServer) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

type smtpSession struct {
	server *SMTPServer
	conn   *smtp.Conn
	to     []string
}

func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.server.mu.Lock()
	refused := s.server.refuse[strings.ToLower(to)]
	s.server.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := ParseInbound(raw)
	if err != nil {
		// Refuse what go-message cannot read: the test that sent it fails.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparseable: " + err.Error()}
	}
	m.EnvelopeTo, m.At = s.to, time.Now()
	srv := s.server
	srv.mu.Lock()
	srv.received = append(srv.received, m)
	drop, onDrop := false, srv.onDrop
	if srv.dropAfter > 0 {
		srv.dropAfter--
		drop = srv.dropAfter == 0
	}
	srv.mu.Unlock()
	if drop {
		// The message is kept, but the sender never hears so.
		if onDrop != nil {
			onDrop()
		}
		_ = s.conn.Conn().Close()
	}
	return nil
}

// ParseInbound reads a message as a mail client would; it refuses one
// without To, Subject, Message-Id or Date.
func ParseInbound(raw []byte) (*Inbound, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	h := gomail.Header{Header: e.Header}
	m := &Inbound{Header: h, Raw: raw}
	if m.To, err = h.AddressList("To"); err != nil {
		return nil, fmt.Errorf("To: %w", err)
	}
	if m.Subject, err = h.Subject(); err != nil {
		return nil, fmt.Errorf("Subject: %w", err)
	}
	if m.MessageID, err = h.MessageID(); err != nil || m.MessageID == "" {
		return nil, fmt.Errorf("Message-Id %q: %v", h.Get("Message-Id"), err)
	}
	if _, err := h.Date(); err != nil {
		return nil, fmt.Errorf("Date: %w", err)
	}
	m.Root, err = readMIME(e)
	return m, err
}

func readMIME(e *message.Entity) (*MIMEPart, error) {
	p := &MIMEPart{}
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
			cp, err := readMIME(child)
			if err != nil {
				return nil, err
			}
			p.Parts = append(p.Parts, cp)
		}
	}
	p.Body, err = io.ReadAll(e.Body)
	return p, err
}

// Tree renders the MIME structure, e.g. "multipart/alternative[text/plain,text/html]".
func (p *MIMEPart) Tree() string {
	if len(p.Parts) == 0 {
		return p.MediaType
	}
	kids := make([]string, len(p.Parts))
	for i, c := range p.Parts {
		kids[i] = c.Tree()
	}
	return p.MediaType + "[" + strings.Join(kids, ",") + "]"
}

// Find returns the first part of mediaType, depth first, or nil.
func (p *MIMEPart) Find(mediaType string) *MIMEPart {
	if p.MediaType == mediaType {
		return p
	}
	for _, c := range p.Parts {
		if f := c.Find(mediaType); f != nil {
			return f
		}
	}
	return nil
}

// Recipient is the one address the message is to.
func (m *Inbound) Recipient() string {
	if len(m.To) != 1 {
		return fmt.Sprintf("%d recipients", len(m.To))
	}
	return strings.ToLower(m.To[0].Address)
}

// Text is the first text/plain part.
func (m *Inbound) Text() string {
	if p := m.Root.Find("text/plain"); p != nil {
		return string(p.Body)
	}
	return ""
}

// CalendarPart is the text/calendar alternative, or nil.
func (m *Inbound) CalendarPart() *MIMEPart { return m.Root.Find("text/calendar") }

// Invite parses the message's calendar; nil when it has none.
func (m *Inbound) Invite(t testing.TB) *calendar.ParsedEvent {
	t.Helper()
	p := m.CalendarPart()
	if p == nil {
		return nil
	}
	ev, err := calendar.Parse(p.Body)
	if err != nil {
		t.Fatalf("calendar of %q: %v\n%s", m.Subject, err, p.Body)
	}
	return ev
}

// IsSignInCode tells the sign-in code mails apart from notifications.
func (m *Inbound) IsSignInCode() bool {
	return strings.HasPrefix(m.Subject, "Din inloggningskod") || strings.HasPrefix(m.Subject, "Your sign-in code")
}
