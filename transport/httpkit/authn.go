package httpkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tidbok/tidbok/core"
)

// TokenVerifier checks a bearer token and returns the caller it names;
// tokens.Verifier is one. Refusals wrap core.ErrUnauthenticated.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (core.Principal, error)
}

var (
	errMalformedAuthorization = fmt.Errorf("%w: malformed Authorization header, want \"Bearer <token>\"", core.ErrUnauthenticated)
	errSignInRequired         = fmt.Errorf("%w: this request needs an access token", core.ErrUnauthenticated)
)

// Authenticate puts the principal of a request's bearer token into its
// context. A request without an Authorization header goes on anonymous, and
// so does one with another scheme, which the token endpoint's client
// authentication (HTTP Basic, RFC 6749 section 2.3.1) needs to see. A bearer
// token that is malformed, invalid or expired is answered with 401 and a
// WWW-Authenticate challenge (RFC 6750 section 3); the request goes no
// further. When the verifier cannot check the token at all (keys
// unavailable), the answer is that error's, usually 503, so the client
// retries rather than signs in again.
func Authenticate(v TokenVerifier) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, present, err := bearerToken(r.Header)
			if !present {
				next.ServeHTTP(w, r)
				return
			}
			var p core.Principal
			if err == nil {
				p, err = v.Verify(r.Context(), token)
			}
			if err != nil {
				if errors.Is(err, core.ErrUnauthenticated) {
					w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				}
				WriteError(r.Context(), w, err)
				return
			}
			signedIn := r.WithContext(core.WithPrincipal(r.Context(), p))
			next.ServeHTTP(w, signedIn)
			// The mux records the matched route on the request it was given;
			// hand it back so the request log and metrics name the route.
			r.Pattern = signedIn.Pattern
		})
	}
}

// bearerToken returns the token of a Bearer Authorization header. present
// is false when there is no such header to consider; err is set when there
// is one but it cannot be read.
func bearerToken(h http.Header) (token string, present bool, err error) {
	values := h.Values("Authorization")
	if len(values) == 0 {
		return "", false, nil
	}
	// Two headers could each be read as the caller; trust neither.
	if len(values) > 1 {
		return "", true, errMalformedAuthorization
	}
	scheme, rest, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		if strings.TrimSpace(values[0]) == "" {
			return "", true, errMalformedAuthorization
		}
		return "", false, nil
	}
	// RFC 6750 section 2.1: one token68 after one space, nothing else.
	if rest == "" || strings.ContainsAny(rest, " \t,") {
		return "", true, errMalformedAuthorization
	}
	return rest, true, nil
}

// RequirePrincipal returns the caller of ctx, or an error wrapping
// core.ErrUnauthenticated when the request is anonymous.
func RequirePrincipal(ctx context.Context) (core.Principal, error) {
	p, ok := core.PrincipalFrom(ctx)
	if !ok {
		return core.Principal{}, errSignInRequired
	}
	return p, nil
}
