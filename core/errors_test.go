package core

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestValidationErrorIsInvalidEvenWhenWrapped(t *testing.T) {
	var v Validator
	v.Check(false, "name", "is required")
	v.Check(true, "ignored", "never recorded")
	v.Add("kind", "is unknown")
	err := fmt.Errorf("create agency: %w", v.Err())
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 || ve.Fields[1].Field != "kind" {
		t.Fatalf("fields not carried: %#v", ve)
	}
	var empty Validator
	if empty.Err() != nil {
		t.Fatal("a validator without errors must return nil")
	}
}

func TestIDs(t *testing.T) {
	id := NewID()
	if !ValidID(id) {
		t.Fatalf("NewID() = %q is not valid", id)
	}
	for _, bad := range []string{"", "42", "not-a-uuid", "{" + id + "}", id + "0"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
	if StableID("a") != StableID("a") || StableID("a") == StableID("b") {
		t.Fatal("StableID must be a function of its name")
	}
}

func TestCheckChoices(t *testing.T) {
	type dim string
	known := []dim{"category", "mode"}
	for _, tc := range []struct {
		given []dim
		want  []string
	}{
		{nil, nil},
		{[]dim{"mode", "category"}, nil},
		{[]dim{"colour"}, []string{`"colour" is not a dimension; use category or mode`}},
		{[]dim{"mode", "mode"}, []string{`"mode" is named twice`}},
	} {
		var v Validator
		CheckChoices(&v, "group_by", tc.given, known)
		var got []string
		if err := v.Err(); err != nil {
			for _, f := range err.(*ValidationError).Fields {
				if f.Field != "group_by" {
					t.Fatalf("field %q, want group_by", f.Field)
				}
				got = append(got, f.Message)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("CheckChoices(%v) = %q, want %q", tc.given, got, tc.want)
		}
	}
}
