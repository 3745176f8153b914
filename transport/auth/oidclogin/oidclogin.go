// Package oidclogin is the relying-party side of OpenID Connect sign-in for
// eID brokers (BankID, Freja, Sweden Connect) and agencies' staff identity
// providers. Begin sends the browser to the provider with the authorization
// code flow (PKCE S256, state and nonce); Finish turns the callback into a
// verified Identity. Nothing is kept on the server between the two: the
// flow's secrets travel in a short-lived cookie sealed with AES-GCM.
//
// What to do with an Identity (an account keyed by issuer + subject, tokens,
// the audit entry) is the auth service's business, not this package's.
package oidclogin

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/tidbok/tidbok/core"
)

// DefaultPINClaim is the claim of the Swedish OpenID Connect profile
// (oidc.se) that carries the personal identity number.
const DefaultPINClaim = "https://id.oidc.se/claim/personalIdentityNumber"

// Purposes of a provider: who signs in through it.
const (
	PurposeCitizen = "citizen"
	PurposeStaff   = "staff"
)

// flowTTL bounds how long a user may spend at the provider (an eID app on a
// phone included) before the flow cookie is refused.
const flowTTL = 10 * time.Minute

// defaultAlgs are the signing algorithms accepted when a provider's
// configuration names none.
var defaultAlgs = []string{oidc.RS256, oidc.ES256, oidc.EdDSA, oidc.PS256}

// asymmetricAlgs are the only algorithms a configuration may allow: "none"
// and the HS* family are left out because an HMAC key would be the client
// secret, which is not a proof that the provider issued the token.
var asymmetricAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

var slug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ProviderConfig configures one OpenID provider.
type ProviderConfig struct {
	// Name is the slug used in URLs and in the flow cookie's name, e.g.
	// "freja" or "staff-idp".
	Name string
	// Issuer must equal, byte for byte, the issuer the provider announces in
	// its discovery document and puts in its ID tokens.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this relying party's callback, as registered at the
	// provider. Its path scopes the flow cookie.
	RedirectURL string
	// Scopes to request; "openid" is always added.
	Scopes []string
	// PINClaim names the claim that carries the personal identity number;
	// DefaultPINClaim when empty.
	PINClaim string
	// AllowedAlgs lists the ID token signing algorithms accepted; RS256,
	// ES256, EdDSA and PS256 when empty. "none" and HS* are refused.
	AllowedAlgs []string
	// Purpose is PurposeCitizen or PurposeStaff.
	Purpose string
}

// Identity is what a provider asserted about the person who signed in, from
// a verified ID token. Issuer + Subject identify the account.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	GivenName     string
	FamilyName    string
	// PersonalIdentityNumber is the raw PINClaim value, not parsed or checked
	// here; empty when the provider did not send it.
	PersonalIdentityNumber string
}

// Option adjusts a RelyingParty.
type Option func(*options)

type options struct {
	client *http.Client
	now    func() time.Time
}

// WithHTTPClient sets the client used for discovery, keys and the token
// exchange (default: a client with a 10 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock used for the flow's expiry and the ID token's
// validity (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// RelyingParty signs people in through one OpenID provider. It is safe for
// concurrent use.
type RelyingParty struct {
	cfg      ProviderConfig
	client   *http.Client
	now      func() time.Time
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	// issParam is true when the provider promises the RFC 9207 "iss"
	// parameter in its authorization responses.
	issParam bool

	aead       cipher.AEAD
	cookieName string
	cookiePath string
	secure     bool
}

