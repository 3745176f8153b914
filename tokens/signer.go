package tokens

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tidbok/tidbok/core"
)

// DefaultTTL is the lifetime of an access token when Issue is given none.
// Short, because an access token cannot be revoked before it expires.
const DefaultTTL = 15 * time.Minute

// TokenType is the JOSE typ of an access token (RFC 9068 section 2.1). It
// keeps an ID token or any other JWT signed by the same key from passing as
// an access token.
const TokenType = "at+jwt"

// Algorithm is the only JOSE alg Tidbok signs with and accepts.
const Algorithm = "EdDSA"

// claims is the payload of an access token.
type claims struct {
	jwt.RegisteredClaims
	Kind     string `json:"kind"`
	Role     string `json:"role,omitempty"`
	AgencyID string `json:"agency_id,omitempty"`
	Scope    string `json:"scope,omitempty"` // space-separated, as in OAuth2
}

// Signer issues access tokens with one private key. It is safe for
// concurrent use.
type Signer struct {
	key    ed25519.PrivateKey
	kid    string
	issuer string
}

// NewSigner returns a Signer that signs with key, names it kid in every
// token header, and names issuer as the tokens' iss.
func NewSigner(key ed25519.PrivateKey, kid, issuer string) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("tokens: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	// A private key is seed || public key; a mismatched half would sign
	// tokens that no verifier holding the published key accepts.
	derived := ed25519.NewKeyFromSeed(key.Seed())
	if subtle.ConstantTimeCompare(derived, key) != 1 {
		return nil, errors.New("tokens: private key's public half does not match its seed")
	}
	if kid == "" {
		return nil, errors.New("tokens: key id is empty")
	}
	if issuer == "" {
		return nil, errors.New("tokens: issuer is empty")
	}
	return &Signer{key: key, kid: kid, issuer: issuer}, nil
}

// PublicKey returns the key verifiers need for this signer's tokens, without
// an end of validity.
func (s *Signer) PublicKey() Key {
	return Key{KID: s.kid, Public: s.key.Public().(ed25519.PublicKey)}
}

// Issue returns an access token for p, meant for audience, valid from now for
// ttl (DefaultTTL when ttl is 0), and the moment it expires. It refuses a
// principal that Verify would refuse, so a bad token fails where it is made.
func (s *Signer) Issue(p core.Principal, audience string, ttl time.Duration, now time.Time) (token string, expiresAt time.Time, err error) {
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < 0 {
		return "", time.Time{}, fmt.Errorf("tokens: negative lifetime %s", ttl)
	}
	if audience == "" {
		return "", time.Time{}, errors.New("tokens: audience is empty")
	}
	if err := checkPrincipal(p); err != nil {
		return "", time.Time{}, fmt.Errorf("tokens: cannot issue: %w", err)
	}
	for _, sc := range p.Scopes {
		// A scope with a space in it would come back as two scopes.
		if sc == "" || strings.ContainsFunc(sc, unicode.IsSpace) {
			return "", time.Time{}, fmt.Errorf("tokens: cannot issue: scope %q is empty or has a space", sc)
		}
	}
	// NumericDate has whole seconds: report the expiry the token carries.
	now = now.UTC().Truncate(time.Second)
	expiresAt = now.Add(ttl).Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.issuer,
			Subject:   p.Subject,
			Audience:  jwt.ClaimStrings{audience},
			ExpiresAt: jwt.NewNumericDate(expiresAt),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		Kind:     string(p.Kind),
		Role:     string(p.Role),
		AgencyID: p.AgencyID,
		Scope:    strings.Join(p.Scopes, " "),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["typ"] = TokenType
	t.Header["kid"] = s.kid
	token, err = t.SignedString(s.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("tokens: signing: %w", err)
	}
	return token, expiresAt, nil
}

// checkPrincipal returns the reason p cannot be in a token, or nil. Issue and
// Verify share it, so the two sides agree on what a principal may look like.
func checkPrincipal(p core.Principal) error {
	if p.Subject == "" {
		return errSubject
	}
	switch p.Kind {
	case core.KindCitizen:
		if p.Role != "" || p.AgencyID != "" || len(p.Scopes) > 0 {
			return errPrincipal
		}
	case core.KindStaff:
		if !p.Role.Valid() {
			return errRole
		}
		// Caseworkers and agency admins act for one agency; only a system
		// admin may be without one.
		if (p.AgencyID == "" && p.Role != core.RoleSystemAdmin) || len(p.Scopes) > 0 {
			return errPrincipal
		}
	case core.KindClient:
		if p.Role != "" || p.AgencyID == "" {
			return errPrincipal
		}
	case core.KindService:
		// Another Tidbok process: no agency, no role, only service scopes.
		if p.Role != "" || p.AgencyID != "" || len(p.Scopes) == 0 {
			return errPrincipal
		}
		for _, sc := range p.Scopes {
			if !slices.Contains(core.ServiceScopes, sc) {
				return errPrincipal
			}
		}
	default:
		return errKind
	}
	return nil
}
