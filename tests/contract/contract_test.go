package contract_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/calendar"
	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

// mustCover are the tags whose every operation the scenario answers at
// least once with success and at least once with a client error.
var mustCover = []string{"directory", "directory-admin", "availability", "appointments", "callbacks", "cases", "feeds", "webhooks", "messages", "consumers", "statistics"}

// TestContract runs the scenario against the whole server on SQLite and on
// PostgreSQL, validating every request and answer against openapi.yaml.
func TestContract(t *testing.T) {
	spec, router := loadSpec(t)
	type backend struct {
		name string
		d    *db.DB
		env  *env
		cov  *coverage
	}
	backends := []*backend{{name: "sqlite", d: dbtest.SQLite(t)}}
	if os.Getenv(dbtest.PostgresURLEnv) != "" || os.Getenv("CI") != "" {
		backends = append(backends, &backend{name: "postgres", d: dbtest.Postgres(t)})
	} else {
		t.Run("postgres", func(t *testing.T) { dbtest.Postgres(t) }) // skips, saying why
	}
	// The demo's password hashes are slow: load both at once.
	errs := make(chan error, len(backends))
	for _, b := range backends {
		go func() { errs <- loadDemo(b.d) }()
	}
	for range backends {
		if err := <-errs; err != nil {
			t.Fatalf("load the demo: %v", err)
		}
	}
	for _, b := range backends {
		b.cov = &coverage{}
		b.env = newEnv(t, b.d, router, b.cov)
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := b.env
			e.signIn(t)
			e.directory()
			e.directoryAdmin()
			e.availabilityAndAppointments()
			e.callbacks()
			e.cases()
			e.statistics()
			e.feeds()
			e.messages()
			e.deadEvents()
			e.webhooksScenario()
			e.operations()
			if t.Failed() {
				return
			}
			// Every operation of the tags above was answered both ways.
			var missing []string
			for path, item := range spec.Paths.Map() {
				for method, op := range item.Operations() {
					if !tagged(op.Tags, mustCover) {
						continue
					}
					ok, failed := b.cov.statuses(method + " " + path)
					if !ok || !failed {
						missing = append(missing, method+" "+path)
					}
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("not answered both with success and with a client error:\n  %s", strings.Join(missing, "\n  "))
			}
		})
	}
}

func tagged(tags, want []string) bool {
	for _, t := range tags {
		if contains(want, t) {
			return true
		}
	}
	return false
}

// ---- the public directory ----

