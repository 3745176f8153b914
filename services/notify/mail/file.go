package mail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
)

// FileMailer is a notify.Mailer that writes each message to Dir as an .eml
// file instead of sending it: the delivery when no SMTP relay is configured,
// so a demo or a developer can open every mail Tidbok would have sent.
//
// A file is named <UTC time>-<Message-ID>.eml, so a listing sorts by time,
// and appears complete or not at all (written under a temporary name, then
// renamed). Files are 0600 and Dir 0700: mail holds personal data.
type FileMailer struct {
	Dir string
}

// Send writes m to a new file in f.Dir, creating the directory if needed.
func (f FileMailer) Send(ctx context.Context, m notify.Message) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("file mailer: %w: %w", notify.ErrPermanent, err)
	}
	if f.Dir == "" {
		return fmt.Errorf("file mailer: no directory configured: %w: %w", notify.ErrPermanent, core.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file mailer: %w: %w", core.ErrUnavailable, err)
	}
	m = withMessageID(m)
	now := time.Now().UTC()
	raw, err := Compose(m, now)
	if err != nil {
		return fmt.Errorf("file mailer: %w: %w", notify.ErrPermanent, err)
	}
	name := now.Format("20060102T150405.000000000Z") + "-" + fileSafe(m.MessageID) + ".eml"
	if err := writeFileAtomic(f.Dir, name, raw); err != nil {
		// A full disk or a permission gone wrong can be fixed while the
		// outbox waits: retry rather than dead-letter.
		return fmt.Errorf("file mailer: %w: %w", core.ErrUnavailable, err)
	}
	return nil
}

func writeFileAtomic(dir, name string, data []byte) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// The leading dot keeps readers that look for *.eml off a half-written file.
	tmp, err := os.CreateTemp(dir, ".tmp-*.eml") // CreateTemp makes it 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	// Persist the rename too. Not every platform can sync a directory, and the
	// file is complete either way, so this is best effort.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// fileSafe keeps a Message-ID's letters, digits and ._-@ for a file name,
// replaces anything else, and drops the angle brackets.
func fileSafe(id string) string {
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if len(id) > 100 {
		id = id[:100]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9',
			r == '.', r == '_', r == '-', r == '@':
			return r
		}
		return '_'
	}, id)
}
