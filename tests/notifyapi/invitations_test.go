package notifyapi_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/calendar/icaljstest"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

// imip is the MIME shape every calendar client acts on (RFC 6047).
const imip = "multipart/mixed[multipart/alternative[text/plain,text/html,text/calendar],application/ics]"

// version is what one invitation must say.
type version struct {
	n        int // how many invitations the recipient has had, this one included
	method   string
	sequence int
	status   string
	start    time.Time
}

// wantInvitation checks the newest invitation of the appointment to
// recipient and returns it with its calendar.
func (e *env) wantInvitation(t *testing.T, appointmentID, recipient string, want version) (*inbound, *calendar.ParsedEvent) {
	t.Helper()
	got := e.invitationsFor(t, appointmentID)[recipient]
	if len(got) != want.n {
		t.Fatalf("%s has %d invitations to %s, want %d", recipient, len(got), appointmentID, want.n)
	}
	m := got[len(got)-1]
	if tree := m.Root.Tree(); tree != imip {
		t.Errorf("MIME tree %s, want %s", tree, imip)
	}
	cal := m.CalendarPart()
	if cal.Params["method"] != want.method || !strings.EqualFold(cal.Params["charset"], "utf-8") {
		t.Errorf("text/calendar parameters %v, want method=%s charset=UTF-8", cal.Params, want.method)
	}
	att := m.Root.Find("application/ics")
	if att.Disposition != "attachment" || !strings.HasSuffix(att.DispParams["filename"], ".ics") || !bytes.Equal(att.Body, cal.Body) {
		t.Errorf("attachment %s %v is not the same calendar as an .ics file", att.Disposition, att.DispParams)
	}
	ev := m.Invite(t)
	if ev.Method != want.method || ev.UID != calendar.UID(appointmentID) || ev.Sequence != want.sequence || ev.Status != want.status {
		t.Errorf("METHOD/UID/SEQUENCE/STATUS = %s/%s/%d/%s, want %s/%s/%d/%s", ev.Method, ev.UID, ev.Sequence, ev.Status,
			want.method, calendar.UID(appointmentID), want.sequence, want.status)
	}
	if !ev.Start.Equal(want.start) || !ev.End.Equal(want.start.Add(30*time.Minute)) || ev.Start.Location() != time.UTC {
		t.Errorf("DTSTART/DTEND = %s/%s, want %s and 30 minutes", ev.Start, ev.End, want.start.UTC())
	}
	if ev.TZID != "Europe/Stockholm" {
		t.Errorf("TZID = %q", ev.TZID)
	}
	if ev.Organizer.Email != fromAddr || ev.Organizer.Name != "Exempelby kommun" {
		t.Errorf("ORGANIZER = %+v", ev.Organizer)
	}
	if !strings.HasSuffix(m.MessageID, "@exempelby.se") {
		t.Errorf("Message-ID %s is not in the booking mailbox's domain", m.MessageID)
	}
	if (ev.Alarm != nil) != (want.method == "REQUEST") {
		t.Errorf("VALARM %v in a %s", ev.Alarm, want.method)
	}
	return m, ev
}

func attendee(ev *calendar.ParsedEvent, email string) (calendar.Attendee, bool) {
	i := slices.IndexFunc(ev.Attendees, func(a calendar.Attendee) bool { return strings.EqualFold(a.Email, email) })
	if i < 0 {
		return calendar.Attendee{}, false
	}
	return ev.Attendees[i], true
}

