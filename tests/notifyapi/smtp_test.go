package notifyapi_test

import (
	"strings"

	"github.com/tidbok/tidbok/internal/testkit"
)

// The SMTP server in the test process, and the messages it read.
type (
	inbound  = testkit.Inbound
	mimePart = testkit.MIMEPart
)

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
