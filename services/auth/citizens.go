package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/pin"
)

// Purposes of an external sign-in.
const (
	PurposeCitizen = "citizen"
	PurposeStaff   = "staff"
)

func (s *service) RequestCitizenCode(ctx context.Context, req CodeRequest) (CodeChallenge, error) {
	lang := req.Language
	if lang == "" {
		lang = "sv"
	}
	var v core.Validator
	email, phone := normalizeEmail(req.Email), ""
	switch {
	case req.Email != "" && req.Phone != "":
		v.Add("email", "give an e-mail address or a phone number, not both")
	case req.Email != "":
		v.Check(validEmail(email), "email", "is not an e-mail address")
	case req.Phone != "":
		var ok bool
		phone, ok = core.NormalizePhone(req.Phone)
		v.Check(ok, "phone", "is not a phone number; use 07X-XXX XX XX or +46...")
	default:
		v.Add("email", "give an e-mail address or a phone number")
	}
	v.Check(lang == "sv" || lang == "en", "language", "must be sv or en")
	if err := v.Err(); err != nil {
		return CodeChallenge{}, err
	}
	channel, destination := "email", email
	if phone != "" {
		channel, destination = "sms", phone
	}
	now := s.clock.Now()
	c := Challenge{ID: core.NewID(), Channel: channel, Destination: destination, Language: lang,
		ExpiresAt: now.Add(s.cfg.CodeTTL), CreatedAt: now}
	// Too many codes to one address: answer as usual, send nothing. The
	// answer must not differ, or it would reveal that someone is trying.
	recent, err := s.repo.CountChallengesSince(ctx, destination, now.Add(-s.cfg.CodeWindow))
	if err != nil {
		return CodeChallenge{}, err
	}
	code := sixDigitCode()
	c.CodeHash = s.keys.hmacHex("code", c.ID, code)
	if recent >= s.cfg.CodesPerWindow {
		c.CodeHash = "flooded" // can never match
		c.ExpiresAt = now
	}
	if err := s.repo.CreateChallenge(ctx, c); err != nil {
		return CodeChallenge{}, err
	}
	if recent < s.cfg.CodesPerWindow {
		if err := s.codes.SendCode(ctx, channel, destination, code, lang, s.cfg.CodeTTL); err != nil {
			return CodeChallenge{}, fmt.Errorf("send sign-in code: %w: %w", core.ErrUnavailable, err)
		}
	}
	s.audit(ctx, AuditEntry{Action: "auth.code_requested", TargetKind: "challenge", TargetID: c.ID, Detail: "channel=" + channel})
	// Always the configured lifetime, also when nothing was sent: the
	// answer must not tell.
	return CodeChallenge{ID: c.ID, ExpiresIn: s.cfg.CodeTTL}, nil
}

