package web

import (
	"regexp"
	"testing"
)

// Every text exists in both languages, so no page shows an empty line.
func TestEveryTextInBothLanguages(t *testing.T) {
	for key, sv := range texts["sv"] {
		if en, ok := texts["en"][key]; !ok || en == "" || sv == "" {
			t.Errorf("%q: sv %q, en %q", key, sv, en)
		}
	}
	if len(texts["sv"]) != len(texts["en"]) {
		t.Errorf("%d Swedish texts, %d English", len(texts["sv"]), len(texts["en"]))
	}
}

// Every text a template names exists.
func TestTemplatesNameKnownTexts(t *testing.T) {
	entries, err := files.ReadDir("templates")
	if err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\.T\.([A-Za-z]+)`)
	n := 0
	for _, e := range entries {
		b, err := files.ReadFile("templates/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := texts["sv"][m[1]]; !ok {
				t.Errorf("%s names the unknown text %q", e.Name(), m[1])
			}
		}
	}
	if n < 20 {
		t.Fatalf("found only %d uses of texts: is the pattern still right?", n)
	}
}
