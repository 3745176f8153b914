package notify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
)

// Mailer delivers one e-mail message. services/notify/mail implements it over
// SMTP and as .eml files.
//
// Every error Send returns is one of two kinds, so an outbox needs one check:
//   - ErrPermanent: the message will never be accepted as it is (it is invalid,
//     a recipient or the credentials were refused with a 5xx reply): dead-letter it.
//   - core.ErrUnavailable: the server could not take it now (a 4xx reply, the
//     network, a cancelled context): retry later with the same MessageID.
//
// A failed Send may still, rarely, have delivered the message (the connection
// can break after the server took the data), which is why the MessageID must
// stay the same across retries: receivers can tell the copies apart.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a delivery failure that retrying cannot fix. Errors of
// this kind may also match core.ErrInvalid when the message itself was wrong.
var ErrPermanent = errors.New("permanent delivery failure")

// Address is one mailbox: a display name (may be empty) and an e-mail address.
type Address struct {
	Name  string
	Email string
}

// Message is one e-mail as a caller wants it delivered. Validate says whether
// it can be; every Mailer validates before it opens a connection.
type Message struct {
	// MessageID is the RFC 5322 msg-id with its angle brackets, "<random@host>".
	// Set it once when the message is stored (NewMessageID) so every retry
	// carries the same id; when empty a fresh one is generated per Send.
	MessageID string
	From      Address
	To        []Address
	ReplyTo   *Address
	Subject   string
	Text      string // required: the part every client can show
	HTML      string // optional alternative to Text
	Calendar  *Calendar
	// Language is the language of the text (sv or en), sent as
	// Content-Language and read back when a later message must speak to
	// the same person in their language.
	Language string
	// Headers are extra header fields, e.g. "Auto-Submitted": "auto-generated".
	// They cannot replace the fields the composer writes itself (From, Subject,
	// Content-*, ...); non-ASCII values are RFC 2047-encoded.
	Headers map[string]string
}

// Calendar is an iCalendar object sent with a message as an iMIP invitation
// (RFC 6047): a text/calendar alternative plus the same bytes as an attachment.
type Calendar struct {
	Method   string // MethodRequest, MethodCancel or MethodPublish; must match the METHOD in Data
	Data     []byte // the RFC 5545 object, CRLF line endings, lines folded
	Filename string // the attachment's name; DefaultCalendarFilename when empty
}

// iTIP methods (RFC 5546) that Tidbok sends.
const (
	MethodRequest = "REQUEST"
	MethodCancel  = "CANCEL"
	MethodPublish = "PUBLISH"
)

// DefaultCalendarFilename names the .ics attachment when Calendar.Filename is empty.
const DefaultCalendarFilename = "invite.ics"

// Limits that keep every header line well under RFC 5322's 998 octets once
// encoded, and the recipient list within what RFC 5321 servers must accept.
const (
	MaxRecipients     = 100
	maxNameLen        = 200
	maxSubjectLen     = 500
	maxHeaderValueLen = 900
	maxEmailLen       = 254
	maxMessageIDLen   = 250
)

// fieldsSetByComposer are written by the composer; an extra header must not
// duplicate or override them (a second From or a Bcc is how injection starts).
var fieldsSetByComposer = []string{
	"from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date",
	"message-id", "mime-version", "return-path", "received",
}

// Validate reports every problem with m as a *core.ValidationError (an
// ErrInvalid), or nil. Besides well-formed addresses it refuses control
// characters in anything that ends up in a header: a CR or LF there would let
// a caller add header fields or recipients of their own. Messages never echo
// the offending values, which are personal data.
func (m Message) Validate() error {
	var v core.Validator
	if m.MessageID != "" {
		v.Check(validMessageID(m.MessageID), "message_id", "must look like <unique@domain>")
	}
	checkAddress(&v, "from", m.From)
	switch {
	case len(m.To) == 0:
		v.Add("to", "at least one recipient is required")
	case len(m.To) > MaxRecipients:
		v.Add("to", fmt.Sprintf("at most %d recipients", MaxRecipients))
	}
	for i, a := range m.To {
		checkAddress(&v, fmt.Sprintf("to[%d]", i), a)
	}
	if m.ReplyTo != nil {
		checkAddress(&v, "reply_to", *m.ReplyTo)
	}
	checkHeaderText(&v, "subject", m.Subject, maxSubjectLen)
	v.Check(strings.TrimSpace(m.Text) != "", "text", "a plain-text body is required")
	v.Check(utf8.ValidString(m.Text), "text", "must be valid UTF-8")
	v.Check(utf8.ValidString(m.HTML), "html", "must be valid UTF-8")
	if m.Calendar != nil {
		m.Calendar.validate(&v)
	}
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable order of field errors
	for _, k := range keys {
		field := fmt.Sprintf("headers[%q]", k)
		switch {
		case !validFieldName(k):
			v.Add(field, "is not a valid header field name")
		case slices.Contains(fieldsSetByComposer, strings.ToLower(k)) ||
			strings.HasPrefix(strings.ToLower(k), "content-"):
			v.Add(field, "is set by the composer and cannot be overridden")
		}
		checkHeaderText(&v, field, m.Headers[k], maxHeaderValueLen)
	}
	return v.Err()
}

