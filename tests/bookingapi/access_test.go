package bookingapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

// Every denial, and that nothing changed after it.
func TestAccessToAppointments(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		bo := e.signInCitizen(t, "bo@example.se")
		annas := e.book(t, anna.Token, e.bookBody(at(3, 9, 0), "video"))
		bos := e.book(t, bo.Token, e.bookBody(at(3, 10, 0), "video"))
		readOnlyID, readOnlySecret := e.newClient(t, core.ScopeAppointmentsRead)
		readOnly := e.clientToken(t, readOnlyID, readOnlySecret)
		noReadID, noReadSecret := e.newClient(t, core.ScopeAvailabilityRead, core.ScopeAppointmentsWrite)
		noRead := e.clientToken(t, noReadID, noReadSecret)
		path := "/v1/appointments/" + annas.ID
		move := map[string]string{"start": at(4, 9, 0).Format(time.RFC3339)}
		reason := map[string]string{"reason": "Test"}

		cases := []struct {
			name   string
			method string
			path   string
			token  string
			body   any
			status int
		}{
			{"citizen B cannot read A's appointment", "GET", path, bo.Token, nil, http.StatusNotFound},
			{"citizen B cannot read A's calendar file", "GET", path + "/ical", bo.Token, nil, http.StatusNotFound},
			{"citizen B cannot cancel A's appointment", "POST", path + "/cancel", bo.Token, nil, http.StatusNotFound},
			{"citizen B cannot move A's appointment", "POST", path + "/reschedule", bo.Token, move, http.StatusNotFound},
			{"citizen B cannot mark A's arrival", "POST", path + "/arrive", bo.Token, nil, http.StatusNotFound},
			{"staff of agency B cannot read A's appointment", "GET", path, e.adminB, nil, http.StatusNotFound},
			{"staff of agency B cannot cancel A's appointment", "POST", path + "/cancel", e.adminB, reason, http.StatusNotFound},
			{"staff of agency B cannot move A's appointment", "POST", path + "/reschedule", e.adminB, move, http.StatusNotFound},
			{"staff of agency B cannot complete A's appointment", "POST", path + "/complete", e.adminB, nil, http.StatusNotFound},
			{"staff of agency B cannot list agency A's appointments", "GET", "/v1/appointments?agency_id=" + e.agencyA, e.adminB, nil, http.StatusForbidden},
			{"staff of agency B cannot book agency A's meeting type", "POST", "/v1/appointments", e.adminB,
				e.bookBody(at(4, 11, 0), "video", "citizen", map[string]any{"personal_identity_number": personalNumber(1)}), http.StatusForbidden},
			{"a client without appointments:read cannot list", "GET", "/v1/appointments", noRead, nil, http.StatusForbidden},
			{"a client without appointments:read cannot read one", "GET", path, noRead, nil, http.StatusNotFound},
			{"a client without appointments:write cannot book", "POST", "/v1/appointments", readOnly,
				e.bookBody(at(4, 11, 0), "video", "citizen", map[string]any{"personal_identity_number": personalNumber(2)}), http.StatusForbidden},
			{"a client without appointments:write cannot cancel", "POST", path + "/cancel", readOnly, reason, http.StatusNotFound},
			{"a client without appointments:write cannot hold", "POST", "/v1/availability/holds", readOnly,
				map[string]any{"meeting_type_id": e.meetingType, "mode": "video", "start": at(4, 11, 0).Format(time.RFC3339)}, http.StatusForbidden},
			{"a citizen cannot mark their own arrival", "POST", path + "/arrive", anna.Token, nil, http.StatusForbidden},
			{"a citizen cannot book for someone else", "POST", "/v1/appointments", anna.Token,
				e.bookBody(at(4, 11, 0), "video", "citizen", map[string]any{"id": bo.ID}), http.StatusForbidden},
			{"nobody signed in cannot book", "POST", "/v1/appointments", "", e.bookBody(at(4, 11, 0), "video"), http.StatusUnauthorized},
			{"nobody signed in cannot list", "GET", "/v1/appointments", "", nil, http.StatusUnauthorized},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := e.rowCounts(t)
				wantProblem(t, e.call(t, tc.method, tc.path, tc.token, tc.body), tc.status)
				if after := e.rowCounts(t); !mapsEqual(before, after) {
					t.Fatalf("rows before %v, after %v", before, after)
				}
			})
		}

		t.Run("A's appointment is unchanged after every denial", func(t *testing.T) {
			got := wantAppointment(t, e.call(t, "GET", path, anna.Token, nil), http.StatusOK)
			if got.Status != "booked" || got.Version != 1 || !got.startTime(t).Equal(at(3, 9, 0)) {
				t.Fatalf("appointment = %+v", got)
			}
		})

		t.Run("each citizen lists only their own", func(t *testing.T) {
			for _, c := range []struct {
				who  citizen
				want string
			}{{anna, annas.ID}, {bo, bos.ID}} {
				var page struct {
					Items []appointment `json:"items"`
				}
				r := e.call(t, "GET", "/v1/appointments?agency_id="+e.agencyB, c.who.Token, nil)
				wantStatus(t, r, http.StatusOK)
				decode(t, r, &page)
				if len(page.Items) != 1 || page.Items[0].ID != c.want {
					t.Fatalf("%s lists %+v", c.who.Email, page.Items)
				}
			}
		})

		t.Run("staff and a client with appointments:read list the agency's", func(t *testing.T) {
			for _, token := range []string{e.workerA, readOnly} {
				var page struct {
					Items []appointment `json:"items"`
				}
				r := e.call(t, "GET", "/v1/appointments", token, nil)
				wantStatus(t, r, http.StatusOK)
				decode(t, r, &page)
				if len(page.Items) != 2 {
					t.Fatalf("listed %d, want both", len(page.Items))
				}
			}
		})
	})
}

