package intakeapi_test

import (
	"strings"
	"testing"

	"github.com/tidbok/tidbok/core"
)

func badInputIsRefusedWithTheFieldsNamed(t *testing.T, e *env) {
	anna := e.signInCitizen(t, "anna@example.se")
	c := e.submit(t, anna.Token, submitBody(exempelby, e.permitCat, "Bygglov för bastu"))
	valid := func(extra ...any) map[string]any { return submitBody(exempelby, e.permitCat, "Bygglov", extra...) }
	without := func(keys ...string) map[string]any {
		b := valid()
		for _, k := range keys {
			delete(b, k)
		}
		return b
	}
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		body   any
		status int
		fields []string
		detail string // a word the detail must carry
	}{
		{"malformed_json", anna.Token, "POST", "/v1/cases", `{"subject": "Bygglov",`, 400, []string{"body"}, ""},
		{"not_an_object", anna.Token, "POST", "/v1/cases", `["subject"]`, 400, []string{"body"}, ""},
		{"two_values", anna.Token, "POST", "/v1/cases", `{} {}`, 400, []string{"body"}, ""},
		{"wrong_type", anna.Token, "POST", "/v1/cases", `{"subject": 7}`, 400, []string{"subject"}, ""},
		{"unknown_field", anna.Token, "POST", "/v1/cases", valid("urgency", "high"), 400, []string{"urgency"}, "is not a field of this request"},
		{"missing_subject_and_description", anna.Token, "POST", "/v1/cases", without("subject", "description"), 400, []string{"subject", "description"}, ""},
		{"blank_subject", anna.Token, "POST", "/v1/cases", valid("subject", "   "), 400, []string{"subject"}, ""},
		{"every_bad_field_at_once", anna.Token, "POST", "/v1/cases",
			valid("subject", strings.Repeat("x", 201), "preferred_modes", []string{"pigeon"}, "contact_preference", "fax", "language", "fi"),
			400, []string{"subject", "preferred_modes[0]", "contact_preference", "language"}, ""},
		{"category_not_a_uuid", anna.Token, "POST", "/v1/cases", valid("category_id", "bygglov"), 400, []string{"category_id"}, ""},
		{"agency_not_a_uuid", anna.Token, "POST", "/v1/cases", valid("agency_id", "exempelby"), 400, []string{"agency_id"}, ""},
		{"unknown_category", anna.Token, "POST", "/v1/cases", valid("category_id", core.NewID()), 404, nil, "category"},
		{"unknown_agency", anna.Token, "POST", "/v1/cases", valid("agency_id", core.NewID()), 404, nil, ""},
		{"category_of_another_agency", anna.Token, "POST", "/v1/cases", valid("category_id", e.careCat), 400, []string{"category_id"}, ""},
		{"priority_by_a_citizen", anna.Token, "POST", "/v1/cases", valid("priority", "urgent"), 400, []string{"priority"}, ""},
		{"unknown_priority_by_staff", e.hanna, "POST", "/v1/cases", valid("priority", "asap", "citizen", map[string]string{"id": anna.ID}), 400, []string{"priority"}, ""},
		{"staff_without_a_citizen", e.hanna, "POST", "/v1/cases", valid(), 400, []string{"citizen"}, ""},
		{"staff_with_a_bad_personal_number", e.hanna, "POST", "/v1/cases", valid("citizen", map[string]string{"personal_identity_number": "19811218-9875"}), 400, []string{"citizen.personal_identity_number"}, ""},
		{"needs_a_personal_number", anna.Token, "POST", "/v1/cases", submitBody(exempelby, e.socialCat, "Bistånd"), 400, []string{"personal_identity_number"}, ""},
		{"not_json", anna.Token, "POST", "/v1/cases", nil, 415, nil, ""},
		{"no_token", "", "POST", "/v1/cases", valid(), 401, nil, ""},

		{"case_id_not_a_uuid", e.hanna, "GET", "/v1/cases/EXB-2026-000001", nil, 400, []string{"id"}, ""},
		{"unknown_case", e.hanna, "GET", "/v1/cases/" + core.NewID(), nil, 404, nil, ""},
		{"unknown_status", e.hanna, "POST", "/v1/cases/" + c.ID + "/status", map[string]any{"status": "done"}, 400, []string{"status"}, ""},
		{"status_malformed", e.hanna, "POST", "/v1/cases/" + c.ID + "/status", `{"status":`, 400, []string{"body"}, ""},
		{"status_unknown_field", e.hanna, "POST", "/v1/cases/" + c.ID + "/status", map[string]any{"status": "triaged", "visible": true}, 400, []string{"visible"}, "is not a field of this request"},
		{"note_too_long", e.hanna, "POST", "/v1/cases/" + c.ID + "/status", map[string]any{"status": "triaged", "note": strings.Repeat("x", 4001)}, 400, []string{"note"}, ""},
		{"stale_if_match", e.hanna, "POST", "/v1/cases/" + c.ID + "/status", map[string]any{"status": "triaged"}, 412, nil, ""},
		{"assign_not_a_uuid", e.hanna, "POST", "/v1/cases/" + c.ID + "/assign", map[string]any{"staff_id": "hanna"}, 400, []string{"staff_id"}, ""},
		{"assign_unknown_staff", e.hanna, "POST", "/v1/cases/" + c.ID + "/assign", map[string]any{"staff_id": core.NewID()}, 400, []string{"staff_id"}, ""},
		{"unknown_priority", e.hanna, "POST", "/v1/cases/" + c.ID + "/priority", map[string]any{"priority": "asap"}, 400, []string{"priority"}, ""},
		{"empty_message", anna.Token, "POST", "/v1/cases/" + c.ID + "/messages", map[string]any{"body": "  "}, 400, []string{"body"}, ""},
		{"internal_note_by_a_citizen", anna.Token, "POST", "/v1/cases/" + c.ID + "/messages", map[string]any{"body": "Hej", "internal": true}, 400, []string{"internal"}, ""},
		{"withdraw_reason_too_long", anna.Token, "POST", "/v1/cases/" + c.ID + "/withdraw", map[string]any{"reason": strings.Repeat("x", 2001)}, 400, []string{"reason"}, ""},

		{"list_unknown_status", e.hanna, "GET", "/v1/cases?status=done", nil, 400, []string{"status"}, ""},
		{"list_bad_assignee", e.hanna, "GET", "/v1/cases?assignee=hanna", nil, 400, []string{"assignee"}, ""},
		{"list_bad_category", e.hanna, "GET", "/v1/cases?category=bygglov", nil, 400, []string{"category"}, ""},
		{"list_bad_overdue", e.hanna, "GET", "/v1/cases?overdue=maybe", nil, 400, []string{"overdue"}, ""},
		{"list_limit_too_large", e.hanna, "GET", "/v1/cases?limit=201", nil, 400, []string{"limit"}, ""},
		{"list_limit_zero", e.hanna, "GET", "/v1/cases?limit=0", nil, 400, []string{"limit"}, ""},
		{"list_forged_cursor", e.hanna, "GET", "/v1/cases?cursor=eyJkIjoxfQ", nil, 400, []string{"cursor"}, ""},
		{"list_q_too_long", e.hanna, "GET", "/v1/cases?q=" + strings.Repeat("a", 101), nil, 400, []string{"q"}, ""},

		{"category_every_bad_field", e.adminA(t), "POST", "/v1/agencies/" + exempelby + "/case-categories",
			map[string]any{"name": map[string]string{"sv": ""}, "meeting_type_ids": []string{"x", core.NewID()}, "first_contact_days": 30, "resolution_days": 7},
			400, []string{"name.sv", "name.en", "meeting_type_ids[0]", "resolution_days"}, ""},
		{"category_routed_to_another_agencys_type", e.adminA(t), "POST", "/v1/agencies/" + exempelby + "/case-categories",
			map[string]any{"name": map[string]string{"sv": "A", "en": "A"}, "meeting_type_ids": []string{doctorType}, "first_contact_days": 1, "resolution_days": 7},
			400, []string{"meeting_type_ids[0]"}, ""},
		{"category_by_a_caseworker", e.hanna, "POST", "/v1/agencies/" + exempelby + "/case-categories",
			map[string]any{"name": map[string]string{"sv": "A", "en": "A"}, "first_contact_days": 1, "resolution_days": 7}, 403, nil, ""},
		{"categories_of_an_unknown_agency", "", "GET", "/v1/agencies/" + core.NewID() + "/case-categories", nil, 404, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header []string
			if tt.name == "stale_if_match" {
				header = []string{"If-Match", `"99"`}
			}
			if tt.name == "not_json" {
				header = []string{"Content-Type", "text/plain"}
				tt.body = "subject=Bygglov"
			}
			casesBefore := e.count(t, `SELECT count(*) FROM intake_cases`)
			before := e.written(t, c.ID)
			r := e.call(t, tt.method, tt.path, tt.token, tt.body, header...)
			p := wantProblem(t, r, tt.status, tt.fields...)
			if tt.detail != "" && !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("detail %q does not mention %q", p.Detail, tt.detail)
			}
			if after := e.written(t, c.ID); !after.equal(before) || e.count(t, `SELECT count(*) FROM intake_cases`) != casesBefore {
				t.Fatal("a refused request wrote")
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		badInputIsRefusedWithTheFieldsNamed(t, e)
	})
}
