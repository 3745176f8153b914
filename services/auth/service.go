// Package auth is the auth service's domain: citizens who sign in with a
// one-time code or an eID, staff with password and TOTP, integration clients
// with OAuth2 client credentials, the tokens they get, signing keys, sign-in
// throttling and the audit log. It knows nothing of HTTP or SQL.
package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/tokens"
)

// Service is what the auth service offers, locally or over HTTP.
type Service interface {
	RequestCitizenCode(ctx context.Context, req CodeRequest) (CodeChallenge, error)
	VerifyCitizenCode(ctx context.Context, challengeID, code string) (Tokens, error)
	SignInWithIdentity(ctx context.Context, id ExternalIdentity, purpose string) (Tokens, error)
	Login(ctx context.Context, req LoginRequest) (Tokens, error)
	ClientCredentials(ctx context.Context, clientID, secret string, scopes []string) (Tokens, error)
	Refresh(ctx context.Context, refreshToken string) (Tokens, error)
	Logout(ctx context.Context, refreshToken string) error

	Me(ctx context.Context, revealPIN bool) (Me, error)
	UpdateProfile(ctx context.Context, u ProfileUpdate) (Me, error)
	ChangePassword(ctx context.Context, current, next string) error
	BeginTOTPEnrolment(ctx context.Context) (TOTPEnrolment, error)
	ConfirmTOTPEnrolment(ctx context.Context, code string) error

	CreateStaff(ctx context.Context, n NewStaff) (Staff, string, error)
	ListStaff(ctx context.Context, agencyID string) ([]Staff, error)
	UpdateStaff(ctx context.Context, id string, u StaffUpdate) (Staff, error)
	ResetPassword(ctx context.Context, id string) (string, error)

	CreateClient(ctx context.Context, n NewClient) (Client, string, error)
	ListClients(ctx context.Context, agencyID string) ([]Client, error)
	RevokeClient(ctx context.Context, id string) error

	ListAudit(ctx context.Context, q AuditQuery) (AuditPage, error)
	RecordAudit(ctx context.Context, e AuditEntry) error

	JWKS(ctx context.Context) (tokens.JWKS, error)
	RotateSigningKey(ctx context.Context) (string, error)

	CitizenRegister
}

// CodeSender delivers a one-time sign-in code. cmd/tidbok wires it to the
// notify service's mailer and SMS gateway.
type CodeSender interface {
	SendCode(ctx context.Context, channel, destination, code, language string, ttl time.Duration) error
}

// CodeRequest asks for a one-time code by e-mail or SMS.
type CodeRequest struct {
	Email    string
	Phone    string
	Language string
}

// LoginRequest is a staff sign-in.
type LoginRequest struct {
	Email    string
	Password string
	TOTP     string
}

// ProfileUpdate changes a citizen's own profile; nil fields stay.
type ProfileUpdate struct {
	Name                   *string
	Phone                  *string
	Language               *string
	NotifyEmail            *bool
	NotifySMS              *bool
	PersonalIdentityNumber *string
}

// NewStaff creates a staff account.
type NewStaff struct {
	Email    string
	Name     string
	Role     core.Role
	AgencyID string
	Password string // empty: one is generated and returned once
	Language string // sv (when empty) or en
}

// StaffUpdate changes a staff account; nil fields stay.
type StaffUpdate struct {
	Name     *string
	Role     *core.Role
	Disabled *bool
	Language *string
}

// NewClient registers an integration client.
type NewClient struct {
	AgencyID string
	Name     string
	Scopes   []string
}

// Config are the auth service's settings.
type Config struct {
	Issuer              string        // iss of every token, the installation's base URL
	Audience            string        // aud of every token
	AccessTTL           time.Duration // 15 minutes by default
	CitizenRefreshTTL   time.Duration
	StaffRefreshTTL     time.Duration
	CodeTTL             time.Duration
	MaxCodeAttempts     int
	CodesPerWindow      int // codes sent to one address per CodeWindow
	CodeWindow          time.Duration
	Argon2              Argon2Params
	AccountFreeFailures int // failed sign-ins per account before locking
	AddressFreeFailures int // per client address
	MaxLock             time.Duration
}

