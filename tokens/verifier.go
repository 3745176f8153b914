package tokens

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/tidbok/tidbok/core"
)

// DefaultLeeway absorbs clock skew between the issuing and verifying hosts.
const DefaultLeeway = 30 * time.Second

// MaxTokenBytes bounds the tokens Verify looks at; ours are well under 1 KiB,
// and a bound keeps a huge header from costing a JSON decode.
const MaxTokenBytes = 8 << 10

// Reasons for refusing a token. Each is wrapped together with
// core.ErrUnauthenticated; none repeats anything from the token.
var (
	errMalformed    = errors.New("malformed access token")
	errAlgorithm    = errors.New("signing algorithm not allowed")
	errType         = errors.New("not an access token (typ)")
	errHeader       = errors.New("forbidden header parameter")
	errKeyID        = errors.New("missing key id")
	errSignature    = errors.New("invalid signature")
	errExpired      = errors.New("access token expired")
	errNotYetValid  = errors.New("access token not yet valid")
	errAudience     = errors.New("access token not meant for this service")
	errIssuer       = errors.New("unknown issuer")
	errMissingClaim = errors.New("missing required claim")
	errSubject      = errors.New("missing subject")
	errKind         = errors.New("unknown principal kind")
	errRole         = errors.New("unknown staff role")
	errPrincipal    = errors.New("principal claims do not fit its kind")
)

func refuse(reason error) error {
	return fmt.Errorf("%w: %w", core.ErrUnauthenticated, reason)
}

// forbiddenHeaders name keys or key locations chosen by whoever made the
// token; following them lets anyone sign. crit names extensions we do not
// implement, which RFC 7515 section 4.1.11 says to refuse.
var forbiddenHeaders = []string{"jwk", "jku", "x5u", "x5c", "crit"}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	Issuer    string        // the iss every token must carry
	Audiences []string      // a token must name at least one of these in aud
	Keys      KeySource     // where the public key a kid names comes from
	Clock     core.Clock    // default core.SystemClock
	Leeway    time.Duration // allowed clock skew; 0 means DefaultLeeway
}

// Verifier checks access tokens and returns the principal they carry. It is
// safe for concurrent use.
type Verifier struct {
	parser *jwt.Parser
	keys   KeySource
}

// NewVerifier returns a Verifier for cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("tokens: verifier needs an issuer")
	}
	if len(cfg.Audiences) == 0 || cfg.Keys == nil {
		return nil, errors.New("tokens: verifier needs audiences and a key source")
	}
	for _, a := range cfg.Audiences {
		if a == "" {
			return nil, errors.New("tokens: empty audience")
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = core.SystemClock{}
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audiences...),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Clock.Now),
		// Without it, the spare low bits of a segment's last base64 character
		// are ignored, and several different strings carry one signature.
		jwt.WithStrictDecoding(),
	)
	return &Verifier{parser: parser, keys: cfg.Keys}, nil
}

// Verify checks token (the compact JWT, without "Bearer ") and returns its
// principal, with TokenID set to the token's jti.
func (v *Verifier) Verify(ctx context.Context, token string) (core.Principal, error) {
	if token == "" || len(token) > MaxTokenBytes {
		return core.Principal{}, refuse(errMalformed)
	}
	var c claims
	// The key lookup's own error says more than the library's wrapping of it.
	var keyErr error
	tok, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		var key ed25519.PublicKey
		key, keyErr = v.keyFor(ctx, t.Header)
		if keyErr != nil {
			return nil, keyErr
		}
		return key, nil
	})
	if err != nil {
		if keyErr != nil {
			return core.Principal{}, keyErr
		}
		return core.Principal{}, refuse(reasonFor(tok, err))
	}
	// RFC 9068 requires both; jti is also what audit entries quote.
	if c.ID == "" || c.IssuedAt == nil {
		return core.Principal{}, refuse(errMissingClaim)
	}
	p := core.Principal{
		Kind:     core.PrincipalKind(c.Kind),
		Subject:  c.Subject,
		Role:     core.Role(c.Role),
		AgencyID: c.AgencyID,
		TokenID:  c.ID,
	}
	if c.Scope != "" {
		p.Scopes = strings.Fields(c.Scope)
	}
	if err := checkPrincipal(p); err != nil {
		return core.Principal{}, refuse(err)
	}
	return p, nil
}

// keyFor checks the header and finds the key it names. It runs before the
// signature is checked, so a refused header never costs a key fetch.
func (v *Verifier) keyFor(ctx context.Context, header map[string]any) (ed25519.PublicKey, error) {
	for _, name := range forbiddenHeaders {
		if _, ok := header[name]; ok {
			return nil, refuse(errHeader)
		}
	}
	// RFC 9068 section 4: at+jwt, or the same media type spelled in full;
	// media types compare without regard to case.
	typ, _ := header["typ"].(string)
	if !strings.EqualFold(typ, TokenType) && !strings.EqualFold(typ, "application/"+TokenType) {
		return nil, refuse(errType)
	}
	kid, _ := header["kid"].(string)
	if kid == "" {
		return nil, refuse(errKeyID)
	}
	key, err := v.keys.Key(ctx, kid)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return nil, refuse(ErrUnknownKey)
	case err != nil:
		return nil, &keysUnavailableError{cause: err}
	}
	return key, nil
}

// reasonFor names what the library refused. Its own messages can quote the
// token's alg, so they stay out of the error.
func reasonFor(tok *jwt.Token, err error) error {
	if errors.Is(err, jwt.ErrTokenMalformed) || tok == nil {
		return errMalformed
	}
	if alg, _ := tok.Header["alg"].(string); alg != Algorithm {
		return errAlgorithm
	}
	// Claim errors come joined; the first that applies decides.
	for _, m := range []struct{ lib, reason error }{
		{jwt.ErrTokenSignatureInvalid, errSignature},
		{jwt.ErrTokenExpired, errExpired},
		{jwt.ErrTokenNotValidYet, errNotYetValid},
		{jwt.ErrTokenUsedBeforeIssued, errNotYetValid},
		{jwt.ErrTokenInvalidIssuer, errIssuer},
		{jwt.ErrTokenInvalidAudience, errAudience},
		{jwt.ErrTokenRequiredClaimMissing, errMissingClaim},
	} {
		if errors.Is(err, m.lib) {
			return m.reason
		}
	}
	return errMalformed
}

// keysUnavailableError says the signing keys could not be read. Its message
// is fixed, because it ends up in a response, and the cause (a URL, an
// address) is only for errors.As and the server's log.
type keysUnavailableError struct{ cause error }

func (e *keysUnavailableError) Error() string   { return "signing keys are unavailable" }
func (e *keysUnavailableError) Unwrap() []error { return []error{core.ErrUnavailable, e.cause} }