func (s *service) VerifyCitizenCode(ctx context.Context, challengeID, code string) (Tokens, error) {
	var v core.Validator
	v.Check(core.ValidID(challengeID), "challenge_id", "must be the challenge_id you were given")
	v.Check(len(code) == 6 && strings.Trim(code, "0123456789") == "", "code", "must be the 6 digits you were sent")
	if err := v.Err(); err != nil {
		return Tokens{}, err
	}
	refused := fmt.Errorf("the code is wrong, used or expired; ask for a new one: %w", core.ErrUnauthenticated)
	c, err := s.repo.AttemptChallenge(ctx, challengeID)
	if errors.Is(err, core.ErrNotFound) {
		return Tokens{}, refused
	}
	if err != nil {
		return Tokens{}, err
	}
	now := s.clock.Now()
	ok := subtle.ConstantTimeCompare([]byte(s.keys.hmacHex("code", c.ID, code)), []byte(c.CodeHash)) == 1
	if !ok || c.Attempts > s.cfg.MaxCodeAttempts || c.ConsumedAt != nil || !now.Before(c.ExpiresAt) {
		s.audit(ctx, AuditEntry{Action: "auth.code_failed", TargetKind: "challenge", TargetID: c.ID, Outcome: "failure"})
		return Tokens{}, refused
	}
	if err := s.repo.ConsumeChallenge(ctx, c.ID, now); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return Tokens{}, refused
		}
		return Tokens{}, err
	}
	var citizen Citizen
	if c.Channel == "email" {
		citizen, _, err = s.repo.CitizenByEmail(ctx, c.Destination)
	} else {
		citizen, _, err = s.repo.CitizenByPhone(ctx, c.Destination)
	}
	created := false
	if errors.Is(err, core.ErrNotFound) {
		citizen = Citizen{ID: core.NewID(), Language: c.Language, NotifyEmail: c.Channel == "email",
			NotifySMS: c.Channel == "sms", CreatedAt: now, UpdatedAt: now}
		if c.Channel == "email" {
			citizen.Email = c.Destination
		} else {
			citizen.Phone = c.Destination
		}
		if err := s.repo.CreateCitizen(ctx, citizen, nil, ""); err != nil {
			return Tokens{}, err
		}
		created = true
	} else if err != nil {
		return Tokens{}, err
	}
	t, err := s.issue(ctx, core.Principal{Kind: core.KindCitizen, Subject: citizen.ID}, true, "")
	if err != nil {
		return Tokens{}, err
	}
	detail := "channel=" + c.Channel
	if created {
		detail += " account_created"
	}
	s.audit(ctx, AuditEntry{ActorKind: "citizen", ActorID: citizen.ID, Action: "auth.login", TargetKind: "citizen", TargetID: citizen.ID, Detail: detail})
	return t, nil
}

// SignInWithIdentity signs in the account linked to an OpenID identity.
// Citizens are linked by issuer+subject, else by their personal identity
// number, else created. Staff must already exist: they are linked by a
// verified e-mail address the first time.
func (s *service) SignInWithIdentity(ctx context.Context, id ExternalIdentity, purpose string) (Tokens, error) {
	if id.Issuer == "" || id.Subject == "" {
		return Tokens{}, fmt.Errorf("identity without issuer or subject: %w", core.ErrUnauthenticated)
	}
	now := s.clock.Now()
	kind, ownerID, err := s.repo.IdentityOwner(ctx, id.Issuer, id.Subject)
	if err != nil && !errors.Is(err, core.ErrNotFound) {
		return Tokens{}, err
	}
	linked := err == nil
	switch purpose {
	case PurposeCitizen:
		if linked && kind != "citizen" {
			return Tokens{}, fmt.Errorf("this identity belongs to a staff account: %w", core.ErrForbidden)
		}
		if !linked {
			ownerID, err = s.citizenForIdentity(ctx, id, now)
			if err != nil {
				return Tokens{}, err
			}
			if err := s.repo.LinkIdentity(ctx, id.Issuer, id.Subject, "citizen", ownerID, now); err != nil {
				return Tokens{}, err
			}
		}
		t, err := s.issue(ctx, core.Principal{Kind: core.KindCitizen, Subject: ownerID}, true, "")
		if err != nil {
			return Tokens{}, err
		}
		s.audit(ctx, AuditEntry{ActorKind: "citizen", ActorID: ownerID, Action: "auth.login", TargetKind: "citizen", TargetID: ownerID, Detail: "oidc issuer=" + id.Issuer})
		return t, nil
	case PurposeStaff:
		if linked && kind != "staff" {
			return Tokens{}, fmt.Errorf("this identity belongs to a citizen account: %w", core.ErrForbidden)
		}
		var st Staff
		if linked {
			st, _, err = s.repo.Staff(ctx, ownerID)
		} else {
			if !id.EmailVerified || id.Email == "" {
				return Tokens{}, fmt.Errorf("the identity provider did not vouch for an e-mail address: %w", core.ErrForbidden)
			}
			st, _, err = s.repo.StaffByEmail(ctx, normalizeEmail(id.Email))
			if errors.Is(err, core.ErrNotFound) {
				return Tokens{}, fmt.Errorf("no staff account for this identity; ask an administrator: %w", core.ErrForbidden)
			}
			if err == nil {
				err = s.repo.LinkIdentity(ctx, id.Issuer, id.Subject, "staff", st.ID, now)
			}
		}
		if err != nil {
			return Tokens{}, err
		}
		if st.Disabled {
			return Tokens{}, fmt.Errorf("account disabled: %w", core.ErrForbidden)
		}
		t, err := s.issue(ctx, staffPrincipal(st), true, "")
		if err != nil {
			return Tokens{}, err
		}
		s.audit(ctx, AuditEntry{ActorKind: "staff", ActorID: st.ID, AgencyID: st.AgencyID, Action: "auth.login", TargetKind: "staff", TargetID: st.ID, Detail: "oidc issuer=" + id.Issuer})
		return t, nil
	}
	return Tokens{}, core.Invalid("purpose", "must be citizen or staff")
}

