package auth

import (
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/pin"
)

// Citizen is a person who signs in to book meetings and follow cases.
type Citizen struct {
	ID          string
	Email       string // lower case; empty when unknown
	Phone       string // E.164; empty when unknown
	Name        string
	Language    string // sv or en
	PIN         pin.Number
	NotifyEmail bool
	NotifySMS   bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Staff is a caseworker or administrator.
type Staff struct {
	ID           string
	Email        string
	Name         string
	Role         core.Role
	AgencyID     string // empty for system admins
	PasswordHash string
	TOTPSecret   string // base32; set once enrolment begins
	TOTPEnabled  bool
	Disabled     bool
	Language     string // sv or en: the language of their messages; sv unless an admin says otherwise
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Client is an agency system that signs in with OAuth2 client credentials.
type Client struct {
	ID         string // the client_id
	AgencyID   string
	Name       string
	SecretHash string
	Scopes     []string
	CreatedBy  string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// Challenge is a one-time sign-in code sent to a citizen.
type Challenge struct {
	ID          string
	Channel     string // email or sms
	Destination string
	Language    string
	CodeHash    string
	Attempts    int
	ExpiresAt   time.Time
	ConsumedAt  *time.Time
	CreatedAt   time.Time
}

// RefreshToken is the stored form of an opaque refresh token. Tokens of one
// sign-in form a family; rotation links them.
type RefreshToken struct {
	ID          string
	FamilyID    string
	TokenHash   string
	SubjectKind core.PrincipalKind
	SubjectID   string
	ExpiresAt   time.Time
	CreatedAt   time.Time
	RotatedAt   *time.Time
	RevokedAt   *time.Time
}

// StoredKey is a signing key as kept in the database: the private half sealed.
type StoredKey struct {
	KID           string
	SealedPrivate []byte
	Public        []byte
	CreatedAt     time.Time
	RetiredAt     *time.Time
}

// Throttle counts failed sign-ins for one key (an account or a client address).
type Throttle struct {
	Key         string
	Failures    int
	LockedUntil *time.Time
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID         string
	At         time.Time
	ActorKind  string // citizen, staff, client, anonymous, system
	ActorID    string
	AgencyID   string
	Action     string // e.g. auth.login, auth.login_failed, citizen.read_pin
	TargetKind string
	TargetID   string
	Outcome    string // success, failure, denied
	ClientIP   string
	RequestID  string
	Detail     string // never a secret, code, token or full personal identity number
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	Action     string
	ActorID    string
	TargetKind string
	TargetID   string
	From, To   time.Time
	Limit      int
	Cursor     string
}

// AuditPage is one page of audit entries, oldest first.
type AuditPage struct {
	Entries    []AuditEntry
	NextCursor string
}

// CodeChallenge is the answer to a request for a one-time code: the id to
// verify the code against and how long the code is valid (Config.CodeTTL).
type CodeChallenge struct {
	ID        string
	ExpiresIn time.Duration
}

// Tokens answer a successful sign-in.
type Tokens struct {
	AccessToken  string
	TokenType    string // Bearer
	ExpiresIn    time.Duration
	RefreshToken string // empty for clients
	Scope        string
	Principal    core.Principal
}

// Me is the caller as GET /v1/me shows them.
type Me struct {
	Principal core.Principal
	Citizen   *Citizen
	Staff     *Staff
	Client    *Client
	// RevealedPIN is the full personal identity number, set only when its
	// owner asked for it.
	RevealedPIN string
}

// ExternalIdentity is what an OpenID provider vouched for.
type ExternalIdentity struct {
	Issuer                 string
	Subject                string
	Email                  string
	EmailVerified          bool
	Name                   string
	PersonalIdentityNumber string
}

// TOTPEnrolment is what a staff member scans into an authenticator app.
type TOTPEnrolment struct {
	Secret string
	URL    string // otpauth://
}