func TestInvitationsFollowTheAppointmentAcrossTheSpringChange(t *testing.T) {
	t.Parallel()
	// Booked before summer time begins (Sunday 28 March 2027), moved after
	// it, then cancelled: one UID, SEQUENCE 0, 1, 2, the same VTIMEZONE.
	booked := local(time.March, 25, 10, 0) // 09:00 UTC
	moved := local(time.March, 30, 10, 0)  // 08:00 UTC
	tests := []struct {
		name, lang string
		subjects   [3]string
		when       string // how the text gives the booked time
		cancelText string
		bring      string // the demo meeting type's what to bring, in the citizen's words
	}{
		{"a Swedish citizen reads Swedish", "sv",
			[3]string{"Bokat: Bygglovsrådgivning", "Ny tid: Bygglovsrådgivning", "Avbokat: Bygglovsrådgivning"},
			"torsdag 25 mars 2027 kl. 10.00–10.30", "Anledning: Handläggaren är sjuk", "Ta med: Ritningar och fastighetsbeteckning"},
		{"an English citizen reads English", "en",
			[3]string{"Booked: Building permit advice", "New time: Building permit advice", "Cancelled: Building permit advice"},
			"Thursday 25 March 2027, 10:00–10:30", "Reason: Handläggaren är sjuk", "Bring: Drawings and the property designation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d)
				karin := e.signInCitizen(t, "karin@example.se", tc.lang)
				wantStatus(t, e.call(t, "PATCH", "/v1/me", karin.Token, map[string]any{"name": "Karin Lindqvist"}), http.StatusOK)

				a := e.book(t, booked, map[string]string{"id": karin.ID})
				e.deliver(t)
				var docs []icaljstest.Input
				var zones []string
				check := func(n int, method string, seq int, status string, at time.Time) (*inbound, *inbound) {
					t.Helper()
					want := version{n: n, method: method, sequence: seq, status: status, start: at.UTC()}
					cm, cev := e.wantInvitation(t, a.ID, karin.Email, want)
					sm, sev := e.wantInvitation(t, a.ID, bertilEmail, want)
					for _, ev := range []*calendar.ParsedEvent{cev, sev} {
						k, ok1 := attendee(ev, karin.Email)
						b, ok2 := attendee(ev, bertilEmail)
						if !ok1 || !ok2 || k.Name != "Karin Lindqvist" || b.Name != "Bertil Bygglov" {
							t.Errorf("ATTENDEEs %+v, want Karin Lindqvist and Bertil Bygglov with CN", ev.Attendees)
						}
					}
					if !strings.HasPrefix(cm.Subject, tc.subjects[n-1]) {
						t.Errorf("citizen's subject %q, want it to begin %q", cm.Subject, tc.subjects[n-1])
					}
					// Staff read Swedish, about the citizen, not "your meeting".
					if !strings.Contains(sm.Subject, "Karin Lindqvist") || strings.Contains(sm.Text(), "Ditt möte") ||
						strings.Contains(sm.Text(), "Du träffar: Bertil") {
						t.Errorf("staff invitation in the citizen's words: %q\n%s", sm.Subject, sm.Text())
					}
					// What to bring is in the invitation's body and, as go-ical
					// reads it, its DESCRIPTION; staff read it in Swedish.
					if status == "CONFIRMED" {
						if !strings.Contains(cm.Text(), tc.bring) || !strings.Contains(cev.Description, tc.bring+"\n") {
							t.Errorf("citizen's invitation lacks %q:\n%s\n---\n%s", tc.bring, cm.Text(), cev.Description)
						}
						if !strings.Contains(sev.Description, "Medborgaren tar med: Ritningar och fastighetsbeteckning\n") {
							t.Errorf("staff DESCRIPTION lacks what the citizen brings:\n%s", sev.Description)
						}
					}
					if cm.MessageID == sm.MessageID {
						t.Errorf("citizen and staff share Message-ID %s", cm.MessageID)
					}
					docs = append(docs, icaljstest.Input{Name: method + "-" + string(rune('0'+seq)), ICS: string(cm.CalendarPart().Body)})
					zones = append(zones, vtimezone(cm.CalendarPart().Body), vtimezone(sm.CalendarPart().Body))
					return cm, sm
				}

				cm, _ := check(1, "REQUEST", 0, "CONFIRMED", booked)
				if !strings.Contains(cm.Text(), tc.when) || !strings.Contains(cm.Text(), "Stadshuset") {
					t.Errorf("citizen's text does not say when and where:\n%s", cm.Text())
				}
				if !strings.Contains(string(cm.CalendarPart().Body), "DTSTART;TZID=Europe/Stockholm:20270325T100000") {
					t.Errorf("DTSTART not in local time with its TZID:\n%s", cm.CalendarPart().Body)
				}

				e.act(t, a.ID, "reschedule", map[string]string{"start": moved.Format(time.RFC3339)})
				e.deliver(t)
				check(2, "REQUEST", 1, "CONFIRMED", moved)

				e.act(t, a.ID, "cancel", map[string]string{"reason": "Handläggaren är sjuk"})
				e.deliver(t)
				cm, _ = check(3, "CANCEL", 2, "CANCELLED", moved)
				if !strings.Contains(cm.Text(), tc.cancelText) {
					t.Errorf("cancellation does not give the reason:\n%s", cm.Text())
				}

				for i, z := range zones {
					if z == "" || z != zones[0] {
						t.Fatalf("VTIMEZONE %d differs from the first:\n%s\n---\n%s", i, z, zones[0])
					}
				}
				// Nothing else went to either of them.
				if n := len(e.mailTo(karin.Email)); n != 3 {
					t.Errorf("the citizen got %d messages, want 3", n)
				}
				if n := len(e.mailTo(bertilEmail)); n != 3 {
					t.Errorf("the staff member got %d messages, want 3", n)
				}

				// An independent parser agrees on what the citizen received.
				got := icaljstest.Read(t, docs)
				wants := []struct {
					method, status string
					seq            int
					start          time.Time
				}{{"REQUEST", "CONFIRMED", 0, booked}, {"REQUEST", "CONFIRMED", 1, moved}, {"CANCEL", "CANCELLED", 2, moved}}
				for i, w := range wants {
					g := got[i]
					if g.UID != calendar.UID(a.ID) || g.Sequence != w.seq || g.Method != w.method || g.Status != w.status ||
						g.Start != w.start.Unix() || g.End != w.start.Add(30*time.Minute).Unix() || g.TZID != "Europe/Stockholm" ||
						strings.Contains(g.Description, tc.bring+"\n") != (w.method == "REQUEST") {
						t.Errorf("ical.js read %s as UID %s SEQUENCE %d %s %s start %s; want %s %d %s %s %s, %q in a REQUEST only:\n%s",
							g.Name, g.UID, g.Sequence, g.Method, g.Status, time.Unix(g.Start, 0).UTC(),
							calendar.UID(a.ID), w.seq, w.method, w.status, w.start.UTC(), tc.bring, g.Description)
					}
				}
			})
		})
	}
}

