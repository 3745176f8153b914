package booking

import (
	"encoding/base64"
	"encoding/json"

	"github.com/tidbok/tidbok/core"
)

// Cursor marks the last row of a page of a list sorted by name, then id.
// It travels to clients base64-encoded and opaque.
type Cursor struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == "" }

// Encode gives the opaque form handed to clients.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor a client sent back; empty means the start.
func DecodeCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := core.Invalid("cursor", "is not a cursor this server handed out")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || !core.ValidID(c.ID) {
		return Cursor{}, bad
	}
	return c, nil
}

func encodeOpaque(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeOpaque(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
