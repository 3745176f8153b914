package notifyapi_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/auth"
)

var manageLink = regexp.MustCompile(`http://tidbok\.test/m/([A-Za-z0-9_-]{90,})`)

// page fetches a page of the server without signing in.
func (e *env) page(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestTheCitizensInvitationCarriesAManageLink(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		karin := e.signInCitizen(t, "karin@example.se", "sv")
		booked, moved := local(time.March, 25, 10, 0), local(time.March, 30, 10, 0)
		a := e.book(t, booked, map[string]string{"id": karin.ID})
		e.deliver(t)

		cm, cev := e.wantInvitation(t, a.ID, karin.Email, version{n: 1, method: "REQUEST", sequence: 0, status: "CONFIRMED", start: booked.UTC()})
		link := manageLink.FindStringSubmatch(cm.Text())
		if link == nil {
			t.Fatalf("the citizen's text has no manage link:\n%s", cm.Text())
		}
		if html := string(cm.Root.Find("text/html").Body); !strings.Contains(html, `<a href="`+link[0]+`">`) {
			t.Errorf("the HTML body does not link %s:\n%s", link[0], html)
		}
		if !strings.Contains(cev.Description, link[0]) {
			t.Errorf("the calendar DESCRIPTION lacks the link:\n%s", cev.Description)
		}
		if got := cm.Header.Get("Content-Language"); got != "sv" {
			t.Errorf("Content-Language %q", got)
		}
		// The link opens the meeting, signed out.
		status, body := e.page(t, "/m/"+link[1])
		if status != http.StatusOK || !strings.Contains(body, "Bygglovsrådgivning") || !strings.Contains(body, "torsdag 25 mars 2027") {
			t.Fatalf("GET the link: %d\n%s", status, body)
		}
		// Staff get no such link.
		sm, sev := e.wantInvitation(t, a.ID, bertilEmail, version{n: 1, method: "REQUEST", sequence: 0, status: "CONFIRMED", start: booked.UTC()})
		if strings.Contains(sm.Text(), "/m/") || strings.Contains(sev.Description, "/m/") {
			t.Errorf("the staff invitation carries the citizen's link:\n%s", sm.Text())
		}

		// A move brings a link again; a cancellation none.
		e.act(t, a.ID, "reschedule", map[string]string{"start": moved.Format(time.RFC3339)})
		e.deliver(t)
		cm, _ = e.wantInvitation(t, a.ID, karin.Email, version{n: 2, method: "REQUEST", sequence: 1, status: "CONFIRMED", start: moved.UTC()})
		if manageLink.FindString(cm.Text()) == "" {
			t.Errorf("the new time's invitation has no link:\n%s", cm.Text())
		}
		e.act(t, a.ID, "cancel", map[string]string{"reason": "Handläggaren är sjuk"})
		e.deliver(t)
		cm, cev = e.wantInvitation(t, a.ID, karin.Email, version{n: 3, method: "CANCEL", sequence: 2, status: "CANCELLED", start: moved.UTC()})
		if strings.Contains(cm.Text(), "/m/") || strings.Contains(cev.Description, "/m/") {
			t.Errorf("the cancellation offers a link:\n%s", cm.Text())
		}
		// The first link now shows the meeting cancelled, and nothing to do.
		status, body = e.page(t, "/m/"+link[1])
		if status != http.StatusOK || !strings.Contains(body, "Avbokat") || strings.Contains(body, "<form") {
			t.Errorf("the old link after cancelling: %d\n%s", status, body)
		}
	})
}

func TestStaffReadTheirOwnLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// Bertil gets a sign-in account in English, linked to his place in
		// the directory.
		boot := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: "bootstrap", Role: core.RoleSystemAdmin})
		account, _, err := e.server.Auth.CreateStaff(boot, auth.NewStaff{Email: bertilEmail, Name: "Bertil Bygglov",
			Role: core.RoleCaseworker, AgencyID: exempelby, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		admin := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: exempelby})
		bertil := core.StableID("staff-member/exempelby/bertil")
		m, err := e.server.Booking.GetStaffMember(admin, exempelby, bertil)
		if err != nil {
			t.Fatal(err)
		}
		m.AccountID = account.ID
		if _, err := e.server.Booking.UpdateStaffMember(admin, m); err != nil {
			t.Fatal(err)
		}

		karin := e.signInCitizen(t, "karin@example.se", "sv")
		wantStatus(t, e.call(t, "PATCH", "/v1/me", karin.Token, map[string]any{"name": "Karin Lindqvist"}), http.StatusOK)
		booked, moved := local(time.March, 25, 10, 0), local(time.March, 30, 10, 0)
		a := e.book(t, booked, map[string]string{"id": karin.ID})
		e.deliver(t)
		sm, sev := e.wantInvitation(t, a.ID, bertilEmail, version{n: 1, method: "REQUEST", sequence: 0, status: "CONFIRMED", start: booked.UTC()})
		if !strings.HasPrefix(sm.Subject, "Booked: Building permit advice with Karin Lindqvist, Thursday 25 March 2027, 10:00–10:30") ||
			!strings.Contains(sm.Text(), "Citizen: Karin Lindqvist") || sm.Header.Get("Content-Language") != "en" {
			t.Errorf("English staff invitation: %q (%s)\n%s", sm.Subject, sm.Header.Get("Content-Language"), sm.Text())
		}
		if sev.Summary != "Building permit advice – Karin Lindqvist" || !strings.Contains(sev.Description, "Meeting type: Building permit advice") {
			t.Errorf("English staff calendar: %q\n%s", sev.Summary, sev.Description)
		}
		// The citizen still reads Swedish.
		if cm, _ := e.wantInvitation(t, a.ID, karin.Email, version{n: 1, method: "REQUEST", sequence: 0, status: "CONFIRMED", start: booked.UTC()}); !strings.HasPrefix(cm.Subject, "Bokat: Bygglovsrådgivning") {
			t.Errorf("the citizen's subject %q", cm.Subject)
		}

		// An admin switches Bertil to Swedish; the next invitation is Swedish.
		r := e.call(t, "PATCH", "/v1/staff/"+account.ID, e.admin, map[string]any{"language": "sv"})
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.Body), `"language":"sv"`) {
			t.Errorf("PATCH /v1/staff answered %s", r.Body)
		}
		wantStatus(t, e.call(t, "PATCH", "/v1/staff/"+account.ID, e.admin, map[string]any{"language": "de"}), http.StatusBadRequest)
		e.act(t, a.ID, "reschedule", map[string]string{"start": moved.Format(time.RFC3339)})
		e.deliver(t)
		sm, sev = e.wantInvitation(t, a.ID, bertilEmail, version{n: 2, method: "REQUEST", sequence: 1, status: "CONFIRMED", start: moved.UTC()})
		if !strings.HasPrefix(sm.Subject, "Ny tid: Bygglovsrådgivning med Karin Lindqvist, tisdag 30 mars 2027 kl. 10.00–10.30") ||
			!strings.Contains(sm.Text(), "Medborgare: Karin Lindqvist") || sm.Header.Get("Content-Language") != "sv" {
			t.Errorf("Swedish staff invitation: %q\n%s", sm.Subject, sm.Text())
		}
		if sev.Summary != "Bygglovsrådgivning – Karin Lindqvist" {
			t.Errorf("Swedish staff calendar: %q", sev.Summary)
		}
	})
}

func TestAHandoverSpeaksTheFormerStaffMembersLanguage(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// Hanna reads English: her account says so, and the directory links it.
		boot := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: "bootstrap", Role: core.RoleSystemAdmin})
		accounts, err := e.server.Auth.ListStaff(boot, exempelby)
		if err != nil {
			t.Fatal(err)
		}
		var account string
		for _, a := range accounts {
			if a.Email == "handlaggare@exempelby.se" {
				account = a.ID
			}
		}
		wantStatus(t, e.call(t, "PATCH", "/v1/staff/"+account, e.admin, map[string]any{"language": "en"}), http.StatusOK)
		admin := core.WithPrincipal(ctx, core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: exempelby})
		hanna := core.StableID("staff-member/exempelby/hanna")
		m, err := e.server.Booking.GetStaffMember(admin, exempelby, hanna)
		if err != nil {
			t.Fatal(err)
		}
		m.AccountID = account
		if _, err := e.server.Booking.UpdateStaffMember(admin, m); err != nil {
			t.Fatal(err)
		}

		social := core.StableID("meeting-type/exempelby/social-first-meeting")
		book := func(at time.Time, citizen string) appointment {
			t.Helper()
			r := e.call(t, "POST", "/v1/appointments", e.staff, map[string]any{"meeting_type_id": social, "mode": "in_person",
				"start": at.Format(time.RFC3339), "staff_id": hanna, "citizen": map[string]string{"email": citizen, "name": "Karin Lindqvist"}})
			wantStatus(t, r, http.StatusCreated)
			var a appointment
			decode(t, r, &a)
			return a
		}
		first, moved := local(time.March, 23, 10, 0), local(time.March, 24, 10, 0)
		a := book(first, "karin@example.se")
		book(moved, "olle@example.se") // Hanna is taken at the new time
		e.deliver(t)
		a = e.act(t, a.ID, "reschedule", map[string]string{"start": moved.Format(time.RFC3339)})
		if a.StaffID == hanna {
			t.Fatal("the move kept Hanna, who is taken")
		}
		e.deliver(t)

		got := e.invitationsFor(t, a.ID)
		if n := len(got["hanna@exempelby.se"]); n != 2 {
			t.Fatalf("Hanna got %d invitations, want the request and a cancellation", n)
		}
		req, last := got["hanna@exempelby.se"][0], got["hanna@exempelby.se"][1]
		if !strings.HasPrefix(req.Subject, "Booked: ") {
			t.Errorf("Hanna's invitation %q is not in English", req.Subject)
		}
		ev := last.Invite(t)
		if ev.Method != "CANCEL" || !strings.HasPrefix(last.Subject, "Moved to a colleague: ") ||
			!strings.Contains(last.Text(), "removed from your calendar") || !strings.Contains(ev.Description, "Citizen: Karin Lindqvist") {
			t.Errorf("Hanna's handover is not in English: %s %q\n%s\n%s", ev.Method, last.Subject, last.Text(), ev.Description)
		}
		// Elin, who took the meeting, has no account: Swedish.
		if elin := got["elin@exempelby.se"]; len(elin) != 1 || !strings.HasPrefix(elin[0].Subject, "Ny tid: ") && !strings.HasPrefix(elin[0].Subject, "Bokat: ") {
			t.Errorf("Elin's invitations: %d, %v", len(elin), elin)
		}
	})
}