// DefaultConfig returns the settings a deployment starts from.
func DefaultConfig(issuer string) Config {
	return Config{
		Issuer: issuer, Audience: "tidbok",
		AccessTTL: 15 * time.Minute, CitizenRefreshTTL: 14 * 24 * time.Hour, StaffRefreshTTL: 12 * time.Hour,
		CodeTTL: 10 * time.Minute, MaxCodeAttempts: 5, CodesPerWindow: 5, CodeWindow: 15 * time.Minute,
		Argon2: OWASPArgon2, AccountFreeFailures: 5, AddressFreeFailures: 50, MaxLock: time.Hour,
	}
}

type service struct {
	cfg   Config
	repo  Repository
	keys  *Keyring
	codes CodeSender
	clock core.Clock
	dummy string // a password hash to verify against when the account is unknown

	mu     sync.Mutex
	signer *tokens.Signer
	loaded time.Time
}

// NewService returns the auth service. It creates a signing key on first use.
func NewService(cfg Config, repo Repository, keys *Keyring, codes CodeSender, clock core.Clock) Service {
	if clock == nil {
		clock = core.SystemClock{}
	}
	return &service{cfg: cfg, repo: repo, keys: keys, codes: codes, clock: clock,
		dummy: hashPassword(generatePassword(), cfg.Argon2)}
}

// ---- audit ----

func (s *service) audit(ctx context.Context, e AuditEntry) {
	// An audit write that fails must not be silent; but neither should it
	// turn a sign-in the user already completed into an error.
	_ = s.RecordAudit(ctx, e)
}

func (s *service) RecordAudit(ctx context.Context, e AuditEntry) error {
	meta := core.RequestMetaFrom(ctx)
	if e.ID == "" {
		e.ID = core.NewID()
	}
	if e.At.IsZero() {
		e.At = s.clock.Now()
	}
	if e.ActorKind == "" {
		if p, ok := core.PrincipalFrom(ctx); ok {
			e.ActorKind, e.ActorID = string(p.Kind), p.Subject
			if e.AgencyID == "" {
				e.AgencyID = p.AgencyID
			}
		} else {
			e.ActorKind = "anonymous"
		}
	}
	if e.ClientIP == "" {
		e.ClientIP = meta.ClientIP
	}
	if e.RequestID == "" {
		e.RequestID = meta.RequestID
	}
	if e.Detail == "" && meta.Via != "" {
		e.Detail = "via " + meta.Via
	}
	if e.Outcome == "" {
		e.Outcome = "success"
	}
	if err := s.repo.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

func (s *service) ListAudit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	if _, err := core.AuthorizeSystemAdmin(ctx); err != nil {
		return AuditPage{}, err
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = 100
	case limit < 1 || limit > 500:
		return AuditPage{}, core.Invalid("limit", "must be between 1 and 500")
	}
	var v core.Validator
	for _, f := range []struct{ name, value string }{
		{"action", q.Action}, {"actor_id", q.ActorID}, {"target_kind", q.TargetKind}, {"target_id", q.TargetID},
	} {
		v.Check(len(f.value) <= 200 && plainText(f.value), f.name, "must be at most 200 characters, no control characters")
	}
	if err := v.Err(); err != nil {
		return AuditPage{}, err
	}
	var after AuditCursor
	if q.Cursor != "" {
		if err := decodeCursor(q.Cursor, &after); err != nil {
			return AuditPage{}, err
		}
		if !core.ValidID(after.ID) {
			return AuditPage{}, core.Invalid("cursor", "is not a cursor this server handed out")
		}
	}
	entries, err := s.repo.ListAudit(ctx, q, after, limit+1)
	if err != nil {
		return AuditPage{}, err
	}
	page := AuditPage{Entries: entries}
	if len(entries) > limit {
		page.Entries = entries[:limit]
		last := page.Entries[limit-1]
		page.NextCursor = encodeCursor(AuditCursor{At: last.At, ID: last.ID})
	}
	return page, nil
}

// ---- tokens ----

