package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/app"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/auth"
	"github.com/tidbok/tidbok/services/booking"
)

func TestManagePage(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		slots := e.freeSlots(t, 2)
		a, token := e.book(t, slots[0], "karin@example.se")

		t.Run("shows the meeting in Swedish, in the agency's time, with security headers", func(t *testing.T) {
			p := e.get(t, "/m/"+token)
			wantStatus(t, p, http.StatusOK)
			local := a.Start.In(stockholm)
			wantText(t, p, `<html lang="sv">`, "Ditt möte", "Bygglovsrådgivning", "Exempelby kommun", local.Format("15.04"),
				"Stadshuset", "arabiska", "Bokat", "Avboka mötet", "Välj en ny tid", `name="form_token" value="`+e.links.FormToken(token)+`"`,
				`<dt>Ta med</dt><dd class="bring">Ritningar och fastighetsbeteckning</dd>`)
			if i, j := strings.Index(p.Body, "<dt>Ta med</dt>"), strings.Index(p.Body, "<dt>Tolk</dt>"); i < 0 || j < i {
				t.Error("what to bring is not before the interpreter")
			}
			for h, want := range map[string]string{
				"Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
				"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
			} {
				if got := p.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			csp := p.Header.Get("Content-Security-Policy")
			for _, part := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
				if !strings.Contains(csp, part) {
					t.Errorf("CSP %q lacks %q", csp, part)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(p.Body, "<script") || strings.Contains(p.Body, "style=") {
				t.Error("the page has inline script or style")
			}
		})

		t.Run("English by Accept-Language and by the switch", func(t *testing.T) {
			wantText(t, e.get(t, "/m/"+token, "Accept-Language", "en-GB,en;q=0.9,sv;q=0.5"), `<html lang="en">`, "Your meeting", "Building permit advice", "Booked",
				`<dt>Bring</dt><dd class="bring">Drawings and the property designation</dd>`)
			wantText(t, e.get(t, "/m/"+token+"?lang=en"), `<html lang="en">`, "Cancel the meeting")
			wantText(t, e.get(t, "/m/"+token, "Accept-Language", "de-DE"), `<html lang="sv">`)
		})

		t.Run("every view is audit-logged as a read by the citizen", func(t *testing.T) {
			admin := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleSystemAdmin})
			before := auditCount(t, e, admin, a.ID)
			e.get(t, "/m/"+token)
			entries, err := e.server.Auth.ListAudit(admin, auth.AuditQuery{Action: "appointment.read", TargetID: a.ID, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries.Entries) != before+1 {
				t.Fatalf("%d reads logged, want %d", len(entries.Entries), before+1)
			}
			if got := entries.Entries[0]; got.ActorKind != "citizen" || got.ActorID != a.CitizenID || got.Detail != "via manage link" {
				t.Fatalf("logged as %s %s (%q), want the citizen %s via the manage link", got.ActorKind, got.ActorID, got.Detail, a.CitizenID)
			}
		})

		t.Run("no personal identity number is shown", func(t *testing.T) {
			withPIN, err := e.server.Booking.Book(e.staff, booking.BookRequest{MeetingTypeID: permitAdvice, Mode: booking.InPerson, Start: slots[1],
				Citizen: booking.CitizenRef{PersonalIdentityNumber: "19121212-1212", Name: "Tolvan Tolvansson"}})
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := e.links.Mint(withPIN)
			p := e.get(t, "/m/"+tok)
			wantStatus(t, p, http.StatusOK)
			wantNoText(t, p, "19121212", "121212-1212", "1212-1212")
			if _, err := e.server.Booking.Cancel(e.staff, booking.CancelRequest{ID: withPIN.ID, Reason: "test"}); err != nil {
				t.Fatal(err)
			}
			// Nothing is left to bring to a cancelled meeting.
			p = e.get(t, "/m/"+tok)
			wantText(t, p, "Avbokat")
			wantNoText(t, p, "Ta med", "Ritningar")
		})

		t.Run("what to bring in one language only is shown in both", func(t *testing.T) {
			store := bookingstore.New(d)
			mt, err := store.MeetingType(context.Background(), permitAdvice)
			if err != nil {
				t.Fatal(err)
			}
			was := mt.WhatToBring
			defer func() {
				mt.WhatToBring = was
				if err := store.SaveMeetingType(context.Background(), mt); err != nil {
					t.Fatal(err)
				}
			}()
			mt.WhatToBring = booking.Text{SV: "Ritningar & <skisser>\nFastighetsbeteckning"}
			if err := store.SaveMeetingType(context.Background(), mt); err != nil {
				t.Fatal(err)
			}
			want := `<dd class="bring">Ritningar &amp; &lt;skisser&gt;` + "\n" + `Fastighetsbeteckning</dd>`
			wantText(t, e.get(t, "/m/"+token+"?lang=en"), "<dt>Bring</dt>"+want)
			wantText(t, e.get(t, "/m/"+token), "<dt>Ta med</dt>"+want)
		})
	})
}

