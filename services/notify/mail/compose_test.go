package mail_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/mail"
)

const (
	fromName = "Exempelby kommun – Bygglov"
	toName   = "Åsa Öberg-Ärlig"
	subject  = "Bekräftelse: ditt möte på Storgatan – välkommen, Åsa!"
)

// longLine is one unbroken line far beyond RFC 5322's 998 octets.
var longLine = strings.Repeat("Långa rader måste brytas säkert. ", 200)

func testMessage(id string) notify.Message {
	return notify.Message{
		MessageID: id,
		From:      notify.Address{Name: fromName, Email: "bokning@exempelby.se"},
		To:        []notify.Address{{Name: toName, Email: "asa.oberg@example.se"}},
		Subject:   subject,
		Text:      "Hej Åsa!\n\nDitt möte är bokat torsdag 12 mars kl. 14.00.\n" + longLine + "\nVälkommen till Storgatan 1.\n",
		HTML:      "<p>Hej Åsa!</p><p>Ditt möte är bokat <strong>torsdag 12 mars kl. 14.00</strong>.</p><p>" + longLine + "</p>",
	}
}

func invitationICS(method string) []byte {
	return []byte(strings.Join([]string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//Tidbok//Test//SV",
		"METHOD:" + method,
		"BEGIN:VEVENT",
		"UID:0197a7c2-5f3e-7000-8000-000000000001@tidbok.test",
		"SEQUENCE:0",
		"DTSTAMP:20260310T090000Z",
		"DTSTART:20260312T130000Z",
		"DTEND:20260312T133000Z",
		"SUMMARY:Möte om bygglov – Storgatan 1\\, Exempelby",
		"END:VEVENT",
		"END:VCALENDAR",
	}, "\r\n") + "\r\n")
}

func invitation(id string) notify.Message {
	m := testMessage(id)
	m.Calendar = &notify.Calendar{Method: notify.MethodRequest, Data: invitationICS(notify.MethodRequest)}
	return m
}

const invitationTree = "multipart/mixed[multipart/alternative[text/plain,text/html,text/calendar],application/ics]"

// assertHeaders checks that the message's headers decode to what was sent.
func assertHeaders(t *testing.T, got parsedMail, want notify.Message) {
	t.Helper()
	if len(got.From) != 1 || got.From[0].Name != want.From.Name || got.From[0].Address != want.From.Email {
		t.Errorf("From = %v, want %q <%s>", got.From, want.From.Name, want.From.Email)
	}
	if len(got.To) != len(want.To) {
		t.Fatalf("To = %v, want %d recipients", got.To, len(want.To))
	}
	for i, a := range want.To {
		if got.To[i].Name != a.Name || got.To[i].Address != a.Email {
			t.Errorf("To[%d] = %q <%s>, want %q <%s>", i, got.To[i].Name, got.To[i].Address, a.Name, a.Email)
		}
	}
	if got.Subject != want.Subject {
		t.Errorf("Subject = %q, want %q", got.Subject, want.Subject)
	}
	if want.MessageID != "" && "<"+got.MessageID+">" != want.MessageID {
		t.Errorf("Message-ID = <%s>, want %s", got.MessageID, want.MessageID)
	}
	if v := got.Header.Get("Mime-Version"); v != "1.0" {
		t.Errorf("MIME-Version = %q, want 1.0", v)
	}
	if got.Date.IsZero() {
		t.Error("no Date")
	}
}

