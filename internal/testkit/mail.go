package testkit

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	gomail "github.com/emersion/go-message/mail"
)

// Mail is one message the server's file mailer wrote.
type Mail struct {
	Path    string
	Subject string
	Text    string // the text/plain parts
}

// MailsTo reads the .eml files the file mailer wrote under dataDir/mail
// whose one recipient is address, oldest first: their names begin with the
// time of writing.
func MailsTo(t testing.TB, dataDir, address string) []Mail {
	t.Helper()
	dir := filepath.Join(dataDir, "mail")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read mail directory: %v", err)
	}
	var names []string
	for _, en := range entries {
		// A leading dot marks a file still being written.
		if strings.HasSuffix(en.Name(), ".eml") && !strings.HasPrefix(en.Name(), ".") {
			names = append(names, en.Name())
		}
	}
	sort.Strings(names)
	var out []Mail
	for _, name := range names {
		if m, ok := readMailTo(t, filepath.Join(dir, name), address); ok {
			out = append(out, m)
		}
	}
	return out
}

func readMailTo(t testing.TB, path, address string) (Mail, bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mr, err := gomail.CreateReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	to, err := mr.Header.AddressList("To")
	if err != nil || len(to) != 1 || !strings.EqualFold(to[0].Address, address) {
		return Mail{}, false
	}
	m := Mail{Path: path}
	if m.Subject, err = mr.Header.Subject(); err != nil {
		t.Fatalf("%s: subject: %v", path, err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return m, true
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h, ok := p.Header.(*gomail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				m.Text += string(b)
			}
		}
	}
}
