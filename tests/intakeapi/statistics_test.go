package intakeapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
)

type caseStatsCounts struct {
	Submitted    int `json:"submitted"`
	Resolved     int `json:"resolved"`
	Open         int `json:"open"`
	Withdrawn    int `json:"withdrawn"`
	FirstContact struct {
		Count  int      `json:"count"`
		Median *float64 `json:"median"`
		P90    *float64 `json:"p90"`
	} `json:"time_to_first_contact_hours"`
	Resolution struct {
		Count  int      `json:"count"`
		Median *float64 `json:"median"`
		P90    *float64 `json:"p90"`
	} `json:"time_to_resolution_hours"`
	FirstContactDeadline struct {
		Met    int      `json:"met"`
		Missed int      `json:"missed"`
		Share  *float64 `json:"share"`
	} `json:"first_contact_within_deadline"`
	ResolutionDeadline struct {
		Met    int      `json:"met"`
		Missed int      `json:"missed"`
		Share  *float64 `json:"share"`
	} `json:"resolution_within_deadline"`
}

type caseStatsAnswer struct {
	AgencyID string            `json:"agency_id"`
	From     string            `json:"from"`
	To       string            `json:"to"`
	TimeZone string            `json:"time_zone"`
	GroupBy  []string          `json:"group_by"`
	Totals   caseStatsCounts   `json:"totals"`
	Groups   []caseStatsCounts `json:"groups"`
	raw      []map[string]json.RawMessage
}

func (e *env) caseStatistics(t *testing.T, token string, q url.Values) caseStatsAnswer {
	t.Helper()
	r := e.call(t, "GET", "/v1/statistics/cases?"+q.Encode(), token, nil)
	wantStatus(t, r, http.StatusOK)
	var a caseStatsAnswer
	decode(t, r, &a)
	var raw struct {
		Groups []map[string]json.RawMessage `json:"groups"`
	}
	decode(t, r, &raw)
	a.raw = raw.Groups
	return a
}

