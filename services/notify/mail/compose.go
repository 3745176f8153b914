// Package mail delivers the notify service's e-mail. Compose turns a
// notify.Message into an RFC 5322 message (with an iMIP calendar when there is
// one), SMTPMailer hands it to an SMTP relay, FileMailer writes it as an .eml
// file when no relay is configured, and NewMailer picks between the two from
// the configuration.
package mail

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
)

// Compose builds m as an RFC 5322 message dated now. The shape depends on
// what m carries:
//
//	text only:     text/plain
//	text and HTML: multipart/alternative{text/plain, text/html}
//	a calendar:    multipart/mixed{
//	                   multipart/alternative{text/plain, [text/html,] text/calendar; method=M},
//	                   application/ics attachment (the same bytes)}
//
// The calendar shape is the iMIP structure (RFC 6047) that Outlook, Gmail,
// Apple Mail and Thunderbird all act on. Every part is quoted-printable or
// base64 and non-ASCII header text is RFC 2047-encoded, so the result is
// 7-bit with lines far below 998 octets and passes any relay. When
// m.MessageID is empty a fresh one is generated in the From domain.
func Compose(m notify.Message, now time.Time) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, fmt.Errorf("compose: a message needs a Date: %w", core.ErrInvalid)
	}
	m = withMessageID(m)

	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{address(m.From)})
	to := make([]*gomail.Address, len(m.To))
	for i, a := range m.To {
		to[i] = address(a)
	}
	h.SetAddressList("To", to)
	if m.ReplyTo != nil {
		h.SetAddressList("Reply-To", []*gomail.Address{address(*m.ReplyTo)})
	}
	h.SetSubject(m.Subject)
	h.Set("Message-Id", m.MessageID) // already "<...>", as Validate checked
	if m.Language == "sv" || m.Language == "en" {
		h.Set("Content-Language", m.Language)
	}
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		h.SetText(k, m.Headers[k])
	}

	var buf bytes.Buffer
	var err error
	switch {
	case m.Calendar != nil:
		err = writeInvitation(&buf, h.Header, m)
	case m.HTML != "":
		err = writeAlternative(&buf, h.Header, m)
	default:
		err = writeTextOnly(&buf, h.Header, m.Text)
	}
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return buf.Bytes(), nil
}

// The tree is built with go-message's generic message.Writer rather than its
// mail helpers, which mark every alternative "inline": here each part carries
// exactly the header fields iMIP clients expect, and nothing more.

func writeTextOnly(buf *bytes.Buffer, h message.Header, text string) error {
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	w, err := message.CreateWriter(buf, h)
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(text)); err != nil {
		return err
	}
	return w.Close()
}

func writeAlternative(buf *bytes.Buffer, h message.Header, m notify.Message) error {
	h.SetContentType("multipart/alternative", nil)
	alt, err := message.CreateWriter(buf, h)
	if err != nil {
		return err
	}
	if err := writeBodies(alt, m); err != nil {
		return err
	}
	return alt.Close()
}

func writeInvitation(buf *bytes.Buffer, h message.Header, m notify.Message) error {
	h.SetContentType("multipart/mixed", nil)
	mixed, err := message.CreateWriter(buf, h)
	if err != nil {
		return err
	}
	var altHeader message.Header
	altHeader.SetContentType("multipart/alternative", nil)
	alt, err := mixed.CreatePart(altHeader)
	if err != nil {
		return err
	}
	if err := writeBodies(alt, m); err != nil {
		return err
	}
	cal := m.Calendar
	var calHeader message.Header
	calHeader.SetContentType("text/calendar", map[string]string{"method": cal.Method, "charset": "UTF-8"})
	// base64 rather than quoted-printable: it carries the object's CRLFs and
	// folded lines through byte for byte.
	calHeader.Set("Content-Transfer-Encoding", "base64")
	if err := writePart(alt, calHeader, cal.Data); err != nil {
		return err
	}
	if err := alt.Close(); err != nil {
		return err
	}

	filename := cal.Filename
	if filename == "" {
		filename = notify.DefaultCalendarFilename
	}
	var attHeader message.Header
	attHeader.SetContentType("application/ics", map[string]string{"name": filename})
	attHeader.SetContentDisposition("attachment", map[string]string{"filename": filename})
	attHeader.Set("Content-Transfer-Encoding", "base64")
	if err := writePart(mixed, attHeader, cal.Data); err != nil {
		return err
	}
	return mixed.Close()
}

// writeBodies writes the text part and, if there is one, the HTML part; in a
// multipart/alternative the richest comes last.
func writeBodies(alt *message.Writer, m notify.Message) error {
	if err := writePart(alt, textHeader("text/plain"), []byte(m.Text)); err != nil {
		return err
	}
	if m.HTML == "" {
		return nil
	}
	return writePart(alt, textHeader("text/html"), []byte(m.HTML))
}

func textHeader(mediaType string) message.Header {
	var h message.Header
	h.SetContentType(mediaType, map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	return h
}

func writePart(parent *message.Writer, h message.Header, body []byte) error {
	w, err := parent.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Close()
}

func address(a notify.Address) *gomail.Address {
	return &gomail.Address{Name: a.Name, Address: a.Email}
}

// withMessageID gives m a Message-ID in its sender's domain if it has none, so
// the composed message and anything named after it (an .eml file) agree.
func withMessageID(m notify.Message) notify.Message {
	if m.MessageID == "" {
		domain := m.From.Email[strings.LastIndexByte(m.From.Email, '@')+1:]
		m.MessageID = notify.NewMessageID(domain)
	}
	return m
}
