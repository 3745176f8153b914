package httpkit

import (
	"bytes"
	"cmp"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tidbok/tidbok/core"
)

// Failer is implemented by endpoint responses that carry a business error:
// it travels in the response, and the encoder answers with its problem.
type Failer interface {
	Failed() error
}

// EncodeJSON is the go-kit response encoder of every JSON endpoint.
func EncodeJSON(ctx context.Context, w http.ResponseWriter, response any) error {
	if f, ok := response.(Failer); ok && f.Failed() != nil {
		WriteError(ctx, w, f.Failed())
		return nil
	}
	return WriteJSON(w, http.StatusOK, response)
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// DecodeJSONBody reads a JSON request body into dst. It refuses another
// content type, unknown fields, wrong types, trailing data and bodies over
// MaxBodyBytes, each with a message that says what to fix: a problem with a
// field names that field by its JSON path ("address.street"), the body as a
// whole is "body".
func DecodeJSONBody(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w: send the body as application/json", errMediaType)
	}
	if r.Body == nil || r.Body == http.NoBody {
		return core.Invalid("body", "is empty; send a JSON object")
	}
	// The bytes read are kept so that a failure the decoder reports without
	// a path (an unknown field, a value its own type refuses) can be found.
	var seen bytes.Buffer
	dec := json.NewDecoder(io.TeeReader(r.Body, &seen))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, seen.Bytes(), reflect.TypeOf(dst))
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return fmt.Errorf("%w: at most %d bytes", errBodyTooLarge, maxBytes.Limit)
		}
		return core.Invalid("body", "must hold a single JSON value")
	}
	return nil
}

// unknownFieldPrefix starts encoding/json's error for a field dst lacks.
const unknownFieldPrefix = "json: unknown field "

func jsonError(err error, data []byte, t reflect.Type) error {
	var maxBytes *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxBytes):
		return fmt.Errorf("%w: at most %d bytes", errBodyTooLarge, maxBytes.Limit)
	case errors.As(err, &syntax):
		return core.Invalid("body", fmt.Sprintf("is not valid JSON: %s at byte %d", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset))
	case errors.As(err, &typeErr):
		field := cmp.Or(typeErr.Field, "body")
		// encoding/json names a list item by the list: find which item.
		if fe, ok := findProblem(data, t); ok {
			if p := withoutIndices(fe.Field); p == field || strings.HasPrefix(p, field+".") {
				field = fe.Field
			}
		}
		return core.Invalid(field, "must be "+jsonKind(typeErr.Type))
	case errors.Is(err, io.EOF):
		return core.Invalid("body", "is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return core.Invalid("body", "is not valid JSON: it ends before the JSON value does")
	}
	if fe, ok := findProblem(data, t); ok {
		return &core.ValidationError{Fields: []core.FieldError{fe}}
	}
	if name, ok := strings.CutPrefix(err.Error(), unknownFieldPrefix); ok {
		if n, err := strconv.Unquote(name); err == nil {
			name = n
		}
		return core.Invalid(join("", name), notAField)
	}
	return core.Invalid("body", err.Error())
}

const notAField = "is not a field of this request"

// jsonKind names, in JSON's words, what a value of t must be.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	if t == reflect.TypeFor[time.Time]() {
		return timeMessage
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a JSON value"
}

const timeMessage = "a date and time in RFC 3339 form, e.g. 2026-05-04T09:00:00+02:00"

