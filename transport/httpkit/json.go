package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

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
// content type, unknown fields, trailing data and bodies over MaxBodyBytes,
// each with a message that says what to fix.
func DecodeJSONBody(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return fmt.Errorf("%w: send the body as application/json", errMediaType)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return core.Invalid("body", "must hold a single JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var maxBytes *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxBytes):
		return fmt.Errorf("%w: at most %d bytes", errBodyTooLarge, maxBytes.Limit)
	case errors.As(err, &syntax):
		return core.Invalid("body", fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return core.Invalid(field, "must be a JSON "+typeErr.Type.String())
	case errors.Is(err, io.EOF):
		return core.Invalid("body", "is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return core.Invalid("body", "ends before the JSON value does")
	default:
		// json reports unknown fields as `json: unknown field "x"`.
		return core.Invalid("body", err.Error())
	}
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

// PathID reads a path parameter that must be an identifier.
func PathID(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	if !core.ValidID(id) {
		return "", core.Invalid(name, "must be a UUID")
	}
	return id, nil
}