func TestAMeetingHeldOrMissedIsToldByPlainEmail(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		karin := e.signInCitizen(t, "karin@example.se", "sv")
		held := e.book(t, local(time.March, 25, 10, 0), map[string]string{"id": karin.ID})
		missed := e.book(t, local(time.March, 25, 13, 0), map[string]string{"id": karin.ID})
		e.deliver(t)
		before := len(e.mailTo(karin.Email))

		e.clock.Set(local(time.March, 25, 13, 45))
		e.act(t, held.ID, "complete", nil)
		e.act(t, missed.ID, "no-show", nil)
		e.deliver(t)

		got := e.mailTo(karin.Email)[before:]
		if len(got) != 2 {
			t.Fatalf("the citizen got %d messages after the meetings, want 2", len(got))
		}
		subjects := map[string]bool{}
		for _, m := range got {
			subjects[m.Subject] = true
			if m.CalendarPart() != nil || m.Root.Find("application/ics") != nil {
				t.Errorf("%q carries a calendar: %s", m.Subject, m.Root.Tree())
			}
			if tree := m.Root.Tree(); tree != "multipart/alternative[text/plain,text/html]" {
				t.Errorf("%q is %s", m.Subject, tree)
			}
		}
		if !subjects["Tack för mötet"] || !subjects["Vi missade dig: Bygglovsrådgivning"] {
			t.Errorf("subjects %v, want a thank-you and a we-missed-you", subjects)
		}
		if n := len(e.mailTo(bertilEmail)); n != 2 {
			t.Errorf("the staff member got %d messages, want only the 2 invitations", n)
		}
	})
}