// Input that can never be booked is a 4xx problem naming the field,
// and nothing is written — not even the citizen record staff would create.
func TestBadInputWritesNothing(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		anna := e.signInCitizen(t, "anna@example.se")
		phoneOnly := e.newMeetingType(t, map[string]any{"modes": []string{"phone"}})
		newCitizen := map[string]any{"personal_identity_number": personalNumber(40), "email": "new@example.se"}
		cases := []struct {
			name   string
			token  string
			body   any
			status int
			field  string
		}{
			{"a start off the slot grid", anna.Token, e.bookBody(at(3, 9, 10), "video"), 400, "start"},
			{"a start outside working hours", e.workerA, e.bookBody(at(3, 18, 0), "video", "citizen", newCitizen), 400, "start"},
			{"a start off the grid, booked by staff for a new citizen", e.workerA, e.bookBody(at(3, 9, 10), "video", "citizen", newCitizen), 400, "start"},
			{"a start in the past", anna.Token, e.bookBody(at(1, 6, 0), "video"), 400, "start"},
			{"a start inside the minimum notice", anna.Token, e.bookBody(at(1, 8, 30), "video"), 400, "start"},
			{"a start beyond the horizon", anna.Token, e.bookBody(start.AddDate(0, 0, 61), "video"), 400, "start"},
			{"a start that is not a time", anna.Token, e.bookBody(at(3, 9, 0), "video", "start", "tomorrow at nine"), 400, "start"},
			{"no start", anna.Token, map[string]any{"meeting_type_id": e.meetingType, "mode": "video"}, 400, "start"},
			{"a mode the meeting type does not offer", anna.Token,
				map[string]any{"meeting_type_id": phoneOnly, "mode": "video", "start": at(3, 9, 0).Format(time.RFC3339)}, 400, "mode"},
			{"a mode that does not exist", anna.Token, e.bookBody(at(3, 9, 0), "carrier_pigeon"), 400, "mode"},
			{"a malformed meeting type id", anna.Token, e.bookBody(at(3, 9, 0), "video", "meeting_type_id", "42"), 400, "meeting_type_id"},
			{"a hold that does not exist", anna.Token, e.bookBody(at(3, 9, 0), "video", "hold_id", core.NewID()), 400, "hold_id"},
			{"a phone meeting without a number, for a new citizen without one", e.workerA,
				e.bookBody(at(3, 9, 0), "phone", "citizen", map[string]any{"personal_identity_number": personalNumber(41)}), 400, "phone_number"},
			{"a phone number that is not one", e.workerA,
				e.bookBody(at(3, 9, 0), "phone", "citizen", newCitizen, "phone", map[string]string{"number": "call me"}), 400, "phone_number"},
			{"an unknown accessibility need", anna.Token, e.bookBody(at(3, 9, 0), "video", "accessibility", []string{"jetpack"}), 400, "accessibility[0]"},
			{"a citizen choosing the staff member", anna.Token, e.bookBody(at(3, 9, 0), "video", "staff_id", e.staff[0]), 400, "staff_id"},
			{"a personal identity number that is not one", e.workerA,
				e.bookBody(at(3, 9, 0), "video", "citizen", map[string]any{"personal_identity_number": "19800101-0000"}), 400, "citizen.personal_identity_number"},
			{"malformed JSON", anna.Token, `{"meeting_type_id": "` + e.meetingType + `", "mode": `, 400, "body"},
			{"two JSON values", anna.Token, `{} {}`, 400, "body"},
			{"an unknown field", anna.Token, `{"meeting_type_id": "` + e.meetingType + `", "mode": "video", "start": "` +
				at(3, 9, 0).Format(time.RFC3339) + `", "colour": "red"}`, 400, "colour"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := e.rowCounts(t)
				p := wantProblem(t, e.call(t, "POST", "/v1/appointments", tc.token, tc.body), tc.status, tc.field)
				if tc.name == "an unknown field" && (len(p.Errors) != 1 || p.Errors[0].Message != "is not a field of this request") {
					t.Fatalf("the problem does not name the unknown field: %+v", p)
				}
				if after := e.rowCounts(t); !mapsEqual(before, after) {
					t.Fatalf("rows before %v, after %v", before, after)
				}
			})
		}

		t.Run("a body that is not JSON is 415", func(t *testing.T) {
			before := e.rowCounts(t)
			r := e.call(t, "POST", "/v1/appointments", anna.Token, nil)
			wantProblem(t, r, http.StatusUnsupportedMediaType)
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
		})

		t.Run("holds and reschedules refuse the same times", func(t *testing.T) {
			a := e.book(t, anna.Token, e.bookBody(at(3, 9, 0), "video"))
			before := e.rowCounts(t)
			for _, bad := range []time.Time{at(3, 9, 10), at(1, 6, 0), at(1, 8, 30), start.AddDate(0, 0, 61)} {
				wantProblem(t, e.call(t, "POST", "/v1/availability/holds", anna.Token,
					map[string]any{"meeting_type_id": e.meetingType, "mode": "video", "start": bad.Format(time.RFC3339)}), 400, "start")
				wantProblem(t, e.call(t, "POST", "/v1/appointments/"+a.ID+"/reschedule", anna.Token,
					map[string]any{"start": bad.Format(time.RFC3339)}), 400, "start")
			}
			wantProblem(t, e.call(t, "POST", "/v1/availability/holds", anna.Token,
				map[string]any{"meeting_type_id": phoneOnly, "mode": "video", "start": at(3, 9, 0).Format(time.RFC3339)}), 400, "mode")
			wantProblem(t, e.call(t, "POST", "/v1/appointments/"+a.ID+"/reschedule", anna.Token,
				map[string]any{"start": at(4, 9, 0).Format(time.RFC3339), "staff_id": e.staff[0]}), 400, "staff_id")
			if after := e.rowCounts(t); !mapsEqual(before, after) {
				t.Fatalf("rows before %v, after %v", before, after)
			}
		})
	})
}

