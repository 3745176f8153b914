// Package core holds the few things every Tidbok service shares: error kinds,
// field validation errors, identifiers and the clock. Keep it small; anything
// that belongs to one service lives in that service's package.
package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Error kinds. Services wrap them with context (fmt.Errorf("agency %s: %w", id,
// core.ErrNotFound)); transports map them to status codes with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrInvalid         = errors.New("invalid input")
	ErrConflict        = errors.New("conflict")
	ErrForbidden       = errors.New("forbidden")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrPrecondition    = errors.New("precondition failed")
	ErrRateLimited     = errors.New("rate limited")
	// ErrUnavailable marks a transient failure (a busy database, a serialization
	// failure, a remote service that is down): the caller may retry.
	ErrUnavailable = errors.New("temporarily unavailable")
)

// FieldError names one input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError carries every failing field of one input, so a client can
// show them all at once. It is an ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for validation errors.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Validator collects field errors; Err returns nil when there are none.
type Validator struct {
	fields []FieldError
}

// Check records message for field when ok is false.
func (v *Validator) Check(ok bool, field, message string) {
	if !ok {
		v.Add(field, message)
	}
}

// Add records a field error.
func (v *Validator) Add(field, message string) {
	v.fields = append(v.fields, FieldError{Field: field, Message: message})
}

// Err returns a *ValidationError with every recorded field, or nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: v.fields}
}

// CheckChoices records a problem on field for each of given that is not one
// of known, or that is named twice.
func CheckChoices[T ~string](v *Validator, field string, given, known []T) {
	names := make([]string, len(known))
	for i, k := range known {
		names[i] = string(k)
	}
	hint := strings.Join(names, ", ")
	if n := len(names); n > 1 {
		hint = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	for i, g := range given {
		if !slices.Contains(known, g) {
			v.Add(field, fmt.Sprintf("%q is not a dimension; use %s", g, hint))
		} else if slices.Contains(given[:i], g) {
			v.Add(field, fmt.Sprintf("%q is named twice", g))
		}
	}
}

// Invalid is a shorthand for a validation error on one field.
func Invalid(field, message string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}

// RetryAfterError is an ErrRateLimited (or ErrUnavailable) that knows when
// trying again makes sense; transports send it as Retry-After.
type RetryAfterError struct {
	Kind  error // ErrRateLimited or ErrUnavailable
	Wait  time.Duration
	Cause string
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("%s: try again in %d s", e.Cause, int(e.Wait.Seconds()+0.999))
}

// Unwrap makes errors.Is(err, e.Kind) true.
func (e *RetryAfterError) Unwrap() error { return e.Kind }
