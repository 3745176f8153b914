package mail_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
	"github.com/tidbok/tidbok/services/notify/mail"
)

var emlName = regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-[A-Za-z0-9._@-]+\.eml$`)

func TestFileMailerWritesPrivateParseableEMLFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "mail") // does not exist yet
	mailer := mail.FileMailer{Dir: dir}
	sent := map[string]notify.Message{
		"fil-1@exempelby.se": invitation("<fil-1@exempelby.se>"),
		"":                   testMessage(""), // the mailer generates the id
	}
	for _, m := range sent {
		if err := mailer.Send(testContext(t), m); err != nil {
			t.Fatal(err)
		}
	}

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode = %o, want 700", perm)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(sent) {
		t.Fatalf("%d files in %s, want %d (no temporary files left)", len(entries), dir, len(sent))
	}
	for _, e := range entries {
		if !emlName.MatchString(e.Name()) {
			t.Errorf("file name %q does not match %s", e.Name(), emlName)
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode = %o, want 600", e.Name(), perm)
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		assertWireSafe(t, raw)
		pm, err := parseMail(raw)
		if err != nil {
			t.Fatalf("%s does not parse: %v", e.Name(), err)
		}
		if !strings.HasSuffix(e.Name(), "-"+pm.MessageID+".eml") {
			t.Errorf("file %s is not named after its Message-ID %s", e.Name(), pm.MessageID)
		}
		want, ok := sent[pm.MessageID]
		if !ok {
			want = sent[""]
		}
		want.MessageID = "<" + pm.MessageID + ">"
		assertHeaders(t, pm, want)
		assertBodies(t, pm.Root, want)
	}
}

func TestFileMailerFailsTransientlyWhenItCannotWrite(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "mail")
	if err := os.WriteFile(notADir, []byte("a file where the directory should be"), 0o600); err != nil {
		t.Fatal(err)
	}

	err := mail.FileMailer{Dir: notADir}.Send(testContext(t), testMessage("<disk@exempelby.se>"))

	if !errors.Is(err, core.ErrUnavailable) || errors.Is(err, notify.ErrPermanent) {
		t.Errorf("err = %v, want a transient error", err)
	}
}

func TestNewMailerPicksTheDelivery(t *testing.T) {
	dataDir := t.TempDir()
	t.Run("no SMTP URL writes files under the data dir", func(t *testing.T) {
		m, err := mail.NewMailer("", dataDir)
		if err != nil {
			t.Fatal(err)
		}
		if fm, ok := m.(mail.FileMailer); !ok || fm.Dir != filepath.Join(dataDir, "mail") {
			t.Errorf("NewMailer = %#v, want FileMailer in %s", m, filepath.Join(dataDir, "mail"))
		}
	})
	t.Run("an SMTP URL sends by SMTP", func(t *testing.T) {
		m, err := mail.NewMailer("smtp://127.0.0.1:1025", dataDir)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*mail.SMTPMailer); !ok {
			t.Errorf("NewMailer = %T, want *SMTPMailer", m)
		}
	})
	t.Run("a bad SMTP URL is an error, not a nil mailer", func(t *testing.T) {
		m, err := mail.NewMailer("smtp://bokning:hemligt@mail.exempelby.se?starttls=none", dataDir)
		if m != nil || !errors.Is(err, core.ErrInvalid) {
			t.Errorf("NewMailer = %v, %v; want nil and ErrInvalid", m, err)
		}
	})
	t.Run("neither is a configuration error", func(t *testing.T) {
		if _, err := mail.NewMailer("", ""); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}
