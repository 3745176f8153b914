package core

import (
	"errors"
	"fmt"
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