func (s *service) citizenForIdentity(ctx context.Context, id ExternalIdentity, now time.Time) (string, error) {
	var number pin.Number
	if id.PersonalIdentityNumber != "" {
		n, err := pin.Parse(id.PersonalIdentityNumber, s.clock.Now())
		if err != nil {
			return "", fmt.Errorf("the identity provider sent an invalid personal identity number: %w", core.ErrUnauthenticated)
		}
		number = n
		c, _, err := s.repo.CitizenByPINLookup(ctx, s.keys.Sealer.LookupHash(n))
		if err == nil {
			return c.ID, nil
		}
		if !errors.Is(err, core.ErrNotFound) {
			return "", err
		}
	}
	t := s.clock.Now()
	c := Citizen{ID: core.NewID(), Name: truncate(id.Name, 200), Language: "sv", PIN: number, CreatedAt: t, UpdatedAt: t}
	if id.Email != "" && id.EmailVerified && validEmail(normalizeEmail(id.Email)) {
		// Only claim the address when no other account has it.
		if _, _, err := s.repo.CitizenByEmail(ctx, normalizeEmail(id.Email)); errors.Is(err, core.ErrNotFound) {
			c.Email = normalizeEmail(id.Email)
		}
	}
	// E-mail notices need an address; UpdateProfile refuses them without one.
	c.NotifyEmail = c.Email != ""
	if c.Email == "" && number.IsZero() {
		return "", fmt.Errorf("the identity provider sent neither a personal identity number nor an e-mail address: %w", core.ErrUnauthenticated)
	}
	sealed, lookup, err := s.sealPIN(number)
	if err != nil {
		return "", err
	}
	if err := s.repo.CreateCitizen(ctx, c, sealed, lookup); err != nil {
		return "", err
	}
	return c.ID, nil
}

func (s *service) sealPIN(n pin.Number) ([]byte, string, error) {
	if n.IsZero() {
		return nil, "", nil
	}
	sealed, err := s.keys.Sealer.Seal(n)
	if err != nil {
		return nil, "", err
	}
	return sealed, s.keys.Sealer.LookupHash(n), nil
}

func (s *service) loadCitizen(ctx context.Context, id string) (Citizen, error) {
	c, sealed, err := s.repo.Citizen(ctx, id)
	if err != nil {
		return Citizen{}, err
	}
	if len(sealed) > 0 {
		if c.PIN, err = s.keys.Sealer.Open(sealed); err != nil {
			return Citizen{}, fmt.Errorf("open personal identity number of citizen %s: %w", id, err)
		}
	}
	return c, nil
}