func (s *service) currentSigner(ctx context.Context) (*tokens.Signer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Reload now and then so a key rotated by another replica is picked up.
	if s.signer != nil && s.clock.Now().Sub(s.loaded) < time.Minute {
		return s.signer, nil
	}
	keys, err := s.repo.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	var active *StoredKey
	for i := range keys {
		if keys[i].RetiredAt == nil && (active == nil || keys[i].CreatedAt.After(active.CreatedAt)) {
			active = &keys[i]
		}
	}
	if active == nil {
		k, err := s.newStoredKey()
		if err != nil {
			return nil, err
		}
		if err := s.repo.AddSigningKey(ctx, k); err != nil {
			return nil, fmt.Errorf("store signing key: %w", err)
		}
		active = &k
	}
	seed, err := s.keys.open("signing-key", active.SealedPrivate)
	if err != nil {
		return nil, err
	}
	signer, err := tokens.NewSigner(ed25519.NewKeyFromSeed(seed), active.KID, s.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	s.signer, s.loaded = signer, s.clock.Now()
	return signer, nil
}

func (s *service) newStoredKey() (StoredKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return StoredKey{}, err
	}
	now := s.clock.Now()
	return StoredKey{
		KID:           now.Format("20060102") + "-" + core.NewID()[24:],
		SealedPrivate: s.keys.seal("signing-key", priv.Seed()),
		Public:        pub, CreatedAt: now,
	}, nil
}

func (s *service) RotateSigningKey(ctx context.Context) (string, error) {
	k, err := s.newStoredKey()
	if err != nil {
		return "", err
	}
	if err := s.repo.AddSigningKey(ctx, k); err != nil {
		return "", fmt.Errorf("store signing key: %w", err)
	}
	s.mu.Lock()
	s.signer = nil
	s.mu.Unlock()
	s.audit(ctx, AuditEntry{ActorKind: "system", ActorID: "tidbok", Action: "auth.key_rotated", TargetKind: "signing_key", TargetID: k.KID})
	return k.KID, nil
}

// JWKS publishes every active key and every retired key whose tokens may
// still be valid.
func (s *service) JWKS(ctx context.Context) (tokens.JWKS, error) {
	if _, err := s.currentSigner(ctx); err != nil {
		return tokens.JWKS{}, err
	}
	stored, err := s.repo.SigningKeys(ctx)
	if err != nil {
		return tokens.JWKS{}, err
	}
	now := s.clock.Now()
	var keys []tokens.Key
	for _, k := range stored {
		var notAfter time.Time
		if k.RetiredAt != nil {
			notAfter = k.RetiredAt.Add(s.cfg.AccessTTL + tokens.DefaultLeeway)
			if now.After(notAfter) {
				continue
			}
		}
		keys = append(keys, tokens.Key{KID: k.KID, Public: ed25519.PublicKey(k.Public), NotAfter: notAfter})
	}
	set, err := tokens.NewKeySet(keys...)
	if err != nil {
		return tokens.JWKS{}, err
	}
	return set.JWKS(now), nil
}

func (s *service) issue(ctx context.Context, p core.Principal, withRefresh bool, family string) (Tokens, error) {
	signer, err := s.currentSigner(ctx)
	if err != nil {
		return Tokens{}, err
	}
	now := s.clock.Now()
	access, _, err := signer.Issue(p, s.cfg.Audience, s.cfg.AccessTTL, now)
	if err != nil {
		return Tokens{}, fmt.Errorf("issue access token: %w", err)
	}
	t := Tokens{AccessToken: access, TokenType: "Bearer", ExpiresIn: s.cfg.AccessTTL, Principal: p,
		Scope: strings.Join(p.Scopes, " ")}
	if withRefresh {
		t.RefreshToken, err = s.newRefreshToken(ctx, p, family, nil)
		if err != nil {
			return Tokens{}, err
		}
	}
	return t, nil
}

func (s *service) refreshTTL(kind core.PrincipalKind) time.Duration {
	if kind == core.KindStaff {
		return s.cfg.StaffRefreshTTL
	}
	return s.cfg.CitizenRefreshTTL
}

