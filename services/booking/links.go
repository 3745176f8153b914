package booking

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tidbok/tidbok/core"
)

// A manage link lets the citizen of one appointment see it, move it or
// cancel it from the invitation, without signing in. The token is
//
//	base64url( 0x01 | appointment id (16) | citizen id (16) | expiry (8, Unix seconds, big endian) | HMAC-SHA256 (32) )
//
// keyed with a secret the booking store generates once and shares with
// every replica. It grants nothing but what the citizen may do with that one
// appointment, and only until the appointment ends.

// ManageLinkSecrets gives the manage links their secret: the same for every
// process, kept across restarts. db/bookingstore implements it.
type ManageLinkSecrets interface {
	ManageLinkSecret(ctx context.Context) ([]byte, error)
}

// ManageLinkSecretSize is the size of the secret the store generates.
const ManageLinkSecretSize = 32

const (
	linkVersion    = 1
	linkPayloadLen = 1 + 16 + 16 + 8
	linkTokenLen   = linkPayloadLen + sha256.Size
)

// Errors of Verify. Both are ErrNotFound underneath: a link that cannot be
// honoured shows nothing, whatever the reason.
var (
	ErrLinkInvalid = fmt.Errorf("this link is not one Tidbok handed out: %w", core.ErrNotFound)
	ErrLinkExpired = fmt.Errorf("this link has expired: %w", core.ErrNotFound)
)

// ManageClaims is what a verified manage link says.
type ManageClaims struct {
	AppointmentID string
	CitizenID     string
	Expires       time.Time
}

// ManageLinks mints and verifies manage-link tokens.
type ManageLinks struct {
	signKey []byte // for the tokens
	formKey []byte // for the form tokens bound to them
}

// NewManageLinks builds the signer from the shared secret. Separate keys
// for tokens and forms are derived from it, so neither MAC can stand in for
// the other.
func NewManageLinks(secret []byte) (*ManageLinks, error) {
	if len(secret) < ManageLinkSecretSize {
		return nil, fmt.Errorf("manage link secret: %d bytes, need at least %d", len(secret), ManageLinkSecretSize)
	}
	return &ManageLinks{signKey: derive(secret, "tidbok manage link v1"), formKey: derive(secret, "tidbok manage link form v1")}, nil
}

// LoadManageLinks reads (or has the store create) the shared secret.
func LoadManageLinks(ctx context.Context, src ManageLinkSecrets) (*ManageLinks, error) {
	secret, err := src.ManageLinkSecret(ctx)
	if err != nil {
		return nil, fmt.Errorf("manage link secret: %w", err)
	}
	return NewManageLinks(secret)
}

func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func (l *ManageLinks) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, l.signKey)
	m.Write(payload)
	return m.Sum(nil)
}

// Mint returns the token for appointment a, valid until the meeting ends.
func (l *ManageLinks) Mint(a Appointment) (string, error) {
	return l.MintClaims(ManageClaims{AppointmentID: a.ID, CitizenID: a.CitizenID, Expires: a.End})
}

// MintClaims returns the token for c.
func (l *ManageLinks) MintClaims(c ManageClaims) (string, error) {
	aid, err1 := uuid.Parse(c.AppointmentID)
	cid, err2 := uuid.Parse(c.CitizenID)
	if err1 != nil || err2 != nil || c.Expires.IsZero() {
		return "", core.Invalid("appointment", "a manage link needs the appointment's id, citizen and end")
	}
	buf := make([]byte, linkPayloadLen, linkTokenLen)
	buf[0] = linkVersion
	copy(buf[1:17], aid[:])
	copy(buf[17:33], cid[:])
	binary.BigEndian.PutUint64(buf[33:41], uint64(c.Expires.Unix()))
	buf = append(buf, l.mac(buf)...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Verify checks the token's signature in constant time, then its expiry.
func (l *ManageLinks) Verify(token string, now time.Time) (ManageClaims, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(linkTokenLen) {
		return ManageClaims{}, ErrLinkInvalid
	}
	// Strict: the last character carries four unused bits, and a token
	// differing only in those must not pass as the same token.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != linkTokenLen || raw[0] != linkVersion {
		return ManageClaims{}, ErrLinkInvalid
	}
	payload, sum := raw[:linkPayloadLen], raw[linkPayloadLen:]
	if !hmac.Equal(sum, l.mac(payload)) {
		return ManageClaims{}, ErrLinkInvalid
	}
	aid, _ := uuid.FromBytes(payload[1:17])
	cid, _ := uuid.FromBytes(payload[17:33])
	c := ManageClaims{AppointmentID: aid.String(), CitizenID: cid.String(),
		Expires: time.Unix(int64(binary.BigEndian.Uint64(payload[33:41])), 0).UTC()}
	if !now.Before(c.Expires) {
		return c, ErrLinkExpired
	}
	return c, nil
}

// FormToken is the anti-forgery value of the forms behind token: a page
// that did not come from this server with the link cannot know it.
func (l *ManageLinks) FormToken(token string) string {
	m := hmac.New(sha256.New, l.formKey)
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckFormToken compares a submitted form token with token's, in constant time.
func (l *ManageLinks) CheckFormToken(token, submitted string) bool {
	return hmac.Equal([]byte(l.FormToken(token)), []byte(submitted))
}

// IsLinkExpired reports whether err is an expired, but genuine, link.
func IsLinkExpired(err error) bool { return errors.Is(err, ErrLinkExpired) }
