package auth

import (
	"testing"

	"github.com/tidbok/tidbok/transport/httpkit"
)

// error_description may hold only %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §5.2).
func TestErrorDescriptionCharacters(t *testing.T) {
	tests := []struct {
		name string
		p    httpkit.Problem
		want string
	}{
		{"plain detail", httpkit.Problem{Title: "Invalid input", Detail: "scope: is not granted"}, "scope: is not granted"},
		{"quotes become apostrophes", httpkit.Problem{Detail: `scope: "x" is not granted`}, `scope: 'x' is not granted`},
		{"backslash, control and non-ASCII characters", httpkit.Problem{Detail: "a\\b\nc\tdåe"}, "a?b?c?d?e"},
		{"no detail: the title", httpkit.Problem{Title: "Inloggning krävs"}, "Inloggning kr?vs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := description(&tc.p); got != tc.want {
				t.Fatalf("description = %q, want %q", got, tc.want)
			}
		})
	}
}