func auditCount(t *testing.T, e *env, admin context.Context, id string) int {
	t.Helper()
	entries, err := e.server.Auth.ListAudit(admin, auth.AuditQuery{Action: "appointment.read", TargetID: id, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries.Entries)
}

func TestManageLinkDenials(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		slots := e.freeSlots(t, 3)
		a, token := e.book(t, slots[0], "karin@example.se")
		other, otherToken := e.book(t, slots[1], "olle@example.se")
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		otherRaw, _ := base64.RawURLEncoding.DecodeString(otherToken)

		unchanged := func(t *testing.T) {
			t.Helper()
			for _, x := range []booking.Appointment{a, other} {
				if now := e.appointment(t, x.ID); now.Status != booking.Booked || now.Version != x.Version {
					t.Fatalf("appointment %s is %s at version %d, want booked at %d", x.ID, now.Status, now.Version, x.Version)
				}
			}
		}

		t.Run("a tampered or foreign token shows nothing", func(t *testing.T) {
			tampered := bytes.Clone(raw)
			tampered[len(tampered)-1] ^= 1
			swapped := bytes.Clone(raw) // the other appointment's id under this signature
			copy(swapped[1:17], otherRaw[1:17])
			// The same bytes, spelled with the last character's unused bits set.
			token := base64.RawURLEncoding.EncodeToString(raw)
			last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", token[len(token)-1])
			respelled := token[:len(token)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last|1])
			for name, tok := range map[string]string{
				"tampered signature":               base64.RawURLEncoding.EncodeToString(tampered),
				"the same bytes spelled otherwise": respelled,
				"another appointment's id":         base64.RawURLEncoding.EncodeToString(swapped),
				"an appointment id as a token":     a.ID,
				"garbage":                          "not-a-token",
			} {
				p := e.get(t, "/m/"+url.PathEscape(tok))
				if p.Status != http.StatusNotFound || !strings.Contains(p.Body, "Länken fungerar inte") {
					t.Errorf("%s: status %d\n%s", name, p.Status, p.Body)
				}
				if strings.Contains(p.Body, "Bygglovsrådgivning") {
					t.Errorf("%s: the page shows a meeting", name)
				}
				post := e.post(t, "/m/"+url.PathEscape(tok)+"/cancel", formOf(e, tok, a.Version))
				if post.Status != http.StatusNotFound {
					t.Errorf("%s: cancel answered %d", name, post.Status)
				}
			}
			unchanged(t)
		})

		t.Run("a link acts only on its own appointment", func(t *testing.T) {
			// The other link's form token, or its version, on this link.
			p := e.post(t, "/m/"+token+"/cancel", url.Values{"form_token": {e.links.FormToken(otherToken)}, "version": {"1"}})
			wantStatus(t, p, http.StatusForbidden)
			// A link signed for an appointment that belongs to someone else:
			// booking refuses the citizen named in it.
			forged, _ := e.links.MintClaims(booking.ManageClaims{AppointmentID: other.ID, CitizenID: a.CitizenID, Expires: other.End})
			wantStatus(t, e.get(t, "/m/"+forged), http.StatusNotFound)
			wantStatus(t, e.post(t, "/m/"+forged+"/cancel", formOf(e, forged, other.Version)), http.StatusNotFound)
			unchanged(t)
		})

		t.Run("forms from elsewhere are refused", func(t *testing.T) {
			wantStatus(t, e.post(t, "/m/"+token+"/cancel", url.Values{"version": {"1"}}), http.StatusForbidden)
			wantStatus(t, e.post(t, "/m/"+token+"/cancel", formOf(e, token, a.Version), "Sec-Fetch-Site", "cross-site"), http.StatusForbidden)
			wantStatus(t, e.post(t, "/m/"+token+"/cancel", formOf(e, token, a.Version), "Sec-Fetch-Site", "", "Origin", "https://evil.example"), http.StatusForbidden)
			unchanged(t)
		})

		t.Run("bad input is a friendly 4xx page", func(t *testing.T) {
			for path, status := range map[string]int{
				"/m/" + token + "/reschedule?day=2027-13-45":         http.StatusBadRequest,
				"/m/" + token + "/reschedule?day=1999-01-01":         http.StatusBadRequest,
				"/m/" + token + "/reschedule/confirm?start=tomorrow": http.StatusBadRequest,
				"/m/" + token + "/reschedule/confirm":                http.StatusBadRequest,
			} {
				p := e.get(t, path)
				if p.Status != status || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
					t.Errorf("%s: %d %s", path, p.Status, p.Header.Get("Content-Type"))
				}
			}
			form := formOf(e, token, a.Version)
			form.Set("start", "not a time")
			wantStatus(t, e.post(t, "/m/"+token+"/reschedule", form), http.StatusBadRequest)
			form.Set("start", slots[2].Add(7*time.Minute).Format(time.RFC3339)) // not on a slot
			p := e.post(t, "/m/"+token+"/reschedule", form)
			wantStatus(t, p, http.StatusConflict)
			wantText(t, p, "Den tiden är inte ledig längre")
			form.Set("version", "x")
			wantStatus(t, e.post(t, "/m/"+token+"/reschedule", form), http.StatusBadRequest)
			long := formOf(e, token, a.Version)
			long.Set("reason", strings.Repeat("å", 501))
			p = e.post(t, "/m/"+token+"/cancel", long)
			wantStatus(t, p, http.StatusBadRequest)
			wantText(t, p, `aria-invalid="true"`, `aria-describedby="reason-hint reason-error"`)
			unchanged(t)
		})

		t.Run("a stale page cannot overwrite a newer change", func(t *testing.T) {
			p := e.post(t, "/m/"+token+"/cancel", formOf(e, token, a.Version-1))
			wantStatus(t, p, http.StatusConflict)
			wantText(t, p, "Mötet har ändrats sedan du öppnade sidan")
			unchanged(t)
		})

		t.Run("after the cut-off nothing can be changed", func(t *testing.T) {
			defer e.clock.Set(e.clock.Now())
			e.clock.Set(a.Start.Add(-23 * time.Hour))
			p := e.get(t, "/m/"+token)
			wantStatus(t, p, http.StatusOK)
			wantText(t, p, "för nära mötet")
			wantNoText(t, p, `action="/m/`+token+`/cancel"`)
			wantStatus(t, e.post(t, "/m/"+token+"/cancel", formOf(e, token, a.Version)), http.StatusConflict)
			form := formOf(e, token, a.Version)
			form.Set("start", slots[2].Format(time.RFC3339))
			wantStatus(t, e.post(t, "/m/"+token+"/reschedule", form), http.StatusConflict)
			wantStatus(t, e.get(t, "/m/"+token+"/reschedule"), http.StatusConflict)
			unchanged(t)
		})

		t.Run("a link expires when the meeting ends", func(t *testing.T) {
			defer e.clock.Set(e.clock.Now())
			e.clock.Set(a.End)
			p := e.get(t, "/m/"+token)
			wantStatus(t, p, http.StatusGone)
			wantText(t, p, "Länken har gått ut")
			wantNoText(t, p, "Bygglovsrådgivning")
			wantStatus(t, e.post(t, "/m/"+token+"/cancel", formOf(e, token, a.Version)), http.StatusGone)
		})

		t.Run("a cancelled appointment's link shows it cancelled and offers nothing", func(t *testing.T) {
			c, err := e.server.Booking.Cancel(e.staff, booking.CancelRequest{ID: other.ID, Reason: "Handläggaren är sjuk"})
			if err != nil {
				t.Fatal(err)
			}
			p := e.get(t, "/m/"+otherToken)
			wantStatus(t, p, http.StatusOK)
			wantText(t, p, "Avbokat", "Mötet är avbokat")
			wantNoText(t, p, "<form", "Välj en ny tid")
			wantStatus(t, e.post(t, "/m/"+otherToken+"/cancel", formOf(e, otherToken, c.Version)), http.StatusConflict)
			form := formOf(e, otherToken, c.Version)
			form.Set("start", slots[2].Format(time.RFC3339))
			wantStatus(t, e.post(t, "/m/"+otherToken+"/reschedule", form), http.StatusConflict)
			wantStatus(t, e.get(t, "/m/"+otherToken+"/reschedule"), http.StatusConflict)
			if got := e.appointment(t, other.ID); got.Status != booking.Cancelled || got.Version != c.Version {
				t.Fatalf("the cancelled appointment changed: %s v%d", got.Status, got.Version)
			}
		})
	})
}