func (s *service) Me(ctx context.Context, revealPIN bool) (Me, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return Me{}, err
	}
	me := Me{Principal: p}
	switch p.Kind {
	case core.KindCitizen:
		c, err := s.loadCitizen(ctx, p.Subject)
		if err != nil {
			return Me{}, err
		}
		me.Citizen = &c
		if revealPIN && !c.PIN.IsZero() {
			me.RevealedPIN = c.PIN.Reveal()
			s.audit(ctx, AuditEntry{Action: "citizen.pin_revealed", TargetKind: "citizen", TargetID: c.ID})
		}
	case core.KindStaff:
		st, _, err := s.repo.Staff(ctx, p.Subject)
		if err != nil {
			return Me{}, err
		}
		st.PasswordHash = ""
		me.Staff = &st
	case core.KindClient:
		c, err := s.repo.Client(ctx, p.Subject)
		if err != nil {
			return Me{}, err
		}
		c.SecretHash = ""
		me.Client = &c
	}
	return me, nil
}

func (s *service) UpdateProfile(ctx context.Context, u ProfileUpdate) (Me, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return Me{}, err
	}
	if p.Kind != core.KindCitizen {
		return Me{}, fmt.Errorf("only citizens have a profile to change here: %w", core.ErrForbidden)
	}
	c, err := s.loadCitizen(ctx, p.Subject)
	if err != nil {
		return Me{}, err
	}
	var v core.Validator
	if u.Name != nil {
		name := strings.TrimSpace(*u.Name)
		v.Check(utf8.RuneCountInString(name) <= 200 && plainText(name), "name", "must be at most 200 characters, no control characters")
		c.Name = name
	}
	if u.Phone != nil {
		if *u.Phone == "" {
			c.Phone = ""
		} else if phone, ok := core.NormalizePhone(*u.Phone); ok {
			c.Phone = phone
		} else {
			v.Add("phone", "is not a phone number; use 07X-XXX XX XX or +46...")
		}
	}
	if u.Language != nil {
		v.Check(*u.Language == "sv" || *u.Language == "en", "language", "must be sv or en")
		c.Language = *u.Language
	}
	if u.NotifyEmail != nil {
		c.NotifyEmail = *u.NotifyEmail
	}
	if u.NotifySMS != nil {
		c.NotifySMS = *u.NotifySMS
	}
	pinChanged := false
	if u.PersonalIdentityNumber != nil {
		if *u.PersonalIdentityNumber == "" {
			c.PIN, pinChanged = pin.Number{}, true
		} else if n, err := pin.Parse(*u.PersonalIdentityNumber, s.clock.Now()); err != nil {
			v.Add(pin.Field, "is not a valid Swedish personal identity number or coordination number")
		} else {
			c.PIN, pinChanged = n, true
		}
	}
	if c.Email == "" && c.Phone == "" && c.PIN.IsZero() {
		field := "phone"
		if u.PersonalIdentityNumber != nil {
			field = pin.Field
		}
		v.Add(field, "cannot be removed: the account needs an e-mail address, a phone number or a personal identity number")
	}
	v.Check(!c.NotifySMS || c.Phone != "", "notify_sms", "needs a phone number")
	v.Check(!c.NotifyEmail || c.Email != "", "notify_email", "needs an e-mail address")
	if err := v.Err(); err != nil {
		return Me{}, err
	}
	sealed, lookup, err := s.sealPIN(c.PIN)
	if err != nil {
		return Me{}, err
	}
	c.UpdatedAt = s.clock.Now()
	if err := s.repo.UpdateCitizen(ctx, c, sealed, lookup); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return Me{}, fmt.Errorf("that phone number or personal identity number belongs to another account: %w", core.ErrConflict)
		}
		return Me{}, err
	}
	detail := ""
	if pinChanged {
		detail = "personal_identity_number changed"
	}
	s.audit(ctx, AuditEntry{Action: "citizen.profile_updated", TargetKind: "citizen", TargetID: c.ID, Detail: detail})
	return Me{Principal: p, Citizen: &c}, nil
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
