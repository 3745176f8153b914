package httpkit

// List is the envelope of every list the API answers: the items and, when
// more follow, the cursor that fetches them.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Map converts a slice, as transports do from domain values to JSON shapes.
func Map[A, B any](in []A, f func(A) B) []B {
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}