// newRefreshToken stores a fresh token of family (a new family when empty);
// with rotateHash it replaces that token atomically.
func (s *service) newRefreshToken(ctx context.Context, p core.Principal, family string, rotateHash *string) (string, error) {
	raw := randomToken("rt_")
	now := s.clock.Now()
	if family == "" {
		family = core.NewID()
	}
	rt := RefreshToken{ID: core.NewID(), FamilyID: family, TokenHash: hashToken(raw), SubjectKind: p.Kind,
		SubjectID: p.Subject, ExpiresAt: now.Add(s.refreshTTL(p.Kind)), CreatedAt: now}
	if err := s.repo.CreateRefreshToken(ctx, rt); err != nil {
		return "", fmt.Errorf("store refresh token: %w", err)
	}
	return raw, nil
}

// ErrRefreshReuse is returned when a rotated refresh token comes back: its
// family has been revoked, since one of the two holders is not its owner.
var ErrRefreshReuse = errors.New("refresh token reused")

func (s *service) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	refused := fmt.Errorf("refresh token is invalid or expired: %w", core.ErrUnauthenticated)
	if !strings.HasPrefix(refreshToken, "rt_") || len(refreshToken) > 100 {
		return Tokens{}, refused
	}
	now := s.clock.Now()
	raw := randomToken("rt_")
	next := RefreshToken{ID: core.NewID(), TokenHash: hashToken(raw), CreatedAt: now}
	old, err := s.repo.RotateRefreshToken(ctx, hashToken(refreshToken), next, now)
	switch {
	case errors.Is(err, ErrRefreshReuse):
		s.audit(ctx, AuditEntry{ActorKind: string(old.SubjectKind), ActorID: old.SubjectID, Action: "auth.refresh_reuse",
			TargetKind: "refresh_family", TargetID: old.FamilyID, Outcome: "denied"})
		return Tokens{}, refused
	case errors.Is(err, core.ErrNotFound):
		return Tokens{}, refused
	case err != nil:
		return Tokens{}, err
	}
	p, err := s.principalOf(ctx, old.SubjectKind, old.SubjectID)
	if err != nil {
		_, _ = s.repo.RevokeRefreshFamily(ctx, next.TokenHash, now)
		return Tokens{}, refused
	}
	t, err := s.issue(ctx, p, false, "")
	if err != nil {
		return Tokens{}, err
	}
	t.RefreshToken = raw
	return t, nil
}

// principalOf rebuilds a principal from the account as it is now, so a
// disabled account or a changed role takes effect at the next refresh.
func (s *service) principalOf(ctx context.Context, kind core.PrincipalKind, id string) (core.Principal, error) {
	switch kind {
	case core.KindCitizen:
		if _, _, err := s.repo.Citizen(ctx, id); err != nil {
			return core.Principal{}, err
		}
		return core.Principal{Kind: core.KindCitizen, Subject: id}, nil
	case core.KindStaff:
		st, _, err := s.repo.Staff(ctx, id)
		if err != nil {
			return core.Principal{}, err
		}
		if st.Disabled {
			return core.Principal{}, fmt.Errorf("account disabled: %w", core.ErrUnauthenticated)
		}
		return staffPrincipal(st), nil
	}
	return core.Principal{}, fmt.Errorf("kind %q: %w", kind, core.ErrUnauthenticated)
}

func staffPrincipal(st Staff) core.Principal {
	return core.Principal{Kind: core.KindStaff, Subject: st.ID, Role: st.Role, AgencyID: st.AgencyID}
}

func (s *service) Logout(ctx context.Context, refreshToken string) error {
	if refreshToken == "" {
		return core.Invalid("refresh_token", "is required")
	}
	rt, err := s.repo.RevokeRefreshFamily(ctx, hashToken(refreshToken), s.clock.Now())
	if errors.Is(err, core.ErrNotFound) {
		return nil // logging out twice, or with a stale token, is not an error
	}
	if err != nil {
		return err
	}
	s.audit(ctx, AuditEntry{ActorKind: string(rt.SubjectKind), ActorID: rt.SubjectID, Action: "auth.logout",
		TargetKind: "refresh_family", TargetID: rt.FamilyID})
	return nil
}