func TestCaseUpdatesReachTheCitizen(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		karin := e.signInCitizen(t, "karin@example.se", "sv")
		category := wantCreated(t, e.call(t, "POST", "/v1/agencies/"+exempelby+"/case-categories", e.admin, map[string]any{
			"name": map[string]string{"sv": "Bygglov", "en": "Building permits"}, "first_contact_days": 5, "resolution_days": 30}))
		caseID := wantCreated(t, e.call(t, "POST", "/v1/cases", karin.Token, map[string]any{
			"agency_id": exempelby, "category_id": category, "subject": "Altan", "description": "Behöver jag bygglov för en altan?"}))
		e.deliver(t)

		tests := []struct {
			name     string
			path     string
			body     map[string]any
			mails    int
			contains string // in the mail's text
			never    string // never in any mail
		}{
			{"an internal note sends nothing", "/messages",
				map[string]any{"body": "Grannen har klagat förut", "internal": true}, 0, "", "Grannen"},
			{"a message from staff is mailed with its text", "/messages",
				map[string]any{"body": "Skicka gärna en skiss över altanen."}, 1, "Skicka gärna en skiss", ""},
			{"a status change the citizen sees is mailed with its note", "/status",
				map[string]any{"status": "waiting_for_citizen", "note": "Vi väntar på skissen.", "visible_to_citizen": true},
				1, "Status: väntar på dig", ""},
			{"a status change with an internal note is mailed without the note", "/status",
				map[string]any{"status": "assigned", "note": "Svår granne", "visible_to_citizen": false},
				1, "Status: tilldelat en handläggare", "Svår granne"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := len(e.mailTo(karin.Email))
				wantStatus(t, e.call(t, "POST", "/v1/cases/"+caseID+tc.path, e.staff, tc.body), statusFor(tc.path))
				e.deliver(t)
				got := e.mailTo(karin.Email)[before:]
				if len(got) != tc.mails {
					t.Fatalf("%d mails, want %d", len(got), tc.mails)
				}
				for _, m := range got {
					if !strings.HasPrefix(m.Subject, "Ditt ärende ") || !strings.Contains(m.Text(), tc.contains) {
						t.Errorf("mail %q does not say %q:\n%s", m.Subject, tc.contains, m.Text())
					}
				}
				for _, m := range e.smtp.All() {
					if tc.never != "" && strings.Contains(string(m.Raw)+m.Text(), tc.never) {
						t.Errorf("%q left the service in %q", tc.never, m.Subject)
					}
				}
			})
		}
		t.Run("a meeting booked for the case is told by its invitation alone", func(t *testing.T) {
			before := len(e.mailTo(karin.Email))
			a := e.book(t, local(time.March, 25, 10, 0), map[string]string{"id": karin.ID}, "case_id", caseID)
			e.deliver(t)
			var timeline struct {
				Items []struct {
					Kind string `json:"kind"`
				} `json:"items"`
			}
			decode(t, e.call(t, "GET", "/v1/cases/"+caseID+"/events", e.staff, nil), &timeline)
			if !slices.ContainsFunc(timeline.Items, func(i struct {
				Kind string `json:"kind"`
			}) bool {
				return i.Kind == "appointment"
			}) {
				t.Fatalf("intake did not note the meeting on the case: %+v", timeline.Items)
			}
			got := e.mailTo(karin.Email)[before:]
			if len(got) != 1 || got[0].Invite(t) == nil || got[0].Invite(t).UID != calendar.UID(a.ID) {
				t.Fatalf("the citizen got %d mails, want just the invitation", len(got))
			}
		})
	})
}

func statusFor(path string) int {
	if path == "/messages" {
		return http.StatusCreated
	}
	return http.StatusOK
}

func TestAMeetingMovedToAColleagueLeavesTheFormerStaffMembersCalendar(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// The social services' first meeting is served by Hanna and Elin at
		// Medborgarkontoret; Hanna is asked for by name.
		social := core.StableID("meeting-type/exempelby/social-first-meeting")
		hanna := core.StableID("staff-member/exempelby/hanna")
		book := func(at time.Time, citizen string) appointment {
			t.Helper()
			r := e.call(t, "POST", "/v1/appointments", e.staff, map[string]any{"meeting_type_id": social, "mode": "in_person",
				"start": at.Format(time.RFC3339), "staff_id": hanna, "citizen": map[string]string{"email": citizen, "name": "Karin Lindqvist"}})
			wantStatus(t, r, http.StatusCreated)
			var a appointment
			decode(t, r, &a)
			return a
		}
		first := local(time.March, 23, 10, 0)
		moved := local(time.March, 24, 10, 0)
		a := book(first, "karin@example.se")
		book(moved, "olle@example.se") // Hanna is taken at the new time
		e.deliver(t)
		if a.StaffID != hanna {
			t.Fatalf("booked with %s, want Hanna", a.StaffID)
		}

		a = e.act(t, a.ID, "reschedule", map[string]string{"start": moved.Format(time.RFC3339)})
		if a.StaffID == hanna {
			t.Fatalf("the move kept Hanna, who is taken")
		}
		e.deliver(t)

		got := e.invitationsFor(t, a.ID)
		if n := len(got["hanna@exempelby.se"]); n != 2 {
			t.Fatalf("Hanna got %d invitations for the meeting, want the request and a cancellation", n)
		}
		last := got["hanna@exempelby.se"][1]
		ev := last.Invite(t)
		if ev.Method != "CANCEL" || ev.Status != "CANCELLED" || ev.Sequence != 1 || !ev.Start.Equal(first.UTC()) {
			t.Errorf("Hanna's last: %s %s SEQUENCE %d at %s; want CANCEL of the time she holds, SEQUENCE 1", ev.Method, ev.Status, ev.Sequence, ev.Start)
		}
		if !strings.Contains(last.Subject, "Karin Lindqvist") || !strings.Contains(last.Text(), "kollega") {
			t.Errorf("Hanna is not told the meeting went to a colleague: %q\n%s", last.Subject, last.Text())
		}
		if n := len(got["elin@exempelby.se"]); n != 1 || got["elin@exempelby.se"][0].Invite(t).Method != "REQUEST" {
			t.Errorf("Elin got %d invitations, want one REQUEST", n)
		}
		if n := len(got["karin@example.se"]); n != 2 {
			t.Errorf("the citizen got %d invitations, want 2", n)
		}
	})
}