func (c Calendar) validate(v *core.Validator) {
	methodOK := c.Method == MethodRequest || c.Method == MethodCancel || c.Method == MethodPublish
	v.Check(methodOK, "calendar.method", "must be REQUEST, CANCEL or PUBLISH")
	switch {
	case len(c.Data) == 0:
		v.Add("calendar.data", "is required")
	case !utf8.Valid(c.Data):
		v.Add("calendar.data", "must be valid UTF-8")
	case !strings.HasPrefix(string(c.Data), "BEGIN:VCALENDAR"):
		v.Add("calendar.data", "must be an iCalendar object (BEGIN:VCALENDAR)")
	case methodOK && !hasLine(string(c.Data), "METHOD:"+c.Method):
		// RFC 6047 §2.4: the content type's method and the object's METHOD
		// must agree, or clients act on the wrong one.
		v.Add("calendar.data", "must contain METHOD:"+c.Method+" to match calendar.method")
	}
	if c.Filename != "" {
		v.Check(validFilename(c.Filename), "calendar.filename", "must be a plain file name ending in .ics")
	}
}

// NewMessageID returns a fresh, globally unique msg-id for mail sent from
// domain, "<random@domain>". An outbox calls it once when it stores a message,
// so every retry of that message carries the same id.
func NewMessageID(domain string) string {
	if !validDotAtom(domain) {
		domain = "tidbok.invalid"
	}
	return "<" + rand.Text() + "@" + domain + ">"
}

func checkAddress(v *core.Validator, field string, a Address) {
	checkHeaderText(v, field+".name", a.Name, maxNameLen)
	v.Check(validEmail(a.Email), field+".email", "must be a valid e-mail address")
}

func checkHeaderText(v *core.Validator, field, s string, limit int) {
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case hasControl(s):
		v.Add(field, "must not contain line breaks or control characters")
	case len(s) > limit:
		v.Add(field, fmt.Sprintf("must be at most %d bytes", limit))
	}
}

func validEmail(s string) bool {
	if s == "" || len(s) > maxEmailLen || hasControl(s) {
		return false
	}
	// Equality rejects inputs that parse but are more than a bare address,
	// such as "Name <a@b>" or a quoted local part.
	p, err := mail.ParseAddress(s)
	return err == nil && p.Name == "" && p.Address == s
}

// hasControl reports C0 controls other than tab, and DEL.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return (r < 0x20 && r != '\t') || r == 0x7f
	})
}

// validFieldName is RFC 5322's field-name: printable ASCII except the colon.
func validFieldName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 || s[i] == ':' {
			return false
		}
	}
	return true
}

// validMessageID accepts the common form of RFC 5322's msg-id:
// "<" dot-atom-text "@" dot-atom-text ">".
func validMessageID(s string) bool {
	if len(s) > maxMessageIDLen || !strings.HasPrefix(s, "<") || !strings.HasSuffix(s, ">") {
		return false
	}
	left, right, ok := strings.Cut(s[1:len(s)-1], "@")
	return ok && validDotAtom(left) && validDotAtom(right)
}

func validDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAtext(c) && c != '.' {
			return false
		}
	}
	return true
}

func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

func validFilename(s string) bool {
	if len(s) > 100 || len(s) <= len(".ics") || s[0] == '.' || !strings.HasSuffix(strings.ToLower(s), ".ics") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// hasLine reports whether text has a line equal to want, ignoring case (RFC
// 5545 names and these values are case-insensitive) and the line ending.
func hasLine(text, want string) bool {
	for line := range strings.Lines(text) {
		if strings.EqualFold(strings.TrimRight(line, "\r\n"), want) {
			return true
		}
	}
	return false
}