// assertBodies checks the text and HTML parts, and with a calendar the iMIP
// layout: the text/calendar alternative and the attachment carry the same
// bytes, which are the ones sent.
func assertBodies(t *testing.T, root *part, want notify.Message) {
	t.Helper()
	text := root.find("text/plain")
	if text == nil {
		t.Fatalf("no text/plain part in %s", root.tree())
	}
	// Quoted-printable carries line breaks as CRLF; the text was written with LF.
	if got := strings.ReplaceAll(string(text.Body), "\r\n", "\n"); got != want.Text {
		t.Errorf("text/plain body differs:\n got %.120q\nwant %.120q", got, want.Text)
	}
	if !strings.EqualFold(text.Params["charset"], "utf-8") {
		t.Errorf("text/plain charset = %q, want utf-8", text.Params["charset"])
	}
	if want.HTML != "" {
		html := root.find("text/html")
		if html == nil {
			t.Fatalf("no text/html part in %s", root.tree())
		}
		if string(html.Body) != want.HTML {
			t.Errorf("text/html body differs:\n got %.120q\nwant %.120q", html.Body, want.HTML)
		}
		if !strings.EqualFold(html.Params["charset"], "utf-8") {
			t.Errorf("text/html charset = %q, want utf-8", html.Params["charset"])
		}
	}
	if want.Calendar == nil {
		return
	}
	cal, att := root.find("text/calendar"), root.find("application/ics")
	if cal == nil || att == nil {
		t.Fatalf("calendar parts missing in %s", root.tree())
	}
	if cal.Params["method"] != want.Calendar.Method || !strings.EqualFold(cal.Params["charset"], "UTF-8") {
		t.Errorf("text/calendar params = %v, want method=%s charset=UTF-8", cal.Params, want.Calendar.Method)
	}
	if cal.Disposition != "" {
		t.Errorf("text/calendar has Content-Disposition %q; an alternative needs none", cal.Disposition)
	}
	if !bytes.Equal(cal.Body, want.Calendar.Data) {
		t.Errorf("text/calendar body differs from the calendar sent:\n got %q\nwant %q", cal.Body, want.Calendar.Data)
	}
	if !bytes.Equal(att.Body, cal.Body) {
		t.Errorf("attachment bytes differ from the text/calendar part:\n got %q\nwant %q", att.Body, cal.Body)
	}
	filename := want.Calendar.Filename
	if filename == "" {
		filename = notify.DefaultCalendarFilename
	}
	if att.Disposition != "attachment" || att.DispParams["filename"] != filename || att.Params["name"] != filename {
		t.Errorf("attachment: disposition %q %v, content type params %v; want attachment named %s",
			att.Disposition, att.DispParams, att.Params, filename)
	}
}

// assertWireSafe checks what any relay requires: 7-bit (so Swedish letters
// were encoded), CRLF line endings, no line over 998 octets.
func assertWireSafe(t *testing.T, raw []byte) {
	t.Helper()
	for i, b := range raw {
		if b >= 0x80 {
			t.Fatalf("byte %d is not ASCII (%q...)", i, raw[max(0, i-20):i+1])
		}
	}
	if n, crlf := bytes.Count(raw, []byte("\n")), bytes.Count(raw, []byte("\r\n")); n != crlf {
		t.Errorf("%d of %d line breaks are bare LF", n-crlf, n)
	}
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d octets long", i+1, len(line))
		}
	}
}

