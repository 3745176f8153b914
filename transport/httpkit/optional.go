package httpkit

import "encoding/json"

// Optional is a JSON field that is left out when not set (tag it
// `omitzero`) and may be null when set: statistics leave out the
// dimensions not grouped by, and show null for a group without one.
type Optional[T any] struct {
	set bool
	v   *T
}

// Some returns a set field holding v, or null when null is true.
func Some[T any](v T, null bool) Optional[T] {
	if null {
		return Optional[T]{set: true}
	}
	return Optional[T]{set: true, v: &v}
}

// IsZero reports whether the field is not set, for omitzero.
func (o Optional[T]) IsZero() bool { return !o.set }

// MarshalJSON writes the value, or null.
func (o Optional[T]) MarshalJSON() ([]byte, error) { return json.Marshal(o.v) }
