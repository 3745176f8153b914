package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
)

// browserTools finds chromium and node with playwright-core and axe-core
// installed in testdata. Without them the test is skipped locally and fails
// in CI (CI set), where .ci/run installs them.
func browserTools(t *testing.T) (chromium, node string) {
	t.Helper()
	var missing string
	var err error
	if chromium, err = exec.LookPath("chromium"); err != nil {
		missing = "chromium is not installed (apt-get install chromium)"
	} else if node, err = exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else {
		for _, pkg := range []string{"playwright-core", "axe-core"} {
			if _, err := os.Stat(filepath.Join("testdata", "node_modules", pkg, "package.json")); err != nil {
				missing = pkg + " is not installed (run: npm ci --prefix transport/web/testdata)"
			}
		}
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test unavailable in CI: %s", missing)
		}
		t.Skipf("browser test unavailable: %s; CI runs it", missing)
	}
	return chromium, node
}

type browserReport struct {
	Pages      []string `json:"pages"`
	Violations []struct {
		Page, ID, Impact, Help string
		Nodes                  []string
	} `json:"violations"`
	CSP     []string         `json:"csp"`
	Steps   []map[string]any `json:"steps"`
	MovedTo string           `json:"moved_to"`
}

// TestManageInABrowser opens a manage link in a real browser, checks what it
// shows and its accessibility, moves and cancels the meeting through the
// forms, and then asks booking what became of the appointment.
func TestManageInABrowser(t *testing.T) {
	chromium, node := browserTools(t)
	e := newEnv(t, dbtest.SQLite(t))
	slots := e.freeSlots(t, 1)
	a, token := e.book(t, slots[0], "karin@example.se")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "browser_check.mjs")
	cmd.Dir = "testdata"
	cmd.Env = append(os.Environ(), "MANAGE_URL="+e.srv.URL+"/m/"+token, "CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node browser_check.mjs: %v\n%s\n%s", err, stderr.String(), stdout.String())
	}
	var r browserReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	for _, v := range r.Violations {
		t.Errorf("axe on %q: %s (%s): %s at %v", v.Page, v.ID, v.Impact, v.Help, v.Nodes)
	}
	if len(r.Pages) != 7 {
		t.Errorf("axe ran on %d pages (%v), want 7", len(r.Pages), r.Pages)
	}
	for _, c := range r.CSP {
		t.Errorf("the browser reports a CSP violation: %s", c)
	}

	step := func(name string) map[string]any {
		for _, s := range r.Steps {
			if s["page"] == name {
				return s
			}
		}
		t.Fatalf("no step %q in %v", name, r.Steps)
		return nil
	}
	manage := step("manage")
	if manage["status"] != 200.0 || manage["lang"] != "sv" || manage["h1"] != "Ditt möte" || manage["status_text"] != "Bokat" {
		t.Errorf("the manage page: %v", manage)
	}
	body, _ := manage["body"].(string)
	for _, want := range []string{"Bygglovsrådgivning", "Exempelby kommun", a.Start.In(stockholm).Format("15.04"), "Stadshuset",
		"Ta med", "Ritningar och fastighetsbeteckning"} {
		if !strings.Contains(body, want) {
			t.Errorf("the manage page lacks %q:\n%s", want, body)
		}
	}
	if focus := r.Steps[1]; focus["focus"] != "skip" || focus["outline"] == "none" {
		t.Errorf("first Tab: %v, want the skip link with a visible outline", focus)
	}
	if en := step("manage-en"); en["lang"] != "en" || en["h1"] != "Your meeting" {
		t.Errorf("the English page: %v", en)
	}
	if moved := step("moved"); moved["status"] != 200.0 || !strings.Contains(moved["notice"].(string), "flyttats") {
		t.Errorf("after moving: %v", moved)
	}
	if c := step("cancelled"); c["notice"] == nil || !strings.Contains(c["notice"].(string), "avbokat") || c["status_text"] != "Avbokat" || c["forms"] != 0.0 {
		t.Errorf("after cancelling: %v", c)
	}
	if bad := step("tampered"); bad["status"] != 404.0 {
		t.Errorf("a tampered link: %v", bad)
	}

	// What the browser did, as booking knows it.
	got := e.appointment(t, a.ID)
	movedTo, err := time.Parse(time.RFC3339, r.MovedTo)
	if err != nil {
		t.Fatalf("moved_to %q: %v", r.MovedTo, err)
	}
	if got.Status != booking.Cancelled || got.CancelReason != "Jag har fått förhinder" || !got.Start.Equal(movedTo) || got.Sequence != a.Sequence+2 {
		t.Fatalf("the appointment is %s (%q) at %v, sequence %d; want cancelled after a move to %v, sequence %d",
			got.Status, got.CancelReason, got.Start, got.Sequence, movedTo, a.Sequence+2)
	}
}