// ---- throttling ----

// lockFor is the lock after a number of failures beyond the free ones: 30 s,
// doubling, up to MaxLock.
func (s *service) lockFor(free int) func(int) time.Duration {
	return func(failures int) time.Duration {
		over := failures - free
		if over < 0 {
			return 0
		}
		d := 30 * time.Second
		for i := 0; i < over && d < s.cfg.MaxLock; i++ {
			d *= 2
		}
		return min(d, s.cfg.MaxLock)
	}
}

func (s *service) checkThrottle(ctx context.Context, keys ...string) error {
	states, err := s.repo.Throttles(ctx, keys...)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	for _, st := range states {
		if st.LockedUntil != nil && st.LockedUntil.After(now) {
			return &core.RetryAfterError{Kind: core.ErrRateLimited, Wait: st.LockedUntil.Sub(now),
				Cause: "too many failed sign-ins"}
		}
	}
	return nil
}

func (s *service) recordFailure(ctx context.Context, accountKey, addressKey string) {
	now := s.clock.Now()
	_, _ = s.repo.RecordFailure(ctx, accountKey, now, s.lockFor(s.cfg.AccountFreeFailures))
	if addressKey != "" {
		_, _ = s.repo.RecordFailure(ctx, addressKey, now, s.lockFor(s.cfg.AddressFreeFailures))
	}
}

func (s *service) addressKey(ctx context.Context) string {
	ip := core.RequestMetaFrom(ctx).ClientIP
	if ip == "" {
		return ""
	}
	return "address:" + s.keys.hmacHex("address", ip)
}

func (s *service) accountKey(kind, account string) string {
	return kind + ":" + s.keys.hmacHex(kind, strings.ToLower(strings.TrimSpace(account)))
}

// ---- staff sign-in ----

var errBadLogin = fmt.Errorf("e-mail or password is wrong: %w", core.ErrUnauthenticated)

func (s *service) Login(ctx context.Context, req LoginRequest) (Tokens, error) {
	var v core.Validator
	v.Check(strings.TrimSpace(req.Email) != "", "email", "is required")
	v.Check(req.Password != "", "password", "is required")
	v.Check(len(req.Password) <= 4*MaxPasswordLength, "password", "is too long")
	if err := v.Err(); err != nil {
		return Tokens{}, err
	}
	accountKey, addressKey := s.accountKey("login", req.Email), s.addressKey(ctx)
	if err := s.checkThrottle(ctx, accountKey, addressKey); err != nil {
		s.audit(ctx, AuditEntry{Action: "auth.login_throttled", TargetKind: "staff", TargetID: "", Outcome: "denied"})
		return Tokens{}, err
	}
	// No account has an address that is not one, and a stray NUL byte would
	// make PostgreSQL fail the query: such an address is simply unknown.
	var st Staff
	var sealedTOTP []byte
	err := core.ErrNotFound
	if email := normalizeEmail(req.Email); validEmail(email) {
		st, sealedTOTP, err = s.repo.StaffByEmail(ctx, email)
	}
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return Tokens{}, err
	}
	known := err == nil
	hash := s.dummy
	if known {
		hash = st.PasswordHash
	}
	// Verify even for unknown accounts, so both answers take alike long.
	ok, verr := verifyPassword(req.Password, hash)
	if verr != nil {
		return Tokens{}, fmt.Errorf("stored password hash: %w", verr)
	}
	if !known || !ok || st.Disabled {
		s.recordFailure(ctx, accountKey, addressKey)
		target := ""
		if known {
			target = st.ID
		}
		s.audit(ctx, AuditEntry{Action: "auth.login_failed", TargetKind: "staff", TargetID: target, Outcome: "failure", AgencyID: st.AgencyID})
		return Tokens{}, errBadLogin
	}
	if st.TOTPEnabled {
		if req.TOTP == "" {
			return Tokens{}, core.Invalid("totp", "this account needs the code from its authenticator app")
		}
		secret, err := s.keys.open("totp", sealedTOTP)
		if err != nil {
			return Tokens{}, err
		}
		step, ok := totpStep(string(secret), req.TOTP, s.clock.Now())
		if !ok {
			s.recordFailure(ctx, accountKey, addressKey)
			s.audit(ctx, AuditEntry{Action: "auth.login_failed", TargetKind: "staff", TargetID: st.ID, Outcome: "failure",
				AgencyID: st.AgencyID, Detail: "wrong TOTP code"})
			return Tokens{}, fmt.Errorf("the authenticator code is wrong: %w", core.ErrUnauthenticated)
		}
		// A code seen once is spent: whoever saw it over a shoulder or in
		// a proxy log cannot sign in with it while it is still valid.
		fresh, err := s.repo.UseTOTPStep(ctx, st.ID, step)
		if err != nil {
			return Tokens{}, err
		}
		if !fresh {
			s.recordFailure(ctx, accountKey, addressKey)
			s.audit(ctx, AuditEntry{Action: "auth.login_failed", TargetKind: "staff", TargetID: st.ID, Outcome: "failure",
				AgencyID: st.AgencyID, Detail: "TOTP code used before"})
			return Tokens{}, fmt.Errorf("the authenticator code was used already; wait for the next one: %w", core.ErrUnauthenticated)
		}
	}
	_ = s.repo.ClearThrottle(ctx, accountKey)
	now := s.clock.Now()
	st.LastLoginAt = &now
	if err := s.repo.UpdateStaff(ctx, st, sealedTOTP); err != nil {
		return Tokens{}, err
	}
	p := staffPrincipal(st)
	t, err := s.issue(ctx, p, true, "")
	if err != nil {
		return Tokens{}, err
	}
	s.audit(ctx, AuditEntry{ActorKind: "staff", ActorID: st.ID, AgencyID: st.AgencyID, Action: "auth.login", TargetKind: "staff", TargetID: st.ID})
	return t, nil
}