func (e *env) directory() {
	t := e.t
	e.call("GET", "/v1/agencies?limit=1", "", nil).want(t, 200)
	e.call("GET", "/v1/agencies?limit=0", "", nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/agencies/"+exb, "", nil).want(t, 200)
	e.call("GET", "/v1/agencies/"+core.NewID(), "", nil).problem(t, 404)
	e.call("GET", "/v1/agencies/"+exb+"/offices", "", nil).want(t, 200)
	e.call("GET", "/v1/agencies/not-a-uuid/offices", "", nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/agencies/"+vc+"/meeting-types", "", nil).want(t, 200)
	e.call("GET", "/v1/agencies/"+core.NewID()+"/meeting-types", "", nil).problem(t, 404)
}

// ---- administration of the directory ----

func (e *env) directoryAdmin() {
	t := e.t
	base := "/v1/agencies/" + exb
	office := map[string]any{
		"name":       "Biblioteket",
		"address":    map[string]string{"street": "Bokgatan 3", "postal_code": "123 46", "city": "Exempelby"},
		"directions": "Ingång från parken.", "accessibility_notes": "Ramp vid entrén.", "step_free_access": true,
	}
	officeID := e.call("POST", base+"/offices", e.admin, office).want(t, 201).id(t)
	e.call("POST", base+"/offices", e.worker, office).problem(t, 403)
	e.call("POST", base+"/offices", e.admin, map[string]any{"address": office["address"]}, malformed()).problem(t, 400)
	e.call("POST", base+"/offices", e.admin, "name=Biblioteket", ctype("text/plain"), malformed()).problem(t, 415)
	e.call("POST", "/v1/agencies/"+core.NewID()+"/offices", e.sysadmin, office).problem(t, 404)
	office["opening_notes"] = "Öppet vardagar 10–19."
	e.call("PUT", base+"/offices/"+officeID, e.admin, office).want(t, 200)
	e.call("PUT", base+"/offices/"+core.NewID(), e.admin, office).problem(t, 404)

	mt := map[string]any{
		"name": map[string]string{"sv": "Lånekortsrådgivning", "en": "Library card advice"}, "duration_minutes": 20,
		"modes": []string{"phone", "in_person"}, "buffer_after_minutes": 5, "slot_step_minutes": 20,
	}
	mtID := e.call("POST", base+"/meeting-types", e.admin, mt).want(t, 201).id(t)
	e.call("POST", base+"/meeting-types", e.admin, map[string]any{"name": mt["name"], "duration_minutes": 20,
		"modes": []string{"phone"}, "minimum_notice_minutes": 7 * 24 * 60, "booking_horizon_days": 7}).problem(t, 400)
	mt["description"] = map[string]string{"sv": "Hjälp med lånekortet."}
	mt["what_to_bring"] = map[string]string{"sv": "Legitimation", "en": "ID"}
	mt["citizen_bookable"] = false
	e.call("PUT", base+"/meeting-types/"+mtID, e.client, mt).want(t, 200)
	e.call("PUT", base+"/meeting-types/"+core.NewID(), e.admin, mt).problem(t, 404)

	// Bookable staff members.
	e.call("GET", base+"/staff-members", e.worker, nil).want(t, 200)
	e.call("GET", base+"/staff-members", e.karin.Token, nil).problem(t, 403)
	var hours []map[string]string
	for _, d := range []string{"monday", "tuesday", "thursday"} {
		hours = append(hours, map[string]string{"weekday": d, "start": "10:00", "end": "15:00", "office_id": officeID},
			map[string]string{"weekday": d, "start": "15:00", "end": "16:00", "office_id": "remote"})
	}
	member := map[string]any{
		"name": "Lisa Lånekort", "title": "Bibliotekarie", "email": "lisa@exempelby.se",
		"meeting_type_ids": []string{mtID}, "modes": []string{"phone", "in_person"}, "office_ids": []string{officeID},
		"weekly_hours": hours,
	}
	memberID := e.call("POST", base+"/staff-members", e.admin, member).want(t, 201).id(t)
	e.call("POST", base+"/staff-members", e.admin, map[string]any{"name": "Dubbel", "modes": []string{"phone"}, "account_id": hannaLogin}).problem(t, 409)
	bad := map[string]any{"name": "Fel", "modes": []string{"phone"},
		"weekly_hours": []map[string]string{{"weekday": "funday", "start": "25:00", "end": "08:00", "office_id": "remote"}}}
	e.call("POST", base+"/staff-members", e.admin, bad, malformed()).problem(t, 400)
	e.call("GET", base+"/staff-members/"+memberID, e.client, nil).want(t, 200)
	e.call("GET", base+"/staff-members/"+core.NewID(), e.admin, nil).problem(t, 404)
	member["exceptions"] = []map[string]any{
		{"date": "2026-06-04", "closed": true},
		{"date": "2026-06-05", "hours": []map[string]string{{"start": "09:00", "end": "12:00", "office_id": officeID}}},
	}
	e.call("PUT", base+"/staff-members/"+memberID, e.admin, member).want(t, 200)
	e.call("PUT", base+"/staff-members/not-a-uuid", e.admin, member, malformed()).problem(t, 400)

	// Absences.
	abs := base + "/staff-members/" + memberID + "/absences"
	absenceID := e.call("POST", abs, e.admin, map[string]string{"kind": "training", "start": "2026-06-08T00:00", "end": "2026-06-09T24:00"}).want(t, 201).id(t)
	e.call("POST", abs, e.admin, map[string]string{"kind": "sick", "start": "2026-06-09T12:00", "end": "2026-06-09T08:00"}).problem(t, 400)
	e.call("GET", abs, e.worker, nil).want(t, 200)
	e.call("GET", abs, e.client, nil).problem(t, 403) // absences are never for clients
	e.call("DELETE", abs+"/"+absenceID, e.admin, nil).want(t, 204)
	e.call("DELETE", abs+"/"+absenceID, e.admin, nil).problem(t, 404)

	// Closures and holidays.
	e.call("GET", base+"/closures", "", nil).want(t, 200)
	e.call("GET", "/v1/agencies/"+core.NewID()+"/closures", "", nil).problem(t, 404)
	closureID := e.call("POST", base+"/closures", e.admin, map[string]string{"start": "2026-08-14T12:00", "end": "2026-08-14T24:00", "reason": "Personaldag"}).want(t, 201).id(t)
	e.call("POST", base+"/closures", e.worker, map[string]string{"start": "2026-08-14T12:00", "end": "2026-08-14T24:00"}).problem(t, 403)
	e.call("POST", base+"/closures", e.admin, `{"start":"2026-08-14T12:00","end":"2026-08-14T24:00","reason":"`+strings.Repeat("x", 1<<20)+`"}`, malformed()).problem(t, 413)
	e.call("DELETE", base+"/closures/"+closureID, e.admin, nil).want(t, 204)
	e.call("DELETE", base+"/closures/"+closureID, e.admin, nil).problem(t, 404)

	e.call("GET", base+"/holidays?year=2026", "", nil).want(t, 200)
	e.call("GET", base+"/holidays?year=tjugotjugo", "", nil, malformed()).problem(t, 400)
	var open struct {
		Open []string `json:"open_holidays"`
	}
	e.call("PUT", base+"/holidays", e.admin, map[string]any{"open_holidays": []string{"julafton", "alla_helgons_dag", "julafton"}}).want(t, 200).decode(t, &open)
	must(t, len(open.Open) == 2, "open holidays not deduplicated: %v", open.Open)
	e.call("PUT", base+"/holidays", e.admin, map[string]any{"open_holidays": []string{"christmas"}}, malformed()).problem(t, 400)
	e.call("PUT", base+"/holidays", e.admin, map[string]any{"open_holidays": []string{}}).want(t, 200)

	// Retiring.
	e.call("POST", base+"/staff-members/"+memberID+"/retire", e.admin, nil).want(t, 204)
	e.call("POST", base+"/staff-members/"+core.NewID()+"/retire", e.admin, nil).problem(t, 404)
	e.call("POST", base+"/meeting-types/"+mtID+"/retire", e.admin, nil).want(t, 204)
	e.call("POST", base+"/meeting-types/"+mtID+"/retire", "", nil).problem(t, 401)
	e.call("POST", base+"/offices/"+officeID+"/retire", e.admin, nil).want(t, 204)
	e.call("POST", "/v1/agencies/"+vc+"/offices/"+officeID+"/retire", e.admin, nil).problem(t, 403)
}

// ---- availability, holds and appointments ----

type slot struct {
	Start    string   `json:"start"`
	OfficeID string   `json:"office_id"`
	StaffIDs []string `json:"staff_ids"`
}

type appt struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Start   string `json:"start"`
	Version int    `json:"version"`
	etag    string
}

func (e *env) appointment(r response, status int) appt {
	e.t.Helper()
	r.want(e.t, status)
	var a appt
	r.decode(e.t, &a)
	a.etag = r.Header.Get("ETag")
	return a
}

func (e *env) availabilityAndAppointments() {
	t := e.t
	tuesday := "/v1/availability?meeting_type_id=" + permit + "&mode=in_person&from=" + urlTime(at(2, 0, 0)) + "&to=" + urlTime(at(3, 0, 0))
	var avail struct {
		TimeZone string `json:"time_zone"`
		Items    []slot `json:"items"`
	}
	e.call("GET", tuesday, "", nil).want(t, 200).decode(t, &avail)
	must(t, len(avail.Items) > 10 && avail.TimeZone == "Europe/Stockholm", "Tuesday's slots: %+v", avail)
	must(t, avail.Items[0].StaffIDs == nil, "anonymous callers see who is free: %+v", avail.Items[0])
	e.call("GET", tuesday+"&staff_id="+bertil, e.worker, nil).want(t, 200).decode(t, &avail)
	must(t, contains(avail.Items[0].StaffIDs, bertil), "staff do not see who is free: %+v", avail.Items[0])
	e.call("GET", tuesday+"&staff_id="+bertil, "", nil).problem(t, 403)
	e.call("GET", "/v1/availability?meeting_type_id="+permit, "", nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/availability?meeting_type_id="+core.NewID()+"&mode=phone", "", nil).problem(t, 404)
	week := "/v1/availability/days?meeting_type_id=" + permit + "&mode=video&from=" + urlTime(at(1, 0, 0)) + "&to=" + urlTime(at(8, 0, 0))
	var days struct {
		Days []string `json:"days"`
	}
	e.call("GET", week, e.client, nil).want(t, 200).decode(t, &days)
	must(t, len(days.Days) == 5 && days.Days[0] == "2026-06-01", "days of the first week: %v", days.Days)
	e.call("GET", "/v1/availability/days?meeting_type_id="+permit+"&mode=video&from="+urlTime(at(8, 0, 0))+"&to="+urlTime(at(1, 0, 0)), "", nil).problem(t, 400)

	// Karin holds 08:30 and books it; Olle cannot hold it meanwhile.
	hold := map[string]string{"meeting_type_id": permit, "mode": "in_person", "start": rfc(at(2, 8, 30))}
	holdID := e.call("POST", "/v1/availability/holds", e.karin.Token, hold).want(t, 201).id(t)
	e.call("POST", "/v1/availability/holds", e.olle.Token, hold).problem(t, 409)
	e.call("POST", "/v1/availability/holds", "", hold).problem(t, 401)
	e.call("POST", "/v1/availability/holds", e.olle.Token, map[string]string{"mode": "in_person"}, malformed()).problem(t, 400)
	a1 := e.appointment(e.call("POST", "/v1/appointments", e.karin.Token, map[string]any{
		"meeting_type_id": permit, "mode": "in_person", "start": rfc(at(2, 8, 30)), "hold_id": holdID,
		"accessibility": []string{"wheelchair"}, "notes": "Jag tar med ritningarna.",
	}), 201)
	must(t, a1.etag == `"1"`, "ETag of a new appointment = %q", a1.etag)

	// Hanna books a phone meeting for Olle; a retry gets the first answer.
	k := key()
	a2body := map[string]any{"meeting_type_id": permit, "mode": "phone", "start": rfc(at(2, 10, 0)), "staff_id": bertil,
		"citizen": map[string]string{"email": e.olle.Email}, "phone": map[string]string{"number": "070-123 45 67", "direction": "citizen_calls"}}
	first := e.call("POST", "/v1/appointments", e.worker, a2body, idem(k)).want(t, 201)
	again := e.call("POST", "/v1/appointments", e.worker, a2body, idem(k)).want(t, 201)
	must(t, again.Header.Get("Idempotent-Replayed") == "true" && string(again.Body) == string(first.Body), "retry not replayed: %s", again.Body)
	a2body["notes"] = "Annan begäran"
	e.call("POST", "/v1/appointments", e.worker, a2body, idem(k)).problem(t, 422)
	a2 := e.appointment(first, 201)

	// The client books a video meeting for someone not yet known.
	a3 := e.appointment(e.call("POST", "/v1/appointments", e.client, map[string]any{"meeting_type_id": permit, "mode": "video",
		"start": rfc(at(2, 11, 0)), "citizen": map[string]string{"email": "per@example.se", "name": "Per Persson"}}), 201)
	e.call("POST", "/v1/appointments", e.olle.Token, map[string]any{"meeting_type_id": permit, "mode": "video", "start": rfc(at(2, 11, 0))}).problem(t, 409)
	e.call("POST", "/v1/appointments", e.adminVC, map[string]any{"meeting_type_id": permit, "mode": "video", "start": rfc(at(2, 13, 0)),
		"citizen": map[string]string{"email": e.olle.Email}}).problem(t, 403)
	e.call("POST", "/v1/appointments", e.karin.Token, map[string]any{"meeting_type_id": core.NewID(), "mode": "video", "start": rfc(at(2, 13, 0))}).problem(t, 404)
	e.call("POST", "/v1/appointments", e.karin.Token, map[string]any{"meeting_type_id": permit, "mode": "video", "start": "i morgon"}, malformed()).problem(t, 400)
	a4 := e.appointment(e.call("POST", "/v1/appointments", e.karin.Token, map[string]any{"meeting_type_id": permit, "mode": "video", "start": rfc(at(2, 14, 0))}), 201)

	// Reading.
	e.call("GET", "/v1/appointments", e.karin.Token, nil).want(t, 200)
	e.call("GET", "/v1/appointments?date=2026-06-02&limit=2", e.worker, nil).want(t, 200)
	e.call("GET", "/v1/appointments?agency_id="+exb+"&status=booked&from="+urlTime(at(1, 0, 0))+"&to="+urlTime(at(3, 0, 0)), e.client, nil).want(t, 200)
	e.call("GET", "/v1/appointments?status=bokad", e.worker, nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/appointments", e.sysadmin, nil).problem(t, 400)
	e.call("GET", "/v1/appointments?agency_id="+vc, e.worker, nil).problem(t, 403)
	e.call("GET", "/v1/appointments", "", nil).problem(t, 401)
	e.call("GET", "/v1/appointments/"+a1.ID, e.karin.Token, nil).want(t, 200)
	e.call("GET", "/v1/appointments/"+a1.ID, e.olle.Token, nil).problem(t, 404)
	e.call("GET", "/v1/appointments/not-a-uuid", e.karin.Token, nil, malformed()).problem(t, 400)
	ics := e.call("GET", "/v1/appointments/"+a1.ID+"/ical", e.karin.Token, nil).want(t, 200)
	must(t, strings.Contains(string(ics.Body), "BEGIN:VCALENDAR"), "not a calendar: %s", ics.Body)
	ev, err := calendar.Parse(ics.Body)
	must(t, err == nil && strings.Contains(ev.Description, "Ta med: Ritningar och fastighetsbeteckning"), "calendar DESCRIPTION %q, %v", ev.Description, err)
	e.call("GET", "/v1/appointments/"+a1.ID+"/ical", e.olle.Token, nil).problem(t, 404)

	// Moving.
	moved := e.appointment(e.call("POST", "/v1/appointments/"+a1.ID+"/reschedule", e.karin.Token,
		map[string]string{"start": rfc(at(2, 9, 15)), "reason": "Tåget"}, ifMatch(a1.etag)), 200)
	must(t, moved.Version == 2 && moved.etag == `"2"`, "rescheduled: %+v", moved)
	e.call("POST", "/v1/appointments/"+a1.ID+"/reschedule", e.karin.Token, map[string]string{"start": rfc(at(2, 9, 30))}, ifMatch(a1.etag)).problem(t, 412)
	e.call("POST", "/v1/appointments/"+a1.ID+"/reschedule", e.worker, map[string]string{"start": rfc(at(2, 3, 0))}).problem(t, 400)

	// Cancelling.
	e.call("POST", "/v1/appointments/"+a3.ID+"/cancel", e.worker, map[string]string{}).problem(t, 400) // the agency gives a reason
	e.call("POST", "/v1/appointments/"+a3.ID+"/cancel", e.worker, map[string]string{"reason": "Handläggaren är sjuk"}, ifMatch(`"7"`)).problem(t, 412)
	e.call("POST", "/v1/appointments/"+a3.ID+"/cancel", e.worker, map[string]string{"reason": "Handläggaren är sjuk"}, ifMatch(a3.etag), idem(key())).want(t, 200)
	e.call("POST", "/v1/appointments/"+a3.ID+"/cancel", e.worker, map[string]string{"reason": "Igen"}).problem(t, 409)
	e.call("POST", "/v1/appointments/"+a4.ID+"/cancel", e.karin.Token, nil).want(t, 200) // no body

	// Following up: only the agency, only around the meeting.
	e.call("POST", "/v1/appointments/"+a1.ID+"/arrive", e.worker, nil).problem(t, 409)
	e.call("POST", "/v1/appointments/"+a1.ID+"/arrive", e.karin.Token, nil).problem(t, 403)
	e.call("POST", "/v1/appointments/"+a2.ID+"/complete", e.worker, nil).problem(t, 409)
	e.call("POST", "/v1/appointments/"+a2.ID+"/no-show", e.worker, nil).problem(t, 409)
	e.clock.Set(at(2, 9, 20))
	e.call("POST", "/v1/appointments/"+a1.ID+"/arrive", e.worker, nil, ifMatch(`"1"`)).problem(t, 412)
	arrived := e.appointment(e.call("POST", "/v1/appointments/"+a1.ID+"/arrive", e.worker, nil, ifMatch(moved.etag)), 200)
	must(t, arrived.Status == "arrived", "arrive: %+v", arrived)
	e.call("POST", "/v1/appointments/"+a1.ID+"/complete", e.client, nil, ifMatch(arrived.etag), idem(key())).want(t, 200)
	e.call("POST", "/v1/appointments/"+a1.ID+"/complete", e.worker, nil).problem(t, 409)
	e.clock.Set(at(2, 10, 5))
	e.call("POST", "/v1/appointments/"+a2.ID+"/no-show", e.worker, nil).want(t, 200)
	e.call("POST", "/v1/appointments/"+core.NewID()+"/no-show", e.worker, nil).problem(t, 404)
}

func urlTime(t time.Time) string { return strings.ReplaceAll(rfc(t), "+", "%2B") }

// ---- call-backs ----

func (e *env) callbacks() {
	t := e.t
	now := e.clock.Now()
	req := map[string]any{"agency_id": exb, "meeting_type_id": permit, "phone": "070-765 43 21",
		"earliest": rfc(now.Add(-time.Minute)), "latest": rfc(now.Add(4 * time.Hour)), "language": "sv"}
	var c1 struct {
		ID       string `json:"id"`
		Position int    `json:"queue_position"`
	}
	e.call("POST", "/v1/callbacks", e.karin.Token, req, idem(key())).want(t, 201).decode(t, &c1)
	must(t, c1.Position == 1, "queue position %d", c1.Position)
	e.call("POST", "/v1/callbacks", e.karin.Token, map[string]any{"agency_id": exb, "topic": "Bygglov"}, malformed()).problem(t, 400)
	e.call("POST", "/v1/callbacks", e.karin.Token, map[string]any{"agency_id": exb, "topic": "Bygglov", "phone": "070-765 43 21",
		"earliest": rfc(now.Add(-2 * time.Hour)), "latest": rfc(now.Add(-time.Hour))}).problem(t, 400)
	e.call("POST", "/v1/callbacks", e.karin.Token, map[string]any{"agency_id": core.NewID(), "topic": "Bygglov", "phone": "070-765 43 21",
		"earliest": rfc(now), "latest": rfc(now.Add(time.Hour))}).problem(t, 404)
	e.call("POST", "/v1/callbacks", e.adminVC, map[string]any{"agency_id": exb, "topic": "Bygglov", "earliest": rfc(now), "latest": rfc(now.Add(time.Hour)),
		"citizen": map[string]string{"email": e.olle.Email}}).problem(t, 403)

	e.call("GET", "/v1/callbacks?status=waiting", e.worker, nil).want(t, 200)
	e.call("GET", "/v1/callbacks", e.karin.Token, nil).want(t, 200)
	e.call("GET", "/v1/callbacks?status=väntar", e.worker, nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/callbacks?agency_id="+exb, e.adminVC, nil).problem(t, 403)

	e.call("POST", "/v1/callbacks/claim-next?agency_id="+exb, e.karin.Token, nil).problem(t, 403)
	var claimed struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	e.call("POST", "/v1/callbacks/claim-next?agency_id="+exb, e.worker, nil).want(t, 200).decode(t, &claimed)
	must(t, claimed.ID == c1.ID && claimed.Status == "claimed", "claim-next gave %+v", claimed)
	e.call("POST", "/v1/callbacks/"+c1.ID+"/complete", e.worker, map[string]string{"note": "Rådgivning given."}).want(t, 200)
	e.call("POST", "/v1/callbacks/"+c1.ID+"/complete", e.worker, nil).problem(t, 409)

	c2 := e.call("POST", "/v1/callbacks", e.worker, map[string]any{"agency_id": exb, "topic": "Fråga om bygglov för altan",
		"earliest": rfc(now), "latest": rfc(now.Add(2 * time.Hour)), "phone": "070-111 22 33", "citizen": map[string]string{"email": e.olle.Email}}).want(t, 201).id(t)
	e.call("POST", "/v1/callbacks/"+c2+"/claim", e.worker, nil, idem(key())).want(t, 200)
	e.call("POST", "/v1/callbacks/"+c2+"/claim", e.admin, nil).problem(t, 409)
	e.call("POST", "/v1/callbacks/"+c2+"/no-answer", e.admin, nil).problem(t, 409)
	e.call("POST", "/v1/callbacks/"+c2+"/no-answer", e.worker, map[string]string{"note": "Inget svar."}).want(t, 200)
	e.call("POST", "/v1/callbacks/"+c2+"/withdraw", e.karin.Token, nil).problem(t, 404) // not hers
	e.call("POST", "/v1/callbacks/"+c2+"/withdraw", e.olle.Token, nil).want(t, 200)
	e.call("POST", "/v1/callbacks/"+c2+"/withdraw", e.olle.Token, nil).problem(t, 409)
	e.call("POST", "/v1/callbacks/"+core.NewID()+"/claim", e.worker, nil).problem(t, 404)
	e.call("POST", "/v1/callbacks/claim-next", e.worker, nil).problem(t, 404) // none waiting
}

// ---- cases ----

func (e *env) cases() {
	t := e.t
	base := "/v1/agencies/" + exb
	e.call("GET", base+"/case-categories", "", nil).want(t, 200)
	e.call("GET", "/v1/agencies/"+core.NewID()+"/case-categories", "", nil).problem(t, 404)
	cat := map[string]any{"name": map[string]string{"sv": "Bygglov", "en": "Building permits"},
		"description":      map[string]string{"sv": "Frågor om bygglov.", "en": "Questions about building permits."},
		"meeting_type_ids": []string{permit}, "first_contact_days": 3, "resolution_days": 30}
	catID := e.call("POST", base+"/case-categories", e.admin, cat).want(t, 201).id(t)
	e.call("POST", base+"/case-categories", e.worker, cat).problem(t, 403)
	e.call("POST", base+"/case-categories", e.admin, map[string]any{"name": cat["name"], "first_contact_days": 10, "resolution_days": 5}).problem(t, 400)
	plainID := e.call("POST", base+"/case-categories", e.client, map[string]any{"name": map[string]string{"sv": "Övrigt", "en": "Other"},
		"resolution_days": 14}).want(t, 201).id(t)
	cat["is_complaint"] = false
	cat["first_contact_days"] = 2
	e.call("PUT", base+"/case-categories/"+catID, e.admin, cat).want(t, 200)
	e.call("PUT", base+"/case-categories/"+core.NewID(), e.admin, cat).problem(t, 404)
	e.call("PUT", base+"/case-settings", e.admin, map[string]string{"reference_prefix": "EXB"}).want(t, 204)
	e.call("PUT", base+"/case-settings", e.admin, map[string]string{"reference_prefix": "exb-1"}, malformed()).problem(t, 400)
	e.call("PUT", base+"/case-settings", e.worker, map[string]string{"reference_prefix": "EXB"}).problem(t, 403)

	submit := map[string]any{"agency_id": exb, "category_id": catID, "subject": "Bygglov för altan",
		"description": "Jag vill bygga en altan på 20 kvadratmeter.", "preferred_modes": []string{"video", "phone"}, "language": "sv"}
	r := e.call("POST", "/v1/cases", e.karin.Token, submit, idem(key())).want(t, 201)
	k1, etag := r.id(t), r.Header.Get("ETag")
	var ref struct {
		Reference string `json:"reference"`
	}
	r.decode(t, &ref)
	must(t, strings.HasPrefix(ref.Reference, "EXB-2026-"), "reference %q", ref.Reference)
	e.call("POST", "/v1/cases", e.karin.Token, map[string]any{"agency_id": exb, "category_id": catID}, malformed()).problem(t, 400)
	e.call("POST", "/v1/cases", e.karin.Token, map[string]any{"agency_id": exb, "category_id": core.NewID(), "subject": "x", "description": "y"}).problem(t, 404)
	e.call("POST", "/v1/cases", e.adminVC, map[string]any{"agency_id": exb, "category_id": catID, "subject": "x", "description": "y",
		"citizen": map[string]string{"email": e.karin.Email}}).problem(t, 403)
	k2 := e.call("POST", "/v1/cases", e.worker, map[string]any{"agency_id": exb, "category_id": plainID, "subject": "Synpunkt på snöröjningen",
		"description": "Eva ringde om snöröjningen.", "priority": "low", "contact_preference": "phone",
		"citizen": map[string]string{"personal_identity_number": "19811218-9876", "name": "Eva Exempel"}}).want(t, 201).id(t)

	e.call("GET", "/v1/cases?status=submitted&assignee=none&overdue=false&q=altan", e.worker, nil).want(t, 200)
	e.call("GET", "/v1/cases?limit=1", e.karin.Token, nil).want(t, 200)
	e.call("GET", "/v1/cases?assignee=alla", e.worker, nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/cases?agency_id="+exb, e.adminVC, nil).problem(t, 403)
	var detail struct {
		MeetingTypeIDs []string `json:"meeting_type_ids"`
	}
	e.call("GET", "/v1/cases/"+k1, e.worker, nil).want(t, 200).decode(t, &detail)
	must(t, len(detail.MeetingTypeIDs) == 1 && detail.MeetingTypeIDs[0] == permit, "meeting types of the case: %v", detail.MeetingTypeIDs)
	var k2detail struct {
		PIN            string    `json:"personal_identity_number"`
		MeetingTypeIDs *[]string `json:"meeting_type_ids"`
	}
	e.call("GET", "/v1/cases/"+k2, e.client, nil).want(t, 200).decode(t, &k2detail) // a category without meeting types
	must(t, k2detail.PIN == "19811218-****" && k2detail.MeetingTypeIDs != nil && len(*k2detail.MeetingTypeIDs) == 0,
		"GET of a case of a citizen with a personal identity number, in a category without meeting types: %+v", k2detail)
	e.call("GET", "/v1/cases/"+k1, e.olle.Token, nil).problem(t, 404)

	r = e.call("POST", "/v1/cases/"+k1+"/status", e.worker, map[string]any{"status": "triaged", "note": "Vi tittar på det.", "visible_to_citizen": true},
		ifMatch(etag), idem(key())).want(t, 200)
	etag = r.Header.Get("ETag")
	e.call("POST", "/v1/cases/"+k1+"/status", e.worker, map[string]any{"status": "assigned"}, ifMatch(`"1"`)).problem(t, 412)
	e.call("POST", "/v1/cases/"+k1+"/status", e.worker, map[string]any{"status": "closed"}).problem(t, 409)
	e.call("POST", "/v1/cases/"+k1+"/status", e.worker, map[string]any{"status": "avslutad"}, malformed()).problem(t, 400)
	etag = e.call("POST", "/v1/cases/"+k1+"/assign", e.admin, map[string]string{"staff_id": hannaLogin}, ifMatch(etag)).want(t, 200).Header.Get("ETag")
	e.call("POST", "/v1/cases/"+k1+"/assign", e.admin, map[string]string{"staff_id": saraLogin}).problem(t, 400)
	e.call("POST", "/v1/cases/"+k1+"/priority", e.worker, map[string]string{"priority": "high"}, ifMatch(etag)).want(t, 200)
	e.call("POST", "/v1/cases/"+k1+"/priority", e.karin.Token, map[string]string{"priority": "urgent"}).problem(t, 403)

	e.call("POST", "/v1/cases/"+k1+"/messages", e.worker, map[string]any{"body": "Kan du skicka en ritning?"}, idem(key())).want(t, 201)
	e.call("POST", "/v1/cases/"+k1+"/messages", e.worker, map[string]any{"body": "Ring sökanden på torsdag.", "internal": true}).want(t, 201)
	e.call("POST", "/v1/cases/"+k1+"/messages", e.karin.Token, map[string]any{"body": "Ritningen kommer i morgon."}).want(t, 201)
	e.call("POST", "/v1/cases/"+k1+"/messages", e.karin.Token, map[string]any{"body": "Hemlig", "internal": true}).problem(t, 400)
	e.call("POST", "/v1/cases/"+core.NewID()+"/messages", e.worker, map[string]any{"body": "Hej"}).problem(t, 404)
	var timeline struct {
		Items []struct {
			Kind string `json:"kind"`
		} `json:"items"`
	}
	kinds := func(token string) (out []string) {
		timeline.Items = nil
		e.call("GET", "/v1/cases/"+k1+"/events", token, nil).want(t, 200).decode(t, &timeline)
		for _, it := range timeline.Items {
			out = append(out, it.Kind)
		}
		return out
	}
	must(t, contains(kinds(e.worker), "note"), "staff do not see the internal note")
	must(t, !contains(kinds(e.karin.Token), "note"), "the citizen sees the internal note")
	e.call("GET", "/v1/cases/"+k1+"/events", e.olle.Token, nil).problem(t, 404)

	e.call("POST", "/v1/cases/"+k1+"/withdraw", e.worker, nil).problem(t, 403)
	e.call("POST", "/v1/cases/"+k1+"/withdraw", e.karin.Token, map[string]string{"reason": "Jag bygger inte i år."}, idem(key())).want(t, 200)
	e.call("POST", "/v1/cases/"+k1+"/withdraw", e.karin.Token, nil).problem(t, 409)
	e.call("POST", "/v1/cases/"+k1+"/messages", e.karin.Token, map[string]any{"body": "Glöm det."}).problem(t, 409)

	e.call("POST", base+"/case-categories/"+plainID+"/retire", e.admin, nil).want(t, 204)
	e.call("POST", base+"/case-categories/"+core.NewID()+"/retire", e.admin, nil).problem(t, 404)
}

// ---- calendar feeds ----

func (e *env) feeds() {
	t := e.t
	var feed struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	e.call("POST", "/v1/me/feeds", e.karin.Token, nil).want(t, 201).decode(t, &feed)
	path := strings.TrimPrefix(feed.URL, baseURL)
	must(t, strings.HasPrefix(path, "/v1/feeds/tbf_") && strings.HasSuffix(path, ".ics"), "feed URL %q", feed.URL)
	e.call("POST", "/v1/me/feeds", e.worker, nil).want(t, 201)
	e.call("POST", "/v1/me/feeds", e.client, nil).problem(t, 403)
	e.call("GET", "/v1/me/feeds", e.karin.Token, nil).want(t, 200)
	e.call("GET", "/v1/me/feeds", "", nil).problem(t, 401)
	cal := e.call("GET", path, "", nil).want(t, 200)
	must(t, strings.Contains(string(cal.Body), "BEGIN:VEVENT"), "Karin's feed has no meetings:\n%s", cal.Body)
	e.call("GET", strings.TrimSuffix(path, ".ics"), "", nil).want(t, 200)
	e.call("GET", "/v1/feeds/tbf_"+strings.Repeat("A", 43)+".ics", "", nil).problem(t, 404)
	e.call("POST", "/v1/me/feeds/"+feed.ID+"/revoke", e.olle.Token, nil).problem(t, 404) // not his
	e.call("POST", "/v1/me/feeds/"+feed.ID+"/revoke", e.karin.Token, nil).want(t, 204)
	e.call("POST", "/v1/me/feeds/"+feed.ID+"/revoke", e.karin.Token, nil).want(t, 204)
	e.call("POST", "/v1/me/feeds/not-a-uuid/revoke", e.karin.Token, nil, malformed()).problem(t, 400)
	e.call("GET", path, "", nil).problem(t, 404)
}

// ---- stored messages ----

func (e *env) messages() {
	t := e.t
	ctx := context.Background()
	for _, p := range e.server.Pumps {
		if _, err := p.Poll(ctx); err != nil {
			t.Fatalf("pump %s: %v", p.Name, err)
		}
	}
	var list struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	e.call("GET", "/v1/messages?limit=200", e.admin, nil).want(t, 200).decode(t, &list)
	must(t, len(list.Items) > 0, "no messages stored for Exempelby")
	e.call("GET", "/v1/messages?agency_id="+exb+"&status=pending", e.sysadmin, nil).want(t, 200)
	e.call("GET", "/v1/messages", e.worker, nil).problem(t, 403)
	e.call("GET", "/v1/messages?status=borta", e.admin, nil, malformed()).problem(t, 400)

	id := list.Items[0].ID
	e.call("POST", "/v1/messages/"+id+"/retry", e.admin, nil).problem(t, 409) // not dead
	e.exec(`UPDATE notify_messages SET status = 'dead', last_error = 'mailbox unavailable' WHERE id = ?`, id)
	e.call("POST", "/v1/messages/"+id+"/retry", e.adminVC, nil).problem(t, 404) // another agency's
	e.call("POST", "/v1/messages/"+id+"/retry", e.admin, nil).want(t, 204)
	e.call("POST", "/v1/messages/"+core.NewID()+"/retry", e.admin, nil).problem(t, 404)
}

// ---- webhooks ----

func (e *env) webhooksScenario() {
	t := e.t
	ctx := context.Background()
	hook := map[string]any{"url": "https://arende.exempelby.se/tidbok/webhooks", "event_types": []string{"appointment.booked", "case.submitted"}}
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	e.call("POST", "/v1/webhooks", e.admin, hook).want(t, 201).decode(t, &created)
	must(t, strings.HasPrefix(created.Secret, "whsec_"), "no secret: %+v", created)
	e.call("POST", "/v1/webhooks", e.worker, hook).problem(t, 403)
	e.call("POST", "/v1/webhooks", e.admin, map[string]any{"url": "https://10.0.0.5/hooks", "event_types": []string{"*"}}).problem(t, 400)
	e.call("POST", "/v1/webhooks", e.admin, map[string]any{"url": hook["url"], "event_types": []string{"appointment.exploded"}}, malformed()).problem(t, 400)
	e.call("POST", "/v1/webhooks", e.client, map[string]any{"url": "https://arende.exempelby.se/alla", "event_types": []string{"*"}}).want(t, 201)
	e.call("GET", "/v1/webhooks", e.admin, nil).want(t, 200)
	e.call("GET", "/v1/webhooks?agency_id="+exb, e.sysadmin, nil).want(t, 200)
	e.call("GET", "/v1/webhooks", e.worker, nil).problem(t, 403)

	if err := e.webhooks.Enqueue(ctx, exb, core.NewID(), "appointment.booked", []byte(`{"appointment":{"id":"x"}}`)); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	deliveries := "/v1/webhooks/" + created.ID + "/deliveries"
	var page struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	e.call("GET", deliveries, e.admin, nil).want(t, 200).decode(t, &page)
	must(t, len(page.Items) == 1 && page.Items[0].Status == "pending", "deliveries: %+v", page)
	e.call("GET", deliveries+"?status=failed&limit=10", e.client, nil).want(t, 200)
	e.call("GET", deliveries+"?status=lost", e.admin, nil, malformed()).problem(t, 400)
	e.call("GET", "/v1/webhooks/"+core.NewID()+"/deliveries", e.admin, nil).problem(t, 404)
	d := page.Items[0].ID
	e.call("POST", deliveries+"/"+d+"/redeliver", e.admin, nil).problem(t, 409) // on its way already
	e.exec(`UPDATE notify_deliveries SET status = 'failed', attempts = 3, last_status = 503, last_error = 'receiver answered 503' WHERE id = ?`, d)
	e.call("GET", deliveries+"?status=failed", e.admin, nil).want(t, 200)
	e.call("POST", deliveries+"/"+d+"/redeliver", e.admin, nil).want(t, 200)
	e.call("POST", deliveries+"/"+core.NewID()+"/redeliver", e.admin, nil).problem(t, 404)
	e.call("POST", "/v1/webhooks/"+created.ID+"/disable", e.adminVC, nil).problem(t, 403)
	e.call("POST", "/v1/webhooks/"+created.ID+"/disable", e.admin, nil).want(t, 200)
	e.call("POST", "/v1/webhooks/"+core.NewID()+"/disable", e.admin, nil).problem(t, 404)
}

// ---- operations, and the sign-in answers the scenario did not need ----

func (e *env) operations() {
	t := e.t
	var about struct {
		Services []string `json:"services"`
	}
	e.call("GET", "/", "", nil).want(t, 200).decode(t, &about)
	must(t, len(about.Services) == 4, "GET / = %+v", about)
	e.call("GET", "/healthz", "", nil).want(t, 200)
	e.call("GET", "/readyz", "", nil).want(t, 200)
	e.call("GET", "/.well-known/jwks.json", "", nil).want(t, 200)
	e.call("POST", "/v1/auth/login", "", map[string]string{"email": "admin@exempelby.se", "password": "fel lösenord"}).problem(t, 401)
	e.call("POST", "/v1/auth/citizen/verify", "", map[string]string{"challenge_id": core.NewID(), "code": "000000"}).problem(t, 401)
	e.call("GET", "/v1/me", e.client, nil).want(t, 200)
	e.call("GET", "/v1/me", "not a token", nil, malformed()).problem(t, 401)
	e.call("GET", "/v1/staff", e.admin, nil).want(t, 200)
	e.call("GET", "/v1/clients", e.admin, nil).want(t, 200)
	e.call("GET", "/v1/audit?limit=5", e.sysadmin, nil).want(t, 200)
	e.call("GET", "/v1/audit", e.admin, nil).problem(t, 403)
}
