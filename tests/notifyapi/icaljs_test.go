package notifyapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// icalDir holds the independent parser the calendar package checks itself
// with: ical.js, installed by `npm ci --prefix calendar/testdata`, and the
// script that prints what it read.
var icalDir = filepath.Join("..", "..", "calendar", "testdata")

type icalJSInput struct {
	Name string `json:"name"`
	ICS  string `json:"ics"`
}

// icalJSEvent is what ical.js understood of one document.
type icalJSEvent struct {
	Name     string `json:"name"`
	Method   string `json:"method"`
	UID      string `json:"uid"`
	Sequence int    `json:"sequence"`
	Status   string `json:"status"`
	TZID     string `json:"tzid"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
	// Description is DESCRIPTION with its escapes undone.
	Description string `json:"description"`
}

// readWithICalJS writes each document to a file and has ical.js read them.
// Without node or the package the test is skipped, but fails when CI is set.
func readWithICalJS(t *testing.T, docs []icalJSInput) []icalJSEvent {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not on PATH"
	default:
		if _, err := os.Stat(filepath.Join(icalDir, "node_modules", "ical.js", "package.json")); err != nil {
			missing = "ical.js is not installed (run: npm ci --prefix calendar/testdata)"
		}
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("independent iCalendar parser unavailable in CI: %s", missing)
		}
		t.Skipf("independent iCalendar parser unavailable: %s; CI runs this test", missing)
	}

	dir := t.TempDir()
	for _, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, d.Name+".ics"), []byte(d.ICS), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	in, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "icaljs_check.mjs")
	cmd.Dir = icalDir
	// Far from Stockholm: a time resolved without the VTIMEZONE comes out
	// hours wrong, not silently right.
	cmd.Env = append(os.Environ(), "TZ=Pacific/Kiritimati")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node icaljs_check.mjs on %s: %v\n%s", dir, err, stderr.String())
	}
	var out []icalJSEvent
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("ical.js output: %v\n%s", err, stdout.String())
	}
	if len(out) != len(docs) {
		t.Fatalf("ical.js read %d documents, want %d", len(out), len(docs))
	}
	return out
}