// ---- integration clients ----

func (s *service) ClientCredentials(ctx context.Context, clientID, secret string, scopes []string) (Tokens, error) {
	refused := fmt.Errorf("client authentication failed: %w", core.ErrUnauthenticated)
	if clientID == "" || secret == "" || len(clientID) > 100 || len(secret) > 200 {
		return Tokens{}, refused
	}
	accountKey, addressKey := s.accountKey("client", clientID), s.addressKey(ctx)
	if err := s.checkThrottle(ctx, accountKey, addressKey); err != nil {
		return Tokens{}, err
	}
	// Only a well-formed client_id is looked up or written to the audit log:
	// anything else is unknown, and may be a secret pasted in the wrong field.
	var c Client
	err := core.ErrNotFound
	target := ""
	kind, allowed := core.KindClient, core.AllScopes
	switch {
	case validClientID(clientID):
		c, err = s.repo.Client(ctx, clientID)
		target = clientID
	case validServiceClientID(clientID):
		c, err = s.repo.ServiceClient(ctx, clientID)
		target = clientID
		kind, allowed = core.KindService, core.ServiceScopes
	}
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return Tokens{}, err
	}
	want := hashToken("unknown-client")
	if err == nil {
		want = c.SecretHash
	}
	if err != nil || subtle.ConstantTimeCompare([]byte(hashToken(secret)), []byte(want)) != 1 || c.RevokedAt != nil {
		s.recordFailure(ctx, accountKey, addressKey)
		s.audit(ctx, AuditEntry{Action: "auth.client_failed", TargetKind: "client", TargetID: target, Outcome: "failure", AgencyID: c.AgencyID})
		return Tokens{}, refused
	}
	// A stored scope this kind cannot hold is dropped rather than trusted.
	granted := slices.DeleteFunc(slices.Clone(c.Scopes), func(sc string) bool { return !slices.Contains(allowed, sc) })
	if len(scopes) > 0 {
		for _, sc := range scopes {
			if !slices.Contains(granted, sc) {
				return Tokens{}, core.Invalid("scope", fmt.Sprintf("%q is not granted to this client", sc))
			}
		}
		granted = scopes
	}
	_ = s.repo.ClearThrottle(ctx, accountKey)
	p := core.Principal{Kind: kind, Subject: c.ID, AgencyID: c.AgencyID, Scopes: slices.Clone(granted)}
	// Clients get no refresh token: they can always authenticate again (RFC 6749 §4.4.3).
	t, err := s.issue(ctx, p, false, "")
	if err != nil {
		return Tokens{}, err
	}
	s.audit(ctx, AuditEntry{ActorKind: string(kind), ActorID: c.ID, AgencyID: c.AgencyID, Action: "auth.token_issued",
		TargetKind: "client", TargetID: c.ID, Detail: "scope=" + t.Scope})
	return t, nil
}

