package bookingapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/dbtest"
)

type bringText struct {
	SV string `json:"sv"`
	EN string `json:"en"`
}

type meetingTypeBring struct {
	ID          string    `json:"id"`
	WhatToBring bringText `json:"what_to_bring"`
}

// publicBring reads what the public list of agency A's meeting types says
// each one's citizens bring, by id.
func (e *apptEnv) publicBring(t *testing.T) map[string]bringText {
	t.Helper()
	r := e.call(t, "GET", "/v1/agencies/"+e.agencyA+"/meeting-types", "", nil)
	wantStatus(t, r, http.StatusOK)
	var list struct {
		Items []meetingTypeBring `json:"items"`
	}
	decode(t, r, &list)
	out := map[string]bringText{}
	for _, mt := range list.Items {
		out[mt.ID] = mt.WhatToBring
	}
	return out
}

func TestMeetingTypesSayWhatToBring(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		base := func(bring any) map[string]any {
			b := map[string]any{"name": map[string]string{"sv": "Bygglov", "en": "Building permit"}, "duration_minutes": 30,
				"modes": []string{"in_person"}}
			if bring != nil {
				b["what_to_bring"] = bring
			}
			return b
		}
		permit := bringText{SV: "Ritningar och\nfastighetsbeteckning", EN: "Drawings and the property designation"}

		t.Run("an agency admin sets it and the public reads it back", func(t *testing.T) {
			r := e.call(t, "POST", "/v1/agencies/"+e.agencyA+"/meeting-types", e.adminA, base(permit))
			var created meetingTypeBring
			wantStatus(t, r, http.StatusCreated)
			decode(t, r, &created)
			if created.WhatToBring != permit {
				t.Fatalf("created what_to_bring = %+v, want %+v", created.WhatToBring, permit)
			}
			if got := e.publicBring(t)[created.ID]; got != permit {
				t.Fatalf("public what_to_bring = %+v, want %+v", got, permit)
			}

			// A change replaces it; English only is allowed.
			only := bringText{EN: "ID"}
			r = e.call(t, "PUT", "/v1/agencies/"+e.agencyA+"/meeting-types/"+created.ID, e.adminA, base(only))
			wantStatus(t, r, http.StatusOK)
			if got := e.publicBring(t)[created.ID]; got != only {
				t.Fatalf("after the change, public what_to_bring = %+v, want %+v", got, only)
			}
			// Left out, it is empty, like the description.
			wantStatus(t, e.call(t, "PUT", "/v1/agencies/"+e.agencyA+"/meeting-types/"+created.ID, e.adminA, base(nil)), http.StatusOK)
			if got := e.publicBring(t)[created.ID]; got != (bringText{}) {
				t.Fatalf("left out, what_to_bring = %+v, want empty", got)
			}
		})

		t.Run("a client with directory:write sets it; a meeting type without it reads empty", func(t *testing.T) {
			id := wantCreated(t, e.call(t, "POST", "/v1/agencies/"+e.agencyA+"/meeting-types", e.client,
				base(map[string]string{"sv": strings.Repeat("å", 1000)})))
			if got := e.publicBring(t)[id]; got.SV != strings.Repeat("å", 1000) || got.EN != "" {
				t.Fatalf("1000 characters did not come back: %d, %q", len([]rune(got.SV)), got.EN)
			}
			if got, ok := e.publicBring(t)[e.meetingType]; !ok || got != (bringText{}) {
				t.Fatalf("the meeting type made without it: %+v, %v", got, ok)
			}
		})

		t.Run("bad texts are problems naming the field and change nothing", func(t *testing.T) {
			cases := []struct {
				name   string
				bring  any
				fields []string
			}{
				{"too long in Swedish", map[string]string{"sv": strings.Repeat("x", 1001)}, []string{"what_to_bring.sv"}},
				{"too long in English", map[string]string{"en": strings.Repeat("x", 1001)}, []string{"what_to_bring.en"}},
				{"a control character", map[string]string{"sv": "Legitimation\u0007", "en": "ID\r\n"}, []string{"what_to_bring.sv", "what_to_bring.en"}},
				{"not an object", "Legitimation", []string{"what_to_bring"}},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := e.publicBring(t)
					p := wantProblem(t, e.call(t, "POST", "/v1/agencies/"+e.agencyA+"/meeting-types", e.adminA, base(tc.bring)),
						http.StatusBadRequest, tc.fields...)
					for _, f := range tc.fields {
						if !p.Names(f) {
							t.Fatalf("problem does not name %s: %+v", f, p)
						}
					}
					pu := wantProblem(t, e.call(t, "PUT", "/v1/agencies/"+e.agencyA+"/meeting-types/"+e.meetingType, e.adminA, base(tc.bring)),
						http.StatusBadRequest, tc.fields...)
					if !pu.Names(tc.fields[0]) {
						t.Fatalf("PUT problem does not name %s: %+v", tc.fields[0], pu)
					}
					if after := e.publicBring(t); len(after) != len(before) || after[e.meetingType] != before[e.meetingType] {
						t.Fatalf("meeting types before %v, after %v", before, after)
					}
				})
			}
		})

		t.Run("only the agency's own admins may set it", func(t *testing.T) {
			for name, token := range map[string]string{"a caseworker": e.workerA, "another agency's admin": e.adminB} {
				r := e.call(t, "PUT", "/v1/agencies/"+e.agencyA+"/meeting-types/"+e.meetingType, token, base(permit))
				if !slices.Contains([]int{http.StatusForbidden, http.StatusNotFound}, r.Status) {
					t.Fatalf("%s: status %d, want 403 or 404: %s", name, r.Status, r.Body)
				}
			}
			if got := e.publicBring(t)[e.meetingType]; got != (bringText{}) {
				t.Fatalf("a denied change went through: %+v", got)
			}
		})
	})
}