// NewRelyingParty validates cfg, discovers the provider and returns a
// relying party for it. sealKey (32 bytes) protects the flow cookie; every
// replica serving the callback must share it. A configuration error, an
// issuer that differs from the discovered one included, wraps core.ErrInvalid.
func NewRelyingParty(ctx context.Context, cfg ProviderConfig, sealKey []byte, opts ...Option) (*RelyingParty, error) {
	cfg, err := normalize(cfg, sealKey)
	if err != nil {
		return nil, err
	}
	o := options{client: &http.Client{Timeout: 10 * time.Second}, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}

	// The client travels in the context: go-oidc keeps it for fetching keys later.
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), cfg.Issuer)
	if err != nil {
		if _, ok := errors.AsType[*oidc.IssuerMismatchError](err); ok {
			return nil, fmt.Errorf("oidc provider %s: %w: %w", cfg.Name, core.ErrInvalid, err)
		}
		return nil, fmt.Errorf("oidc provider %s: discovery: %w", cfg.Name, err)
	}
	var meta struct {
		ISSParameter bool `json:"authorization_response_iss_parameter_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("oidc provider %s: discovery: %w", cfg.Name, err)
	}
	aead, err := newAEAD(sealKey)
	if err != nil {
		return nil, fmt.Errorf("oidc provider %s: %w", cfg.Name, err)
	}
	redirect, _ := url.Parse(cfg.RedirectURL) // checked by normalize
	path := redirect.EscapedPath()
	if path == "" {
		path = "/"
	}
	return &RelyingParty{
		cfg:    cfg,
		client: o.client,
		now:    o.now,
		oauth: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       cfg.Scopes,
		},
		verifier: provider.Verifier(&oidc.Config{
			ClientID:             cfg.ClientID,
			SupportedSigningAlgs: cfg.AllowedAlgs,
			Now:                  o.now,
		}),
		issParam:   meta.ISSParameter,
		aead:       aead,
		cookieName: "tidbok_oidc_" + cfg.Name,
		cookiePath: path,
		secure:     redirect.Scheme == "https",
	}, nil
}

// normalize checks cfg, reporting every bad field at once, and fills in the
// defaults.
func normalize(cfg ProviderConfig, sealKey []byte) (ProviderConfig, error) {
	var v core.Validator
	v.Check(len(cfg.Name) <= 32 && slug.MatchString(cfg.Name), "name", "must be a slug of lower-case letters, digits and dashes")
	if msg := checkEndpointURL(cfg.Issuer); msg != "" {
		v.Add("issuer", msg)
	}
	v.Check(cfg.ClientID != "", "client_id", "is required")
	v.Check(cfg.ClientSecret != "", "client_secret", "is required")
	if msg := checkEndpointURL(cfg.RedirectURL); msg != "" {
		v.Add("redirect_url", msg)
	}
	v.Check(cfg.Purpose == PurposeCitizen || cfg.Purpose == PurposeStaff, "purpose", "must be citizen or staff")
	v.Check(len(sealKey) == 32, "seal_key", "must be 32 bytes")

	if cfg.PINClaim == "" {
		cfg.PINClaim = DefaultPINClaim
	}
	if len(cfg.AllowedAlgs) == 0 {
		cfg.AllowedAlgs = defaultAlgs
	}
	for _, alg := range cfg.AllowedAlgs {
		if !slices.Contains(asymmetricAlgs, alg) {
			v.Add("allowed_algs", fmt.Sprintf("%q is not an allowed algorithm (allowed: %s)", alg, strings.Join(asymmetricAlgs, ", ")))
		}
	}
	cfg.AllowedAlgs = slices.Clone(cfg.AllowedAlgs)

	scopes := []string{oidc.ScopeOpenID}
	for _, s := range cfg.Scopes {
		if s != "" && !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	cfg.Scopes = scopes
	return cfg, v.Err()
}

// checkEndpointURL returns what is wrong with an issuer or redirect URL, or
// "". Plain http is accepted only on loopback, for development and tests.
func checkEndpointURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "must be an absolute https URL"
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "must use https (plain http only on loopback)"
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "must have no query, fragment or user info"
	}
	return ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Name returns the provider's slug.
func (rp *RelyingParty) Name() string { return rp.cfg.Name }

// Purpose returns PurposeCitizen or PurposeStaff.
func (rp *RelyingParty) Purpose() string { return rp.cfg.Purpose }

// Issuer returns the provider's issuer, the namespace of Identity.Subject.
func (rp *RelyingParty) Issuer() string { return rp.cfg.Issuer }

// Begin starts a sign-in: it sets the flow cookie and redirects (302) to the
// provider. returnTo is where the caller wants to send the browser after
// Finish; it must be a path on this site ("" means "/"), anything else wraps
// core.ErrInvalid and nothing is written to w.
func (rp *RelyingParty) Begin(w http.ResponseWriter, r *http.Request, returnTo string) error {
	returnTo, err := checkReturnTo(returnTo)
	if err != nil {
		return err
	}
	f := flow{
		State:    rand.Text(),
		Nonce:    rand.Text(),
		Verifier: oauth2.GenerateVerifier(),
		ReturnTo: returnTo,
		Provider: rp.cfg.Name,
		Expires:  rp.now().Add(flowTTL).Unix(),
	}
	value, err := rp.seal(f)
	if err != nil {
		return fmt.Errorf("oidc provider %s: seal flow: %w", rp.cfg.Name, err)
	}
	http.SetCookie(w, &http.Cookie{
		Name:     rp.cookieName,
		Value:    value,
		Path:     rp.cookiePath,
		MaxAge:   int(flowTTL / time.Second),
		HttpOnly: true,
		Secure:   rp.secure,
		// Lax, not Strict: the provider's redirect back is a cross-site
		// top-level navigation, and Strict would drop the cookie on it.
		SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	target := rp.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// Finish completes a sign-in at the callback. It returns the verified
// identity and the returnTo given to Begin. Every refusal is a *RefusedError,
// which is a core.ErrUnauthenticated; a provider that cannot be reached wraps
// core.ErrUnavailable. The flow cookie is cleared whatever the outcome, so a
// flow can be finished at most once.
func (rp *RelyingParty) Finish(w http.ResponseWriter, r *http.Request) (Identity, string, error) {
	c, err := r.Cookie(rp.cookieName)
	if err != nil {
		return Identity{}, "", rp.refuse(ReasonNoFlow, "", nil)
	}
	http.SetCookie(w, &http.Cookie{
		Name: rp.cookieName, Value: "", Path: rp.cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode,
	})
	f, err := rp.open(c.Value)
	if err != nil || f.Provider != rp.cfg.Name {
		return Identity{}, "", rp.refuse(ReasonBadFlowCookie, "", nil)
	}
	if !rp.now().Before(time.Unix(f.Expires, 0)) {
		return Identity{}, "", rp.refuse(ReasonFlowExpired, "", nil)
	}

	q := r.URL.Query()
	// State first: a callback that is not for this browser's flow is refused
	// as such, even when it claims to carry a provider error.
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return Identity{}, "", rp.refuse(ReasonStateMismatch, "", nil)
	}
	// RFC 9207: an "iss" that names another issuer means the response came
	// from a provider this flow was not sent to (a mix-up attack).
	if iss, ok := q["iss"]; (ok || rp.issParam) && (len(iss) != 1 || iss[0] != rp.cfg.Issuer) {
		return Identity{}, "", rp.refuse(ReasonIssuerMismatch, "authorization response", nil)
	}
	if e := q.Get("error"); e != "" {
		return Identity{}, "", rp.refuse(ReasonProviderError, safeCode(e), nil)
	}
	code := q.Get("code")
	if code == "" {
		return Identity{}, "", rp.refuse(ReasonNoCode, "", nil)
	}

	ctx := oidc.ClientContext(r.Context(), rp.client)
	tok, err := rp.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Identity{}, "", rp.exchangeError(err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, "", rp.refuse(ReasonIDToken, "no id_token in the token response", nil)
	}
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		// go-oidc's messages name claims and algorithms, never the token.
		return Identity{}, "", rp.refuse(ReasonIDToken, err.Error(), err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return Identity{}, "", rp.refuse(ReasonNonce, "", nil)
	}
	id, err := rp.identity(idt)
	if err != nil {
		return Identity{}, "", err
	}
	return id, f.ReturnTo, nil
}

// exchangeError sorts a failed code exchange into a refusal or an outage.
// The provider's error_description and body are dropped: providers echo the
// code in them.
func (rp *RelyingParty) exchangeError(err error) error {
	re, ok := errors.AsType[*oauth2.RetrieveError](err)
	if !ok {
		return fmt.Errorf("oidc provider %s: token exchange: %w: %w", rp.cfg.Name, core.ErrUnavailable, err)
	}
	if re.Response != nil && re.Response.StatusCode >= 500 {
		return fmt.Errorf("oidc provider %s: token endpoint answered %d: %w", rp.cfg.Name, re.Response.StatusCode, core.ErrUnavailable)
	}
	return rp.refuse(ReasonExchange, safeCode(re.ErrorCode), nil)
}

// idClaims are the ID token claims Identity needs besides iss, sub and nonce.
type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	Name          string   `json:"name"`
	GivenName     string   `json:"given_name"`
	FamilyName    string   `json:"family_name"`
	AZP           string   `json:"azp"`
}

func (rp *RelyingParty) identity(idt *oidc.IDToken) (Identity, error) {
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return Identity{}, rp.refuse(ReasonIDToken, "claims: "+err.Error(), err)
	}
	// OIDC Core 3.1.3.7: a token for several audiences must name us as the
	// authorized party, or another client could have obtained it.
	if len(idt.Audience) > 1 && c.AZP != rp.cfg.ClientID {
		return Identity{}, rp.refuse(ReasonIDToken, "several audiences and azp is not this client", nil)
	}
	var all map[string]json.RawMessage
	if err := idt.Claims(&all); err != nil {
		return Identity{}, rp.refuse(ReasonIDToken, "claims: "+err.Error(), err)
	}
	var pin string
	if v, ok := all[rp.cfg.PINClaim]; ok {
		if err := json.Unmarshal(v, &pin); err != nil {
			return Identity{}, rp.refuse(ReasonIDToken, "claim "+rp.cfg.PINClaim+" is not a string", nil)
		}
	}
	return Identity{
		Issuer:                 idt.Issuer,
		Subject:                idt.Subject,
		Email:                  c.Email,
		EmailVerified:          bool(c.EmailVerified),
		Name:                   c.Name,
		GivenName:              c.GivenName,
		FamilyName:             c.FamilyName,
		PersonalIdentityNumber: pin,
	}, nil
}

// flexBool reads email_verified as a JSON boolean or as the strings "true"
// and "false", which some providers send.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true", `"true"`:
		*b = true
	case "false", `"false"`, "null":
		*b = false
	default:
		return fmt.Errorf("email_verified: want a boolean, got %.20s", data)
	}
	return nil
}

// checkReturnTo accepts only a path on this site, so a sign-in link cannot
// be used to send someone elsewhere after they have signed in.
func checkReturnTo(s string) (string, error) {
	if s == "" {
		return "/", nil
	}
	bad := core.Invalid("return_to", "must be a path on this site")
	// Browsers read "\" as "/" and drop tabs and newlines, so "/\evil" and
	// "/\t/evil" would both become the other-host reference "//evil".
	if len(s) > 1024 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") ||
		strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "", bad
	}
	return s, nil
}

// safeCode passes on an OAuth error code only if it looks like one; the
// value can come from a URL anyone can craft, and it ends up in logs.
func safeCode(s string) string {
	if len(s) == 0 || len(s) > 64 {
		return "unrecognised error code"
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return "unrecognised error code"
		}
	}
	return s
}