func (s *service) CreateClient(ctx context.Context, n NewClient) (Client, string, error) {
	if _, err := core.Caller(ctx); err != nil {
		return Client{}, "", err
	}
	var v core.Validator
	v.Check(core.ValidID(n.AgencyID), "agency_id", "must be a UUID")
	name := strings.TrimSpace(n.Name)
	v.Check(name != "" && len(name) <= 200 && plainText(name), "name", "is required, at most 200 characters, no control characters")
	v.Check(len(n.Scopes) > 0, "scopes", "must name at least one scope")
	for _, sc := range n.Scopes {
		v.Check(slices.Contains(core.AllScopes, sc), "scopes", fmt.Sprintf("%q is not a scope; known: %s", sc, strings.Join(core.AllScopes, " ")))
	}
	if err := v.Err(); err != nil {
		return Client{}, "", err
	}
	p, err := core.AuthorizeAgency(ctx, n.AgencyID, "", core.RoleAgencyAdmin)
	if err != nil {
		return Client{}, "", err
	}
	scopes := slices.Clone(n.Scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	secret := randomToken("tbs_")
	c := Client{ID: "tbk_" + strings.ReplaceAll(core.NewID(), "-", "")[:24], AgencyID: n.AgencyID, Name: name,
		SecretHash: hashToken(secret), Scopes: scopes, CreatedBy: p.Subject, CreatedAt: s.clock.Now()}
	if err := s.repo.CreateClient(ctx, c); err != nil {
		return Client{}, "", err
	}
	s.audit(ctx, AuditEntry{Action: "auth.client_created", AgencyID: c.AgencyID, TargetKind: "client", TargetID: c.ID,
		Detail: "scope=" + strings.Join(scopes, " ")})
	return c, secret, nil
}

func (s *service) ListClients(ctx context.Context, agencyID string) ([]Client, error) {
	if _, err := core.Caller(ctx); err != nil {
		return nil, err
	}
	if !core.ValidID(agencyID) {
		return nil, core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := core.AuthorizeAgency(ctx, agencyID, "", core.RoleAgencyAdmin); err != nil {
		return nil, err
	}
	return s.repo.ListClients(ctx, agencyID)
}

func (s *service) RevokeClient(ctx context.Context, id string) error {
	if _, err := core.Caller(ctx); err != nil {
		return err
	}
	if !validClientID(id) {
		return core.Invalid("id", "must be a client_id")
	}
	c, err := s.repo.Client(ctx, id)
	if err != nil {
		return err
	}
	if _, err := core.AuthorizeAgency(ctx, c.AgencyID, "", core.RoleAgencyAdmin); err != nil {
		return err
	}
	if err := s.repo.RevokeClient(ctx, id, s.clock.Now()); err != nil {
		return err
	}
	s.audit(ctx, AuditEntry{Action: "auth.client_revoked", AgencyID: c.AgencyID, TargetKind: "client", TargetID: c.ID})
	return nil
}

// ---- helpers ----

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// validClientID reports whether id has the form of the client ids this
// service hands out ("tbk_" and letters or digits).
func validClientID(id string) bool {
	rest, ok := strings.CutPrefix(id, "tbk_")
	if !ok || rest == "" || len(id) > 64 {
		return false
	}
	for _, r := range rest {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// plainText reports whether s is valid UTF-8 without control characters:
// names end up in mail headers, and PostgreSQL refuses NUL in text.
func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

func sixDigitCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return fmt.Sprintf("%06d", n.Int64())
}