func TestManageThroughThePages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		slots := e.freeSlots(t, 1)
		a, token := e.book(t, slots[0], "karin@example.se")

		days := e.get(t, "/m/"+token+"/reschedule")
		wantStatus(t, days, http.StatusOK)
		wantText(t, days, "Välj dag")
		// Pick the last day offered (well before any cut-off), then its first time.
		day := ""
		for _, m := range dayLink.FindAllStringSubmatch(days.Body, -1) {
			if m[1] != a.Start.In(stockholm).Format("2006-01-02") {
				day = m[1]
			}
		}
		if day == "" {
			t.Fatal("no other day offered")
		}
		times := e.get(t, "/m/"+token+"/reschedule?lang=sv&day="+day)
		wantStatus(t, times, http.StatusOK)
		first := slotValue.FindStringSubmatch(times.Body)
		if first == nil {
			t.Fatalf("no times on %s\n%s", day, times.Body)
		}
		confirm := e.get(t, "/m/"+token+"/reschedule/confirm?lang=sv&start="+url.QueryEscape(first[1]))
		wantStatus(t, confirm, http.StatusOK)
		wantText(t, confirm, "Bekräfta den nya tiden", `name="start" value="`+first[1]+`"`)

		form := formOf(e, token, a.Version)
		form.Set("start", first[1])
		moved := e.post(t, "/m/"+token+"/reschedule", form)
		wantStatus(t, moved, http.StatusOK) // after the 303 back to the manage page
		wantText(t, moved, "Mötet har flyttats")
		got := e.appointment(t, a.ID)
		want, _ := time.Parse(time.RFC3339, first[1])
		if got.Status != booking.Booked || !got.Start.Equal(want) || got.Sequence != a.Sequence+1 {
			t.Fatalf("after the move: %s at %v seq %d, want booked at %v seq %d", got.Status, got.Start, got.Sequence, want, a.Sequence+1)
		}
		// The same form again is a stale version, not a second move.
		wantStatus(t, e.post(t, "/m/"+token+"/reschedule", form), http.StatusConflict)

		cancelled := e.post(t, "/m/"+token+"/cancel", url.Values{"form_token": {e.links.FormToken(token)}, "version": {itoaVersion(got.Version)},
			"reason": {"Jag är sjuk"}, "lang": {"en"}})
		wantStatus(t, cancelled, http.StatusOK)
		wantText(t, cancelled, "The meeting is cancelled", "Cancelled")
		if got := e.appointment(t, a.ID); got.Status != booking.Cancelled || got.CancelReason != "Jag är sjuk" {
			t.Fatalf("after cancelling: %s (%q)", got.Status, got.CancelReason)
		}
	})
}