func num(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func caseStatisticsCountCasesAsTheyWent(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	// Monday 1 June, 07:00: three building permit cases.
	phone := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Altan", "preferred_modes", []string{"phone", "video"}))
	video := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Garage", "preferred_modes", []string{"video"}))
	none := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Staket"))
	e.clock.Advance(3 * time.Hour)
	wantStatus(t, e.call(t, "POST", "/v1/cases/"+phone.ID+"/messages", e.hanna, map[string]any{"body": "Vi ringer dig i veckan."}), http.StatusCreated)
	wantStatus(t, e.call(t, "POST", "/v1/cases/"+none.ID+"/withdraw", anna.Token, map[string]string{"reason": "Löst"}), http.StatusOK)
	e.clock.Advance(45 * time.Hour) // Wednesday 07:00
	e.setStatus(t, e.hanna, phone.ID, "resolved", "note", "Beviljat", "visible_to_citizen", true)
	e.clock.Advance(24 * time.Hour) // Thursday: the video case waited past its two days
	_ = video

	june := url.Values{"agency_id": {exempelby}, "from": {"2026-06-01"}, "to": {"2026-06-30"}}

	t.Run("per_category_and_channel", func(t *testing.T) {
		st := e.caseStatistics(t, e.adminA(t), june)
		if st.AgencyID != exempelby || st.TimeZone != "Europe/Stockholm" || len(st.Groups) != 3 || len(st.GroupBy) != 2 {
			t.Fatalf("statistics = %+v", st)
		}
		for i, mode := range []string{`"phone"`, `"video"`, `null`} {
			if string(st.raw[i]["mode"]) != mode || string(st.raw[i]["category_id"]) != `"`+e.permitCat+`"` {
				t.Fatalf("group %d: %s %s", i, st.raw[i]["category_id"], st.raw[i]["mode"])
			}
		}
		if string(st.raw[0]["category_name"]) != `{"sv":"Bygglov och marklov","en":"Building and land permits"}` {
			t.Fatalf("name = %s", st.raw[0]["category_name"])
		}
		p, v, n := st.Groups[0], st.Groups[1], st.Groups[2]
		if p.Submitted != 1 || p.Resolved != 1 || num(p.FirstContact.Median) != 3 || num(p.FirstContact.P90) != 3 ||
			num(p.Resolution.Median) != 48 || p.FirstContactDeadline.Met != 1 || p.ResolutionDeadline.Met != 1 ||
			num(p.ResolutionDeadline.Share) != 1 {
			t.Fatalf("phone = %+v", p)
		}
		if v.Submitted != 1 || v.Open != 1 || v.FirstContact.Count != 0 || v.FirstContact.Median != nil ||
			v.FirstContactDeadline.Missed != 1 || num(v.FirstContactDeadline.Share) != 0 || v.ResolutionDeadline.Share != nil {
			t.Fatalf("video = %+v", v)
		}
		if n.Submitted != 1 || n.Withdrawn != 1 || n.FirstContactDeadline.Met+n.FirstContactDeadline.Missed != 0 {
			t.Fatalf("no preference = %+v", n)
		}
		tot := st.Totals
		if tot.Submitted != 3 || tot.Resolved != 1 || tot.Open != 1 || tot.Withdrawn != 1 || num(tot.FirstContactDeadline.Share) != 0.5 {
			t.Fatalf("totals = %+v", tot)
		}
	})

	t.Run("grouped_by_mode_and_an_empty_range", func(t *testing.T) {
		st := e.caseStatistics(t, e.hanna, url.Values{"from": {"2026-06-01"}, "to": {"2026-06-01"}, "group_by": {"mode"}})
		if len(st.Groups) != 3 || st.AgencyID != exempelby {
			t.Fatalf("by mode = %+v", st)
		}
		if _, ok := st.raw[0]["category_id"]; ok {
			t.Fatal("a category without group_by=category")
		}
		empty := e.caseStatistics(t, e.hanna, url.Values{"from": {"2026-06-02"}, "to": {"2026-06-30"}})
		if len(empty.Groups) != 0 || empty.raw == nil || empty.Totals.Submitted != 0 || empty.Totals.FirstContact.Median != nil {
			t.Fatalf("2–30 June = %+v", empty)
		}
	})

	t.Run("who_may_read_them", func(t *testing.T) {
		r := e.call(t, "POST", "/v1/clients", e.adminB(t), map[string]any{"agency_id": vardcentral, "name": "Journalsystem", "scopes": []string{core.ScopeStatisticsRead}})
		wantStatus(t, r, http.StatusCreated)
		var clientB struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		decode(t, r, &clientB)
		path := "/v1/statistics/cases?" + june.Encode()
		for _, tc := range []struct {
			name   string
			token  string
			status int
		}{
			{"anonymous", "", http.StatusUnauthorized},
			{"a citizen", anna.Token, http.StatusForbidden},
			{"another agency's admin", e.adminB(t), http.StatusForbidden},
			{"another agency's caseworker", e.sara(t), http.StatusForbidden},
			{"a client without statistics:read", e.newClient(t, core.ScopeCasesRead), http.StatusForbidden},
			{"another agency's client with statistics:read", e.clientToken(t, clientB.ClientID, clientB.ClientSecret), http.StatusForbidden},
			{"the agency admin", e.adminA(t), http.StatusOK},
			{"a caseworker of the agency", e.hanna, http.StatusOK},
			{"a client with statistics:read", e.newClient(t, core.ScopeStatisticsRead), http.StatusOK},
			{"a system admin", e.sysadmin(t), http.StatusOK},
		} {
			r := e.call(t, "GET", path, tc.token, nil)
			if tc.status == http.StatusOK {
				wantStatus(t, r, http.StatusOK)
				continue
			}
			wantProblem(t, r, tc.status)
		}
		wantProblem(t, e.call(t, "GET", "/v1/statistics/cases?from=2026-06-01&to=2026-06-30", e.sysadmin(t), nil), http.StatusBadRequest, "agency_id")
		wantProblem(t, e.call(t, "GET", "/v1/statistics/cases?from=2026-06-01&to=2026-06-30&agency_id="+core.NewID(), e.sysadmin(t), nil), http.StatusNotFound)
	})

	t.Run("bad_input_names_the_parameter", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			field string
		}{
			{"from=2026-06-30&to=2026-06-01", "to"},
			{"from=2026-01-01&to=2027-01-02", "to"},
			{"from=1.6.2026&to=2026-06-30", "from"},
			{"from=2026-06-01&to=2026-02-30", "to"},
			{"from=2026-06-01", "to"},
			{"from=2026-06-01&to=2026-06-30&group_by=priority", "group_by"},
			{"from=2026-06-01&to=2026-06-30&agency_id=exempelby", "agency_id"},
		} {
			wantProblem(t, e.call(t, "GET", "/v1/statistics/cases?"+tc.query, e.adminA(t), nil), http.StatusBadRequest, tc.field)
		}
	})
}

func TestCaseStatistics(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		caseStatisticsCountCasesAsTheyWent(t, e)
	})
}
