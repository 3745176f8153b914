package calendar

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

const (
	localFormat = "20060102T150405"
	utcFormat   = "20060102T150405Z"
	// maxLine is RFC 5545 §3.1's limit in octets, line break excluded.
	maxLine = 75
)

// setRaw sets a property whose value is already in its iCalendar form
// (date-times, offsets, recurrence rules, URIs): no text escaping.
func setRaw(props ical.Props, name, value string) {
	p := ical.NewProp(name)
	p.Value = value
	props.Set(p)
}

func setText(props ical.Props, name, text string) {
	p := ical.NewProp(name)
	p.SetText(normalizeText(text))
	// go-ical adds VALUE=TEXT to X- properties; TEXT is their default anyway.
	p.Params.Del(ical.ParamValue)
	props.Set(p)
}

// normalizeText turns caller text into what RFC 5545 TEXT can carry: valid
// UTF-8, line ends as LF (go-ical refuses CR and escapes LF as \n), and no
// control characters other than TAB and LF, which the grammar forbids.
func normalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// NormalizeText is what text in an Event becomes once written and read back:
// tests of other packages compare parsed text against it.
func NormalizeText(s string) string { return normalizeText(s) }

// encodeParam makes a parameter value (a CN) representable: a double quote or
// a line break cannot appear in one even quoted, so they are written with
// RFC 6868's caret escapes (^' ^n ^^), which ical.js, libical and Apple read.
// go-ical then adds the quotes that ',' ';' ':' need.
func encodeParam(s string) string {
	s = normalizeText(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '^':
			b.WriteString("^^")
		case '"':
			b.WriteString("^'")
		case '\n':
			b.WriteString("^n")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// decodeParam reverses RFC 6868; go-ical's decoder does not.
func decodeParam(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '^' && i+1 < len(s) {
			switch s[i+1] {
			case '^':
				b.WriteByte('^')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// fold splits every CRLF-terminated line longer than 75 octets (RFC 5545
// §3.1), continuing with CRLF and a space, and never inside a UTF-8 sequence.
func fold(in []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(in) + len(in)/maxLine*3)
	for len(in) > 0 {
		line := in
		i := bytes.Index(in, []byte("\r\n"))
		if i >= 0 {
			line, in = in[:i], in[i+2:]
		} else {
			in = nil
		}
		limit := maxLine
		for len(line) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			if cut == 0 {
				cut = limit
			}
			out.Write(line[:cut])
			out.WriteString("\r\n ")
			line = line[cut:]
			limit = maxLine - 1 // the leading space counts
		}
		out.Write(line)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}

// formatDuration writes a whole-second duration as an RFC 5545 dur-value,
// e.g. P1D, PT15M, -PT1H30M.
func formatDuration(d time.Duration) string {
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	b.WriteByte('P')
	sec := int64(d / time.Second)
	days, sec := sec/86400, sec%86400
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	if sec > 0 || days == 0 {
		b.WriteByte('T')
		h, m, s := sec/3600, sec/60%60, sec%60
		if h > 0 {
			b.WriteString(strconv.FormatInt(h, 10) + "H")
		}
		if m > 0 {
			b.WriteString(strconv.FormatInt(m, 10) + "M")
		}
		if s > 0 || sec == 0 {
			b.WriteString(strconv.FormatInt(s, 10) + "S")
		}
	}
	return b.String()
}
