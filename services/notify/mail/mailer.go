package mail

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/notify"
)

// NewMailer returns the Mailer the configuration asks for: an SMTPMailer for
// smtpURL (TIDBOK_SMTP_URL) when it is set, otherwise a FileMailer writing to
// <dataDir>/mail. Use NewSMTPMailer directly for options such as a private CA.
func NewMailer(smtpURL, dataDir string) (notify.Mailer, error) {
	if smtpURL = strings.TrimSpace(smtpURL); smtpURL != "" {
		m, err := NewSMTPMailer(smtpURL)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return m, nil
	}
	if dataDir == "" {
		return nil, fmt.Errorf("mail: neither an SMTP URL nor a data directory is configured: %w", core.ErrInvalid)
	}
	return FileMailer{Dir: filepath.Join(dataDir, "mail")}, nil
}
