// Package icaljstest reads iCalendar documents with ical.js, an independent
// parser, for tests that check what Tidbok writes. ical.js and the script
// that prints what it read live in calendar/testdata, installed by
// `npm ci --prefix calendar/testdata`.
package icaljstest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Input is one document to read, with wall-clock times in its event's zone
// that ical.js should turn into instants (Probes).
type Input struct {
	Name   string   `json:"name"`
	ICS    string   `json:"ics"`
	Probes []string `json:"probes,omitempty"`
}

// Person is an ORGANIZER or ATTENDEE as ical.js read it.
type Person struct {
	CN    string `json:"cn"`
	Value string `json:"value"`
}

// Event is what ical.js understood of one document.
type Event struct {
	Name     string `json:"name"`
	Method   string `json:"method"`
	UID      string `json:"uid"`
	Sequence int    `json:"sequence"`
	Status   string `json:"status"`
	TZID     string `json:"tzid"`
	Start    int64  `json:"start"`
	End      int64  `json:"end"`
	Summary  string `json:"summary"`
	// Description is DESCRIPTION with its escapes undone.
	Description string   `json:"description"`
	Location    string   `json:"location"`
	Organizer   Person   `json:"organizer"`
	Attendees   []Person `json:"attendees"`
	Probes      []int64  `json:"probes"` // the probes as instants, per the VTIMEZONE
}

// dir is calendar/testdata, found from this file so that tests of any
// package can read with it.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Read reads docs with ical.js under node. Without node or the installed
// package the test is skipped locally and fails in CI (CI set).
func Read(t testing.TB, docs []Input) []Event {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not on PATH"
	default:
		if _, err := os.Stat(filepath.Join(dir(), "node_modules", "ical.js", "package.json")); err != nil {
			missing = "ical.js is not installed (run: npm ci --prefix calendar/testdata)"
		}
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("independent iCalendar parser unavailable in CI: %s", missing)
		}
		t.Skipf("independent iCalendar parser unavailable: %s; CI runs this test", missing)
	}

	in, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "icaljs_check.mjs")
	cmd.Dir = dir()
	// A zone far from every test zone: a time ical.js failed to resolve
	// through the VTIMEZONE would come out hours wrong, not silently right.
	cmd.Env = append(os.Environ(), "TZ=Pacific/Kiritimati")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node icaljs_check.mjs: %v\n%s", err, stderr.String())
	}
	var out []Event
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("ical.js output: %v\n%s", err, stdout.String())
	}
	if len(out) != len(docs) {
		t.Fatalf("ical.js read %d documents, want %d", len(out), len(docs))
	}
	return out
}
