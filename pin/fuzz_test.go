package pin

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

// parseReasons is every message Parse may give. Checking against it proves
// that no error repeats any part of the input.
var parseReasons = map[string]bool{
	"must contain only digits, with an optional - or + before the last four":     true,
	"+ is only used with 10 digits; a 12-digit number already gives the century": true,
	"must have 10 or 12 digits":                                   true,
	"birth year must be 1840 or later":                            true,
	"birth year is out of range":                                  true,
	"check digit does not match; look for a mistyped digit":       true,
	"day of birth must be 01–31, or 61–91 in a samordningsnummer": true,
	"birth date does not exist":                                   true,
	"birth date is in the future":                                 true,
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"19811218-9876", "811218-9876", "121212+1212", "701063-2391", "197010632391",
		"20000229-1236", "000229+1236", "19810230-1234", "19121212+1212", "",
		" 8112189876 ", "1981-1218-9876", "19811292-1234", "\t811218-9876\n", "８１１２１８９８７６",
	} {
		f.Add(s, now.Unix())
	}
	f.Add("000101-1234", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	f.Add("991231+1234", int64(-1<<40))
	f.Add("991231-1234", int64(1<<50))

	f.Fuzz(func(t *testing.T, s string, unix int64) {
		clock := time.Unix(unix, 0).UTC()
		n, err := Parse(s, clock)
		if err != nil {
			var ve *core.ValidationError
			if !errors.Is(err, core.ErrInvalid) || !errors.As(err, &ve) ||
				len(ve.Fields) != 1 || ve.Fields[0].Field != Field || !parseReasons[ve.Fields[0].Message] {
				t.Fatalf("Parse(%q) error %#v is not one of the known field errors", s, err)
			}
			if !n.IsZero() {
				t.Fatalf("Parse(%q) failed but returned a non-zero Number", s)
			}
			return
		}

		d := n.Digits()
		if n.IsZero() || len(d) != 12 || strings.Trim(d, "0123456789") != "" {
			t.Fatalf("Parse(%q) gave Digits %q", s, d)
		}
		written := strings.NewReplacer("-", "", "+", "").Replace(strings.TrimSpace(s))
		if !strings.HasSuffix(written, d[2:]) {
			t.Fatalf("Parse(%q) = %s changed the digits written", s, n.Reveal())
		}
		for _, again := range []string{n.Reveal(), d} {
			m, err := Parse(again, clock)
			if err != nil || m != n {
				t.Fatalf("Parse(%q) = %s, but reparsing %q gave %s, %v", s, n.Reveal(), again, m.Reveal(), err)
			}
		}

		b := n.BirthDate()
		cy, cm, cd := clock.Date()
		if b.Year() < minYear || b.After(time.Date(cy, cm, cd, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("Parse(%q) gave birth date %s, out of range at %s", s, b.Format(time.DateOnly), clock)
		}
		if n.IsCoordination() != (d[6] >= '6') {
			t.Fatalf("Parse(%q): IsCoordination %v for day %s", s, n.IsCoordination(), d[6:8])
		}

		masked := n.Masked()
		if masked != d[:8]+"-****" {
			t.Fatalf("Masked() = %q for %s", masked, n.Reveal())
		}
		js, _ := json.Marshal(n)
		text, _ := n.MarshalText()
		for _, out := range []string{n.String(), n.GoString(), fmt.Sprint(n), fmt.Sprintf("%d %x %+v %#v", n, n, n, n), string(js), string(text)} {
			if strings.Contains(out, d) || strings.Contains(out, n.Reveal()) || !strings.Contains(out, masked) {
				t.Fatalf("%q does not hide the last four digits of %s", out, n.Reveal())
			}
		}
	})
}

func FuzzOpen(f *testing.F) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i)
	}
	s, err := NewSealer(key)
	if err != nil {
		f.Fatal(err)
	}
	n, err := Parse("19811218-9876", now)
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := s.Seal(n)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add([]byte{})
	f.Add(make([]byte, 28))
	f.Add(make([]byte, 40))
	f.Add(sealRaw(f, key, []byte("hello"), additionalData))

	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := s.Open(b)
		if err != nil {
			if !got.IsZero() {
				t.Fatal("Open failed but returned a non-zero Number")
			}
			return
		}
		if got.IsZero() || len(got.Digits()) != 12 {
			t.Fatalf("Open gave %q", got.Digits())
		}
		again, err := s.Seal(got)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := s.Open(again); err != nil || back != got {
			t.Fatalf("reseal of %s did not open to itself: %v", got.Reveal(), err)
		}
	})
}
