package httpkit_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/transport/httpkit"
)

type address struct {
	Street string `json:"street"`
	Floor  *int   `json:"floor"`
}

type embedded struct {
	Note string `json:"note"`
}

// request has the shapes request types here have: scalars, pointers, a
// time, a nested object, a list of objects, a map and an embedded struct.
type request struct {
	embedded
	Name    string            `json:"name"`
	Count   int               `json:"count"`
	Ratio   float64           `json:"ratio"`
	Active  *bool             `json:"active"`
	Start   time.Time         `json:"start"`
	Address address           `json:"address"`
	Slots   []address         `json:"slots"`
	Labels  map[string]string `json:"labels"`
	Extra   any               `json:"extra"`
	Grid    [][]int           `json:"grid"`
	Small   uint8             `json:"small"`
	Secret  string            `json:"-"`
}

func decode(t *testing.T, body string, contentType string) (request, error) {
	t.Helper()
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	var v request
	err := httpkit.DecodeJSONBody(r, &v)
	return v, err
}

func TestDecodeJSONBodyAccepts(t *testing.T) {
	v, err := decode(t, `{"name":"Anna","count":3,"ratio":0.5,"active":true,"start":"2026-05-04T09:00:00+02:00",
		"address":{"street":"Storgatan 1","floor":2},"slots":[{"street":"A"}],"labels":{"colour":"red"},
		"extra":{"anything":[1,{"goes":true}]},"note":"hej","NAME":"Anna"}`, "application/json; charset=utf-8")
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "Anna" || v.Count != 3 || *v.Address.Floor != 2 || v.Labels["colour"] != "red" || v.Note != "hej" ||
		!v.Start.Equal(time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("decoded %+v", v)
	}
}

func TestDecodeJSONBodyRefuses(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		field  string
		detail string // part of the message
	}{
		// An unknown field is named by its path, wherever it is.
		{"unknown top-level field", `{"name":"Anna","colour":"red"}`, "colour", "is not a field of this request"},
		{"unknown field in an object", `{"address":{"street":"A","colour":"red"}}`, "address.colour", "is not a field of this request"},
		{"unknown field in a list item", `{"slots":[{"street":"A"},{"door":"B"}]}`, "slots[1].door", "is not a field of this request"},
		{"the first unknown field in document order", `{"zeta":1,"alpha":2}`, "zeta", "is not a field of this request"},
		{"a field left out of JSON on purpose", `{"Secret":"x"}`, "Secret", "is not a field of this request"},
		{"an empty key", `{"":1}`, `""`, "is not a field of this request"},
		{"unknown field after a map", `{"labels":{"any":"key"},"tags":[]}`, "tags", "is not a field of this request"},
		// A wrong type names the field and what it must be.
		{"number for a string", `{"name":42}`, "name", "must be a string"},
		{"string for a number", `{"count":"3"}`, "count", "must be a whole number"},
		{"fraction for a whole number", `{"count":1.5}`, "count", "must be a whole number"},
		{"string for a float", `{"ratio":"x"}`, "ratio", "must be a number"},
		{"string for a boolean", `{"active":"yes"}`, "active", "must be true or false"},
		{"array for an object", `{"address":[]}`, "address", "must be an object"},
		{"object for a list", `{"slots":{}}`, "slots", "must be an array"},
		{"wrong type in a nested object", `{"address":{"floor":"two"}}`, "address.floor", "must be a whole number"},
		{"wrong type in a list item", `{"slots":[{"street":"A"},{"street":1}]}`, "slots[1].street", "must be a string"},
		{"wrong type in a nested list", `{"grid":[[1,2],[3,"4"]]}`, "grid[1][1]", "must be a whole number"},
		{"a number too large", `{"small":300}`, "small", "must be a whole number in range"},
		{"wrong type in a map value", `{"labels":{"colour":1}}`, "labels.colour", "must be a string"},
		{"a time that is not one", `{"start":"tomorrow"}`, "start", "must be a date and time in RFC 3339 form"},
		{"a number for a time", `{"start":12}`, "start", "must be a date and time in RFC 3339 form"},
		// The body as a whole.
		{"an array for the body", `["name"]`, "body", "must be an object"},
		{"a string for the body", `"name"`, "body", "must be an object"},
		{"syntax error", `{"name": "Anna",, }`, "body", "is not valid JSON: invalid character ',' looking for beginning of object key string at byte 17"},
		{"not JSON at all", `name=Anna`, "body", "is not valid JSON: invalid character 'a' in literal null (expecting 'u') at byte 2"},
		{"cut off", `{"name": "An`, "body", "ends before the JSON value does"},
		{"empty", ``, "body", "is empty"},
		{"only white space", " \n ", "body", "is empty"},
		{"two values", `{} {}`, "body", "must hold a single JSON value"},
		{"trailing garbage", `{}x`, "body", "must hold a single JSON value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(t, tc.body, "application/json")
			var ve *core.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 {
				t.Fatalf("got %v, want one field error", err)
			}
			if ve.Fields[0].Field != tc.field || !strings.Contains(ve.Fields[0].Message, tc.detail) {
				t.Fatalf("got %+v, want field %q with %q", ve.Fields[0], tc.field, tc.detail)
			}
			if httpkit.StatusOf(err) != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", httpkit.StatusOf(err))
			}
		})
	}
}

