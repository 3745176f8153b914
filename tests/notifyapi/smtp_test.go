package notifyapi_test

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

type smtpServer struct {
	t    testing.TB
	addr string

	mu       sync.Mutex
	srv      *smtp.Server
	done     chan struct{}
	received []*inbound
	// refuse answers RCPT TO for these addresses with 550.
	refuse map[string]bool
	// dropAfter, when > 0, is how many more messages are taken normally; the
	// next one is kept and its connection closed before the reply, and
	// onDrop runs.
	dropAfter int
	onDrop    func()
	// arrived is signalled (without blocking) after every message kept.
	arrived chan struct{}
}

// inbound is one message as the server read it.
type inbound struct {
	EnvelopeTo []string
	To         []*gomail.Address
	Subject    string
	MessageID  string // without angle brackets
	Header     gomail.Header
	Root       *mimePart
	Raw        []byte
	At         time.Time // real time of arrival, for the benchmark
}

// mimePart is one MIME entity with its transfer encoding undone.
type mimePart struct {
	MediaType   string
	Params      map[string]string
	Disposition string
	DispParams  map[string]string
	Body        []byte
	Parts       []*mimePart
}

func startSMTP(t testing.TB) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t, refuse: map[string]bool{}, arrived: make(chan struct{}, 1)}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start listens on the server's address (a fresh one the first time).
func (s *smtpServer) start() {
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

// stop closes the listener and every open connection.
func (s *smtpServer) stop() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
		<-done
	}
}

func (s *smtpServer) url() string { return "smtp://" + s.addr + "?starttls=none" }

func (s *smtpServer) setRefused(addr string, refused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(addr)] = refused
}

// dropAfterN takes n more messages, then keeps the next one without
// answering: the connection closes and onDrop runs.
func (s *smtpServer) dropAfterN(n int, onDrop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter, s.onDrop = n+1, onDrop
}

// all returns every message kept so far.
func (s *smtpServer) all() []*inbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*inbound(nil), s.received...)
}

// count is how many messages were kept.
func (s *smtpServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

type smtpSession struct {
	server *smtpServer
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
	m, err := parseInbound(raw)
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
	select {
	case srv.arrived <- struct{}{}:
	default:
	}
	if drop {
		// The message is kept, but the sender never hears so.
		if onDrop != nil {
			onDrop()
		}
		_ = s.conn.Conn().Close()
	}
	return nil
}

func parseInbound(raw []byte) (*inbound, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	h := gomail.Header{Header: e.Header}
	m := &inbound{Header: h, Raw: raw}
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

func readMIME(e *message.Entity) (*mimePart, error) {
	p := &mimePart{}
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

// tree renders the MIME structure, e.g. "multipart/alternative[text/plain,text/html]".
func (p *mimePart) tree() string {
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
func (p *mimePart) find(mediaType string) *mimePart {
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

// recipient is the one address the message is to.
func (m *inbound) recipient() string {
	if len(m.To) != 1 {
		return fmt.Sprintf("%d recipients", len(m.To))
	}
	return strings.ToLower(m.To[0].Address)
}

func (m *inbound) text() string {
	if p := m.Root.find("text/plain"); p != nil {
		return string(p.Body)
	}
	return ""
}

// calendarPart is the text/calendar alternative, or nil.
func (m *inbound) calendarPart() *mimePart { return m.Root.find("text/calendar") }

// invite parses the message's calendar; nil when it has none.
func (m *inbound) invite(t testing.TB) *calendar.ParsedEvent {
	t.Helper()
	p := m.calendarPart()
	if p == nil {
		return nil
	}
	ev, err := calendar.Parse(p.Body)
	if err != nil {
		t.Fatalf("calendar of %q: %v\n%s", m.Subject, err, p.Body)
	}
	return ev
}

// isSignInCode tells the sign-in code mails apart from notifications.
func (m *inbound) isSignInCode() bool {
	return strings.HasPrefix(m.Subject, "Din inloggningskod") || strings.HasPrefix(m.Subject, "Your sign-in code")
}

// vtimezone is the VTIMEZONE block of an iCalendar document.
func vtimezone(ics []byte) string {
	s := string(ics)
	i := strings.Index(s, "BEGIN:VTIMEZONE")
	j := strings.LastIndex(s, "END:VTIMEZONE")
	if i < 0 || j < i {
		return ""
	}
	return s[i:j]
}