// findProblem walks data along the type t decoded it into, in document
// order, and names the first field t does not have, value of the wrong JSON
// type, or value whose own decoding (time.Time's, say) refuses it, by its
// JSON path with list items indexed as the domain's field errors have them.
func findProblem(data []byte, t reflect.Type) (core.FieldError, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var fe core.FieldError
	found, err := walk(dec, t, "", &fe)
	return fe, err == nil && found
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func join(path, name string) string {
	if name == "" {
		name = `""` // a key may be empty; the field name may not
	}
	if path == "" {
		return name
	}
	return path + "." + name
}

// walk reads one value from dec as t would hold it; it reports true when
// the value holds a problem, described in fe.
func walk(dec *json.Decoder, t reflect.Type, path string, fe *core.FieldError) (bool, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return false, err
		}
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			fe.Field = cmp.Or(path, "body")
			fe.Message = "must be " + jsonKind(t)
			if t != reflect.TypeFor[time.Time]() {
				fe.Message = "is not valid: " + err.Error()
			}
			return true, nil
		}
		return false, nil
	}
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	if t == nil || t.Kind() == reflect.Interface {
		return false, skipRest(dec, tok)
	}
	if !fits(tok, t) {
		fe.Field, fe.Message = cmp.Or(path, "body"), "must be "+jsonKind(t)
		return true, nil
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return false, err
			}
			key, _ := kt.(string)
			var ft reflect.Type
			switch t.Kind() {
			case reflect.Struct:
				var ok bool
				if ft, ok = fieldType(t, key); !ok {
					fe.Field, fe.Message = join(path, key), notAField
					return true, nil
				}
			case reflect.Map:
				ft = t.Elem()
			}
			if found, err := walk(dec, ft, join(path, key), fe); found || err != nil {
				return found, err
			}
		}
		_, err = dec.Token()
		return false, err
	case json.Delim('['):
		var et reflect.Type
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			et = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			// Items are named as the domain's field errors name them: slots[2].
			if found, err := walk(dec, et, path+"["+strconv.Itoa(i)+"]", fe); found || err != nil {
				return found, err
			}
		}
		_, err = dec.Token()
		return false, err
	}
	return false, nil
}

// fits reports whether a value starting with tok can go into t.
func fits(tok json.Token, t reflect.Type) bool {
	k := t.Kind()
	switch v := tok.(type) {
	case nil:
		return true
	case json.Delim:
		return v == '{' && (k == reflect.Struct || k == reflect.Map) ||
			v == '[' && (k == reflect.Slice || k == reflect.Array)
	case string:
		return k == reflect.String || k == reflect.Slice && t.Elem().Kind() == reflect.Uint8
	case bool:
		return k == reflect.Bool
	case json.Number:
		switch k {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(v.String(), 10, 64)
			return err == nil && !reflect.New(t).Elem().OverflowInt(n)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			n, err := strconv.ParseUint(v.String(), 10, 64)
			return err == nil && !reflect.New(t).Elem().OverflowUint(n)
		case reflect.Float32, reflect.Float64:
			n, err := strconv.ParseFloat(v.String(), 64)
			return err == nil && !reflect.New(t).Elem().OverflowFloat(n)
		}
	}
	return false
}

// withoutIndices is path as encoding/json names it: slots[2].start is
// slots.start.
func withoutIndices(path string) string {
	var b strings.Builder
	in := false
	for _, r := range path {
		switch {
		case r == '[':
			in = true
		case r == ']':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// skipRest consumes the rest of a value whose first token was tok.
func skipRest(dec *json.Decoder, tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// fieldType finds the field of struct t that JSON key names, as
// encoding/json matches it: by tag or name, exactly or ignoring case,
// through embedded structs.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	var folded reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if ft, ok := fieldType(et, key); ok {
					return ft, true
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f.Type, true
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = f.Type
		}
	}
	return folded, folded != nil
}

// PageParams reads the limit and cursor query parameters of a list.
func PageParams(r *http.Request) (limit int, cursor string, err error) {
	q, err := Query(r)
	if err != nil {
		return 0, "", err
	}
	if s := q.Get("limit"); s != "" {
		limit, err = strconv.Atoi(s)
		if err != nil || limit < 1 {
			return 0, "", core.Invalid("limit", "must be a positive whole number")
		}
	}
	return limit, q.Get("cursor"), nil
}

// Query parses the query string, refusing a malformed one rather than
// silently dropping the parameters it cannot read.
func Query(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, core.Invalid("query", "is malformed: "+err.Error())
	}
	return q, nil
}

// Rounded is x to the given decimals, as a JSON number that may be null
// elsewhere.
func Rounded(x float64, decimals int) *float64 {
	p := math.Pow(10, float64(decimals))
	x = math.Round(x*p) / p
	return &x
}

// QueryList reads a list parameter given either comma-separated or
// repeated (group_by=a,b or group_by=a&group_by=b), skipping empty items.
func QueryList(q url.Values, name string) []string {
	var out []string
	for _, list := range q[name] {
		for _, item := range strings.Split(list, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// PathID reads a path parameter that must be an identifier.
func PathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !core.ValidID(id) {
		return "", core.Invalid(name, "must be a UUID")
	}
	return id, nil
}
