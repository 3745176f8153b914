// Package tokens issues and verifies Tidbok's access tokens: short-lived JWTs
// signed with Ed25519 (RFC 8037), shaped as RFC 9068 access tokens, that carry
// a core.Principal from the auth service to every other service.
//
// The auth service holds a Signer. Every service holds a Verifier fed by a
// KeySource: a KeySet (or KeySourceFunc) when the auth service runs in the
// same process, a JWKSClient reading the auth service's
// /.well-known/jwks.json when it does not. The Verifier is the same in both
// modes, so what one mode accepts the other accepts too.
//
// Every refusal wraps core.ErrUnauthenticated with a short fixed reason and
// never repeats any part of the token. Keys that cannot be fetched wrap
// core.ErrUnavailable instead: the token may well be good, so the caller
// should retry rather than sign in again.
package tokens
