package bookingapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

// statsCounts is the outcome counts of a group or the totals.
type statsCounts struct {
	Total               int      `json:"total"`
	Upcoming            int      `json:"upcoming"`
	Unrecorded          int      `json:"unrecorded"`
	Fulfilled           int      `json:"fulfilled"`
	FulfilledByCallback int      `json:"fulfilled_by_callback"`
	Cancelled           int      `json:"cancelled"`
	CancelledByCitizen  int      `json:"cancelled_by_citizen"`
	CancelledByStaff    int      `json:"cancelled_by_staff"`
	CancelledByOther    int      `json:"cancelled_by_other"`
	NoShow              int      `json:"noshow"`
	Unreachable         int      `json:"unreachable"`
	NoShowRate          *float64 `json:"no_show_rate"`
	CancellationRate    *float64 `json:"cancellation_rate"`
	UnreachableRate     *float64 `json:"unreachable_rate"`
}

type statsAnswer struct {
	AgencyID string        `json:"agency_id"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	TimeZone string        `json:"time_zone"`
	GroupBy  []string      `json:"group_by"`
	Totals   statsCounts   `json:"totals"`
	Groups   []statsCounts `json:"groups"`
	raw      []map[string]json.RawMessage
}

func (e *apptEnv) statistics(t *testing.T, token string, q url.Values) statsAnswer {
	t.Helper()
	r := e.call(t, "GET", "/v1/statistics/appointments?"+q.Encode(), token, nil)
	wantStatus(t, r, http.StatusOK)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q", cc)
	}
	var a statsAnswer
	decode(t, r, &a)
	var raw struct {
		Groups []map[string]json.RawMessage `json:"groups"`
	}
	decode(t, r, &raw)
	a.raw = raw.Groups
	return a
}

func rateOf(r *float64) float64 {
	if r == nil {
		return -1
	}
	return *r
}

func TestAppointmentStatistics(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		bo := e.signInCitizen(t, "bo@example.se")
		forCitizen := func(i int) map[string]any { return map[string]any{"personal_identity_number": personalNumber(100 + i)} }
		phone := map[string]string{"number": "070-123 45 67"}
		action := func(t *testing.T, id, verb, token string, body any) {
			t.Helper()
			wantStatus(t, e.call(t, "POST", "/v1/appointments/"+id+"/"+verb, token, body), http.StatusOK)
		}

		// Tuesday 2 June: a phone meeting held and one missed.
		held := e.book(t, e.workerA, e.bookBody(at(2, 9, 0), "phone", "citizen", forCitizen(1), "phone", phone))
		missed := e.book(t, e.workerA, e.bookBody(at(2, 10, 0), "phone", "citizen", forCitizen(2), "phone", phone))
		// Wednesday: cancelled by the citizen, by the caseworker, by the agency's system.
		byCitizen := e.book(t, anna.Token, e.bookBody(at(3, 9, 0), "video"))
		action(t, byCitizen.ID, "cancel", anna.Token, nil)
		byStaff := e.book(t, anna.Token, e.bookBody(at(3, 10, 0), "in_person"))
		action(t, byStaff.ID, "cancel", e.workerA, map[string]string{"reason": "Handläggaren sjuk"})
		byClient := e.book(t, e.workerA, e.bookBody(at(4, 9, 0), "video", "citizen", forCitizen(3)))
		action(t, byClient.ID, "cancel", e.client, map[string]string{"reason": "Ärendet avslutat"})
		// Friday: a phone meeting still ahead.
		e.book(t, e.workerA, e.bookBody(at(5, 9, 0), "phone", "citizen", forCitizen(4), "phone", phone))

		// Call-backs on Monday 1 June: one of the meeting type answered, one
		// about a topic answered, one never reached after three tries.
		callback := func(t *testing.T, token string, body map[string]any) string {
			t.Helper()
			body["agency_id"], body["phone"] = e.agencyA, "070-123 45 67"
			body["earliest"], body["latest"] = at(1, 7, 0).Format(time.RFC3339), at(1, 12, 0).Format(time.RFC3339)
			return wantCreated(t, e.call(t, "POST", "/v1/callbacks", token, body))
		}
		step := func(t *testing.T, id, verb string) {
			t.Helper()
			wantStatus(t, e.call(t, "POST", "/v1/callbacks/"+id+"/"+verb, e.workerA, nil), http.StatusOK)
		}
		answered := callback(t, anna.Token, map[string]any{"meeting_type_id": e.meetingType})
		step(t, answered, "claim")
		step(t, answered, "complete")
		topic := callback(t, bo.Token, map[string]any{"topic": "Min faktura"})
		step(t, topic, "claim")
		step(t, topic, "complete")
		unreachable := callback(t, bo.Token, map[string]any{"meeting_type_id": e.meetingType})
		for range 3 {
			step(t, unreachable, "claim")
			step(t, unreachable, "no-answer")
		}
		callback(t, anna.Token, map[string]any{"topic": "Väntar fortfarande"}) // not ended: not counted

		e.clock.Set(at(2, 11, 0))
		action(t, held.ID, "complete", e.workerA, nil)
		action(t, missed.ID, "no-show", e.workerA, nil)

		june := url.Values{"agency_id": {e.agencyA}, "from": {"2026-06-01"}, "to": {"2026-06-30"}}

		t.Run("counts per meeting type and mode, call-backs as phone meetings", func(t *testing.T) {
			st := e.statistics(t, e.adminA, june)
			if st.AgencyID != e.agencyA || st.From != "2026-06-01" || st.To != "2026-06-30" || st.TimeZone != "Europe/Stockholm" ||
				len(st.GroupBy) != 2 || st.GroupBy[0] != "meeting_type" || st.GroupBy[1] != "mode" {
				t.Fatalf("header = %+v", st)
			}
			want := []statsCounts{
				{Total: 5, Upcoming: 1, Fulfilled: 2, FulfilledByCallback: 1, NoShow: 1, Unreachable: 1},
				{Total: 2, Cancelled: 2, CancelledByCitizen: 1, CancelledByOther: 1},
				{Total: 1, Cancelled: 1, CancelledByStaff: 1},
				{Total: 1, Fulfilled: 1, FulfilledByCallback: 1},
			}
			if len(st.Groups) != len(want) {
				t.Fatalf("%d groups: %+v", len(st.Groups), st.Groups)
			}
			modes := []string{`"phone"`, `"video"`, `"in_person"`, `"phone"`}
			types := []string{`"` + e.meetingType + `"`, `"` + e.meetingType + `"`, `"` + e.meetingType + `"`, `null`}
			for i, g := range st.Groups {
				g.NoShowRate, g.CancellationRate, g.UnreachableRate = nil, nil, nil
				if g != want[i] || string(st.raw[i]["mode"]) != modes[i] || string(st.raw[i]["meeting_type_id"]) != types[i] {
					t.Fatalf("group %d = %+v %s %s, want %+v %s %s", i, g, st.raw[i]["meeting_type_id"], st.raw[i]["mode"], want[i], types[i], modes[i])
				}
				if _, ok := st.raw[i]["office_id"]; ok {
					t.Fatalf("group %d has an office without group_by=office", i)
				}
			}
			if string(st.raw[0]["meeting_type_name"]) != `{"sv":"Rådgivning","en":"Advice"}` || string(st.raw[3]["meeting_type_name"]) != "null" {
				t.Fatalf("names = %s, %s", st.raw[0]["meeting_type_name"], st.raw[3]["meeting_type_name"])
			}
			tot := st.Totals
			if tot.Total != 9 || tot.Fulfilled != 3 || tot.FulfilledByCallback != 2 || tot.Cancelled != 3 || tot.NoShow != 1 ||
				tot.Unreachable != 1 || tot.Upcoming != 1 || rateOf(tot.NoShowRate) != 0.5 || rateOf(tot.CancellationRate) != 0.5 ||
				rateOf(tot.UnreachableRate) != 0.3333 {
				t.Fatalf("totals = %+v (rates %v %v %v)", tot, rateOf(tot.NoShowRate), rateOf(tot.CancellationRate), rateOf(tot.UnreachableRate))
			}
		})

		t.Run("a day in the agency's time zone, and a day with nothing", func(t *testing.T) {
			st := e.statistics(t, e.adminA, url.Values{"agency_id": {e.agencyA}, "from": {"2026-06-02"}, "to": {"2026-06-02"}, "group_by": {"mode"}})
			if len(st.Groups) != 1 || st.Groups[0].Fulfilled != 1 || st.Groups[0].NoShow != 1 || st.Totals.Total != 2 {
				t.Fatalf("2 June = %+v", st)
			}
			empty := e.statistics(t, e.adminA, url.Values{"agency_id": {e.agencyA}, "from": {"2026-05-01"}, "to": {"2026-05-31"}})
			if len(empty.Groups) != 0 || empty.raw == nil || empty.Totals.Total != 0 || empty.Totals.NoShowRate != nil {
				t.Fatalf("May = %+v", empty)
			}
		})

		t.Run("grouped by office", func(t *testing.T) {
			st := e.statistics(t, e.workerA, url.Values{"from": {"2026-06-01"}, "to": {"2026-06-30"}, "group_by": {"office"}})
			if len(st.Groups) != 2 || string(st.raw[0]["office_id"]) != "null" || string(st.raw[1]["office_id"]) != `"`+e.officeA+`"` ||
				string(st.raw[1]["office_name"]) != `"Medborgarkontoret"` || st.Groups[1].CancelledByStaff != 1 || st.Groups[0].Total != 8 {
				t.Fatalf("by office = %+v %v", st.Groups, st.raw)
			}
			if _, ok := st.raw[0]["mode"]; ok {
				t.Fatal("a mode without group_by=mode")
			}
		})

		t.Run("who may read them", func(t *testing.T) {
			sys := e.login(t, e.seedStaff(t, "sys@tidbok.test", core.RoleSystemAdmin, ""))
			noScope, noScopeSecret := e.newClient(t, core.ScopeAppointmentsRead, core.ScopeCasesRead)
			r := e.call(t, "POST", "/v1/clients", e.adminB, map[string]any{"agency_id": e.agencyB, "name": "B:s system", "scopes": []string{core.ScopeStatisticsRead}})
			wantStatus(t, r, http.StatusCreated)
			var clientB struct {
				ClientID     string `json:"client_id"`
				ClientSecret string `json:"client_secret"`
			}
			decode(t, r, &clientB)
			statsOnly, statsOnlySecret := e.newClient(t, core.ScopeStatisticsRead)
			path := "/v1/statistics/appointments?" + june.Encode()
			for _, tc := range []struct {
				name   string
				token  string
				status int
			}{
				{"anonymous", "", http.StatusUnauthorized},
				{"a citizen", anna.Token, http.StatusForbidden},
				{"another agency's admin", e.adminB, http.StatusForbidden},
				{"a client without statistics:read", e.clientToken(t, noScope, noScopeSecret), http.StatusForbidden},
				{"another agency's client with statistics:read", e.clientToken(t, clientB.ClientID, clientB.ClientSecret), http.StatusForbidden},
				{"the agency admin", e.adminA, http.StatusOK},
				{"a caseworker of the agency", e.workerA, http.StatusOK},
				{"a client with statistics:read only", e.clientToken(t, statsOnly, statsOnlySecret), http.StatusOK},
				{"a system admin", sys, http.StatusOK},
			} {
				r := e.call(t, "GET", path, tc.token, nil)
				if tc.status == http.StatusOK {
					wantStatus(t, r, http.StatusOK)
					continue
				}
				wantProblem(t, r, tc.status)
			}
			// Without agency_id staff and clients get their own; a system
			// admin must say which.
			if st := e.statistics(t, e.adminB, url.Values{"from": {"2026-06-01"}, "to": {"2026-06-30"}}); st.AgencyID != e.agencyB || st.Totals.Total != 0 {
				t.Fatalf("agency B's own = %+v", st)
			}
			wantProblem(t, e.call(t, "GET", "/v1/statistics/appointments?from=2026-06-01&to=2026-06-30", sys, nil), http.StatusBadRequest, "agency_id")
			wantProblem(t, e.call(t, "GET", "/v1/statistics/appointments?from=2026-06-01&to=2026-06-30&agency_id="+core.NewID(), sys, nil), http.StatusNotFound)
		})

		t.Run("bad input names the parameter", func(t *testing.T) {
			for _, tc := range []struct {
				query string
				field string
			}{
				{"from=2026-06-30&to=2026-06-01", "to"},
				{"from=2026-01-01&to=2027-01-02", "to"}, // 367 days
				{"from=2026-13-01&to=2026-12-31", "from"},
				{"from=2026-06-01&to=30.6.2026", "to"},
				{"to=2026-06-30", "from"},
				{"from=2026-06-01&to=2026-06-30&group_by=staff", "group_by"},
				{"from=2026-06-01&to=2026-06-30&group_by=mode,mode", "group_by"},
				{"from=2026-06-01&to=2026-06-30&agency_id=12", "agency_id"},
			} {
				r := e.call(t, "GET", "/v1/statistics/appointments?"+tc.query, e.adminA, nil)
				wantProblem(t, r, http.StatusBadRequest, tc.field)
			}
			// A leap year is the longest range.
			wantStatus(t, e.call(t, "GET", "/v1/statistics/appointments?from=2028-01-01&to=2028-12-31", e.adminA, nil), http.StatusOK)
		})
	})
}
