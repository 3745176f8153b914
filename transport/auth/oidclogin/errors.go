package oidclogin

import "github.com/tidbok/tidbok/core"

// Reason says why a sign-in was refused, in words fit for an audit entry.
type Reason string

const (
	ReasonNoFlow         Reason = "no sign-in in progress"
	ReasonBadFlowCookie  Reason = "flow cookie invalid"
	ReasonFlowExpired    Reason = "flow expired"
	ReasonStateMismatch  Reason = "state mismatch"
	ReasonIssuerMismatch Reason = "issuer mismatch"
	ReasonProviderError  Reason = "provider returned an error"
	ReasonNoCode         Reason = "no authorization code"
	ReasonExchange       Reason = "code exchange refused"
	ReasonIDToken        Reason = "id token refused"
	ReasonNonce          Reason = "nonce mismatch"
)

// RefusedError is a sign-in the relying party refused. It is a
// core.ErrUnauthenticated. Detail is safe to log: it never holds an
// authorization code, a token or a provider's free text.
type RefusedError struct {
	Provider string
	Reason   Reason
	Detail   string
	cause    error
}

func (e *RefusedError) Error() string {
	s := "oidc sign-in with " + e.Provider + " refused: " + string(e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is makes errors.Is(err, core.ErrUnauthenticated) true.
func (e *RefusedError) Is(target error) bool { return target == core.ErrUnauthenticated }

// Unwrap gives the underlying go-oidc error, if any, for errors.As.
func (e *RefusedError) Unwrap() error { return e.cause }

func (rp *RelyingParty) refuse(reason Reason, detail string, cause error) error {
	return &RefusedError{Provider: rp.cfg.Name, Reason: reason, Detail: detail, cause: cause}
}