func TestManagePagesAreRateLimited(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t), func(c *app.Config) { c.PublicRateLimit = 1 })
	var p page
	for i := 0; i < 40 && p.Status != http.StatusTooManyRequests; i++ {
		p = e.get(t, "/m/not-a-token")
	}
	if p.Status != http.StatusTooManyRequests {
		t.Fatal("40 requests in a row from one address were all answered")
	}
	wantText(t, p, "För många försök")
	if p.Header.Get("Retry-After") == "" || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") || p.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("the refusal's headers: %v", p.Header)
	}
}

func TestAMeetingOfARetiredTypeCanBeCancelledButNotMoved(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		slots := e.freeSlots(t, 2)
		a, token := e.book(t, slots[0], "karin@example.se")
		// The page offers no new times once the type is retired.
		admin := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: a.AgencyID})
		if err := e.server.Booking.RetireMeetingType(admin, a.AgencyID, permitAdvice); err != nil {
			t.Fatal(err)
		}
		p := e.get(t, "/m/"+token)
		wantStatus(t, p, http.StatusOK)
		wantText(t, p, "Avboka mötet")
		wantNoText(t, p, "Välj en ny tid")
		wantStatus(t, e.get(t, "/m/"+token+"/reschedule"), http.StatusConflict)
		wantStatus(t, e.get(t, "/m/"+token+"/reschedule/confirm?start="+url.QueryEscape(slots[1].Format(time.RFC3339))), http.StatusConflict)
		wantStatus(t, e.post(t, "/m/"+token+"/cancel", formOf(e, token, a.Version)), http.StatusOK)
		if got := e.appointment(t, a.ID); got.Status != booking.Cancelled {
			t.Fatalf("status %s, want cancelled", got.Status)
		}
	})
}