func TestDecodeJSONBodyTransportProblems(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		limit       int64
		status      int
	}{
		{"no content type", `{}`, "", 0, http.StatusUnsupportedMediaType},
		{"a form", `name=Anna`, "application/x-www-form-urlencoded", 0, http.StatusUnsupportedMediaType},
		{"too large", `{"name":"` + strings.Repeat("a", 100) + `"}`, "application/json", 50, http.StatusRequestEntityTooLarge},
		{"too large after the value", `{}` + strings.Repeat(" ", 100), "application/json", 50, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.limit > 0 {
				r.Body = http.MaxBytesReader(rec, r.Body, tc.limit)
			}
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			var v request
			err := httpkit.DecodeJSONBody(r, &v)
			if got := httpkit.StatusOf(err); got != tc.status {
				t.Fatalf("got %d (%v), want %d", got, err, tc.status)
			}
		})
	}
}

// The problem document carries the field error in the shape every other
// validation error has.
func TestDecodeJSONBodyProblem(t *testing.T) {
	_, err := decode(t, `{"colour":"red"}`, "application/json")
	p := httpkit.ProblemFor(t.Context(), err)
	want := []core.FieldError{{Field: "colour", Message: "is not a field of this request"}}
	if p.Status != 400 || p.Type != httpkit.ProblemTypePrefix+"invalid-input" || !reflect.DeepEqual(p.Errors, want) {
		t.Fatalf("problem %+v", p)
	}
}

// The decoder never panics and answers every body with either a value or a
// 400-class problem.
func FuzzDecodeJSONBody(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"name":"Anna","count":3}`, `{"colour":"red"}`, `{"address":{"colour":1}}`,
		`{"slots":[{"street":1},{"x":2}]}`, `{"start":"2026-05-04T09:00:00Z"}`, `{"start":"x"}`,
		`{"labels":{"a":{"b":[]}}}`, `{"extra":[[[[{}]]]]}`, `[`, `{"name":`, `{} {}`, ``, `null`,
		`{"count":1e400}`, `{"NAME":"a","Name":"b"}`, "{\"name\":\"\xff\"}", `{"note":"x","embedded":{}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Body = http.MaxBytesReader(rec, r.Body, 4096)
		r.Header.Set("Content-Type", "application/json")
		var v request
		err := httpkit.DecodeJSONBody(r, &v)
		if err == nil {
			return
		}
		if s := httpkit.StatusOf(err); s < 400 || s > 499 {
			t.Fatalf("body %q: status %d for %v", body, s, err)
		}
		var ve *core.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Fields {
				if fe.Field == "" || fe.Message == "" {
					t.Fatalf("body %q: empty field error %+v", body, fe)
				}
			}
		}
	})
}