// A slot shown is a slot the caller can book: the times of a meeting type
// only the agency books are shown to the agency's staff and systems alone.
func TestAvailabilityOfAMeetingTypeOnlyTheAgencyBooks(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		internal := e.newMeetingType(t, map[string]any{"citizen_bookable": false})
		e.newStaffMember(t, "Ida Intern", internal)
		anna := e.signInCitizen(t, "anna@example.se")
		bookerID, bookerSecret := e.newClient(t, core.ScopeAppointmentsWrite)
		booker := e.clientToken(t, bookerID, bookerSecret)
		window := "&from=" + urlTime(at(2, 0, 0)) + "&to=" + urlTime(at(9, 0, 0))
		for _, path := range []string{"/v1/availability", "/v1/availability/days"} {
			q := path + "?meeting_type_id=" + internal + "&mode=phone" + window
			t.Run(path+" refuses anonymous callers and citizens", func(t *testing.T) {
				for _, token := range []string{"", anna.Token} {
					p := wantProblem(t, e.call(t, "GET", q, token, nil), http.StatusForbidden)
					if !strings.Contains(p.Detail, "agency books this meeting type") {
						t.Fatalf("403 does not say why: %+v", p)
					}
				}
			})
			t.Run(path+" answers the agency's staff and booking systems", func(t *testing.T) {
				for _, token := range []string{e.workerA, booker} {
					r := e.call(t, "GET", q, token, nil)
					wantStatus(t, r, http.StatusOK)
					var res struct {
						Items []json.RawMessage `json:"items"`
						Days  []string          `json:"days"`
					}
					decode(t, r, &res)
					if len(res.Items)+len(res.Days) == 0 {
						t.Fatalf("no free times for the agency: %s", r.Body)
					}
				}
			})
		}
	})
}