func TestAMeetingOnlyTheAgencyBooksCanBeCancelledButNotMoved(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		slots := e.freeSlots(t, 2)
		a, token := e.book(t, slots[0], "karin@example.se")
		// The agency takes the booking of this meeting type into its own hands.
		admin := core.WithPrincipal(context.Background(), core.Principal{Kind: core.KindStaff, Subject: core.NewID(), Role: core.RoleAgencyAdmin, AgencyID: a.AgencyID})
		types, err := e.server.Booking.ListMeetingTypes(admin, a.AgencyID)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(types, func(mt booking.MeetingType) bool { return mt.ID == permitAdvice })
		if i < 0 {
			t.Fatal("the demo's building-permit advice is missing")
		}
		types[i].CitizenBookable = false
		if _, err := e.server.Booking.UpdateMeetingType(admin, types[i]); err != nil {
			t.Fatal(err)
		}
		p := e.get(t, "/m/"+token)
		wantStatus(t, p, http.StatusOK)
		wantText(t, p, "Avboka mötet")
		wantNoText(t, p, "Välj en ny tid")
		if got := e.get(t, "/m/"+token+"/reschedule"); got.Status < 400 || got.Status >= 500 {
			t.Fatalf("the choice of new times answered %d", got.Status)
		}
		wantStatus(t, e.post(t, "/m/"+token+"/cancel", formOf(e, token, a.Version)), http.StatusOK)
	})
}
