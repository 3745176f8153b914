package auth

import (
	"context"
	"time"
)

// Repository is the storage auth needs; db/authstore implements it. Methods
// that must be atomic say so: the store makes them one transaction.
type Repository interface {
	CreateCitizen(ctx context.Context, c Citizen, sealedPIN []byte, pinLookup string) error
	UpdateCitizen(ctx context.Context, c Citizen, sealedPIN []byte, pinLookup string) error
	Citizen(ctx context.Context, id string) (Citizen, []byte, error)
	CitizenByEmail(ctx context.Context, email string) (Citizen, []byte, error)
	CitizenByPhone(ctx context.Context, phone string) (Citizen, []byte, error)
	CitizenByPINLookup(ctx context.Context, lookup string) (Citizen, []byte, error)

	// IdentityOwner returns the kind ("citizen" or "staff") and id of the
	// account linked to issuer and subject, or ErrNotFound.
	IdentityOwner(ctx context.Context, issuer, subject string) (kind, id string, err error)
	LinkIdentity(ctx context.Context, issuer, subject, kind, id string, at time.Time) error

	CreateStaff(ctx context.Context, s Staff, sealedTOTP []byte) error
	UpdateStaff(ctx context.Context, s Staff, sealedTOTP []byte) error
	// UseTOTPStep records that staff account id used the authenticator code
	// of step, and reports false when that step or a later one was used
	// already. It decides atomically, so of two concurrent uses one wins.
	UseTOTPStep(ctx context.Context, id string, step int64) (bool, error)
	Staff(ctx context.Context, id string) (Staff, []byte, error)
	StaffByEmail(ctx context.Context, email string) (Staff, []byte, error)
	ListStaff(ctx context.Context, agencyID string) ([]Staff, error)

	CreateClient(ctx context.Context, c Client) error
	Client(ctx context.Context, id string) (Client, error)
	ListClients(ctx context.Context, agencyID string) ([]Client, error)
	RevokeClient(ctx context.Context, id string, at time.Time) error

	// Service clients are Tidbok's own processes; they have no agency.
	CreateServiceClient(ctx context.Context, c Client) error
	ServiceClient(ctx context.Context, id string) (Client, error)
	RevokeServiceClient(ctx context.Context, id string, at time.Time) error

	CreateChallenge(ctx context.Context, c Challenge) error
	CountChallengesSince(ctx context.Context, destination string, since time.Time) (int, error)
	// AttemptChallenge counts one verification attempt and returns the
	// challenge as it is after counting, atomically.
	AttemptChallenge(ctx context.Context, id string) (Challenge, error)
	// ConsumeChallenge marks the challenge used; ErrConflict if it already was.
	ConsumeChallenge(ctx context.Context, id string, at time.Time) error

	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RotateRefreshToken atomically marks the token with hash rotated and
	// stores next in its family. A token rotated before is reuse: the whole
	// family is revoked (and stays revoked) and ErrRefreshReuse returned.
	RotateRefreshToken(ctx context.Context, hash string, next RefreshToken, at time.Time) (RefreshToken, error)
	// RevokeRefreshFamily revokes the family the token with hash belongs to.
	RevokeRefreshFamily(ctx context.Context, hash string, at time.Time) (RefreshToken, error)
	RevokeSubjectRefreshTokens(ctx context.Context, kind, id string, at time.Time) error

	SigningKeys(ctx context.Context) ([]StoredKey, error)
	// AddSigningKey stores k and retires every key still active, atomically.
	AddSigningKey(ctx context.Context, k StoredKey) error

	Throttles(ctx context.Context, keys ...string) ([]Throttle, error)
	// RecordFailure adds one failure to key and sets its lock from the new
	// count with lockFor, atomically; it returns the new state. A failure
	// more than ThrottleWindow after the previous one counts from 1 again.
	RecordFailure(ctx context.Context, key string, at time.Time, lockFor func(failures int) time.Duration) (Throttle, error)
	ClearThrottle(ctx context.Context, key string) error

	AppendAudit(ctx context.Context, e AuditEntry) error
	ListAudit(ctx context.Context, q AuditQuery, after AuditCursor, limit int) ([]AuditEntry, error)
}

// AuditCursor marks the last entry of a page of the audit log.
type AuditCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// ThrottleWindow is how long failed sign-ins are remembered after the last.
const ThrottleWindow = 24 * time.Hour