func TestComposeShapesTheMIMETreeByContent(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		message func() notify.Message
		tree    string
	}{
		{
			name:    "text alone is a single text/plain part",
			message: func() notify.Message { m := testMessage("<a@exempelby.se>"); m.HTML = ""; return m },
			tree:    "text/plain",
		},
		{
			name:    "text and HTML are alternatives, the richer last",
			message: func() notify.Message { return testMessage("<b@exempelby.se>") },
			tree:    "multipart/alternative[text/plain,text/html]",
		},
		{
			name:    "an invitation is mixed: alternatives with the calendar, then the calendar attached",
			message: func() notify.Message { return invitation("<c@exempelby.se>") },
			tree:    invitationTree,
		},
		{
			name:    "an invitation without HTML keeps text and calendar as the alternatives",
			message: func() notify.Message { m := invitation("<d@exempelby.se>"); m.HTML = ""; return m },
			tree:    "multipart/mixed[multipart/alternative[text/plain,text/calendar],application/ics]",
		},
		{
			name: "a cancellation carries method=CANCEL and its own file name",
			message: func() notify.Message {
				m := invitation("<e@exempelby.se>")
				m.Calendar = &notify.Calendar{Method: notify.MethodCancel, Data: invitationICS(notify.MethodCancel), Filename: "avbokning.ics"}
				return m
			},
			tree: invitationTree,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.message()
			raw, err := mail.Compose(m, now)
			if err != nil {
				t.Fatal(err)
			}
			assertWireSafe(t, raw)
			pm, err := parseMail(raw)
			if err != nil {
				t.Fatalf("go-message cannot read the result: %v", err)
			}
			if got := pm.Root.tree(); got != tc.tree {
				t.Errorf("MIME tree = %s, want %s", got, tc.tree)
			}
			assertHeaders(t, pm, m)
			assertBodies(t, pm.Root, m)
			if !pm.Date.Equal(now) {
				t.Errorf("Date = %v, want %v", pm.Date, now)
			}
			for _, p := range append([]*part{pm.Root}, allParts(pm.Root)...) {
				if len(p.Parts) == 0 && p.Encoding != "quoted-printable" && p.Encoding != "base64" {
					t.Errorf("%s has Content-Transfer-Encoding %q", p.MediaType, p.Encoding)
				}
			}
		})
	}
}

func allParts(p *part) []*part {
	var out []*part
	for _, c := range p.Parts {
		out = append(out, c)
		out = append(out, allParts(c)...)
	}
	return out
}

func TestComposeMessageID(t *testing.T) {
	now := time.Now()
	t.Run("a given Message-ID is kept", func(t *testing.T) {
		raw, err := mail.Compose(testMessage("<0197a7c2-stable@exempelby.se>"), now)
		if err != nil {
			t.Fatal(err)
		}
		pm, err := parseMail(raw)
		if err != nil {
			t.Fatal(err)
		}
		if pm.MessageID != "0197a7c2-stable@exempelby.se" {
			t.Errorf("Message-ID = %q", pm.MessageID)
		}
	})
	t.Run("a missing Message-ID is generated in the sender's domain, fresh each time", func(t *testing.T) {
		seen := map[string]bool{}
		for range 2 {
			raw, err := mail.Compose(testMessage(""), now)
			if err != nil {
				t.Fatal(err)
			}
			pm, err := parseMail(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(pm.MessageID, "@exempelby.se") {
				t.Errorf("Message-ID = %q, want one @exempelby.se", pm.MessageID)
			}
			m := testMessage("<" + pm.MessageID + ">")
			if err := m.Validate(); err != nil {
				t.Errorf("generated Message-ID does not validate: %v", err)
			}
			seen[pm.MessageID] = true
		}
		if len(seen) != 2 {
			t.Errorf("two messages got the same Message-ID: %v", seen)
		}
	})
}

func TestComposeWritesReplyToAndExtraHeaders(t *testing.T) {
	m := testMessage("<f@exempelby.se>")
	m.ReplyTo = &notify.Address{Name: "Handläggare Ödmark", Email: "handlaggare@exempelby.se"}
	m.Headers = map[string]string{
		"Auto-Submitted":  "auto-generated",
		"X-Tidbok-Agency": "Exempelby kommun – Socialtjänsten",
	}
	raw, err := mail.Compose(m, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	assertWireSafe(t, raw)
	pm, err := parseMail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.ReplyTo) != 1 || pm.ReplyTo[0].Name != m.ReplyTo.Name || pm.ReplyTo[0].Address != m.ReplyTo.Email {
		t.Errorf("Reply-To = %v", pm.ReplyTo)
	}
	for k, want := range m.Headers {
		if got, err := pm.Header.Text(k); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", k, got, err, want)
		}
	}
}

func TestComposeRefusesAMessageWithoutDate(t *testing.T) {
	_, err := mail.Compose(testMessage("<g@exempelby.se>"), time.Time{})
	if !errors.Is(err, core.ErrInvalid) {
		t.Errorf("err = %v, want ErrInvalid", err)
	}
}
