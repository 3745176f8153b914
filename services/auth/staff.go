package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tidbok/tidbok/core"
)

func (s *service) CreateStaff(ctx context.Context, n NewStaff) (Staff, string, error) {
	// Who asks comes before what they ask: an anonymous caller learns nothing.
	if _, err := core.Caller(ctx); err != nil {
		return Staff{}, "", err
	}
	email := normalizeEmail(n.Email)
	name := strings.TrimSpace(n.Name)
	var v core.Validator
	v.Check(validEmail(email), "email", "is not an e-mail address")
	v.Check(name != "" && len(name) <= 200 && plainText(name), "name", "is required, at most 200 characters, no control characters")
	v.Check(n.Role.Valid(), "role", "must be caseworker, agency_admin or system_admin")
	if n.Role == core.RoleSystemAdmin {
		v.Check(n.AgencyID == "", "agency_id", "must be empty for a system admin")
	} else {
		v.Check(core.ValidID(n.AgencyID), "agency_id", "must be the UUID of the staff member's agency")
	}
	lang := n.Language
	if lang == "" {
		lang = "sv"
	}
	v.Check(lang == "sv" || lang == "en", "language", "must be sv or en")
	password := n.Password
	generated := password == ""
	if generated {
		password = generatePassword()
	} else if err := checkPassword(password); err != nil {
		v.Add("password", err.Error())
	}
	if err := v.Err(); err != nil {
		return Staff{}, "", err
	}
	if err := s.authorizeStaffAdmin(ctx, n.AgencyID, n.Role); err != nil {
		return Staff{}, "", err
	}
	now := s.clock.Now()
	st := Staff{ID: core.NewID(), Email: email, Name: name, Role: n.Role, AgencyID: n.AgencyID, Language: lang,
		PasswordHash: hashPassword(password, s.cfg.Argon2), CreatedAt: now, UpdatedAt: now}
	if err := s.repo.CreateStaff(ctx, st, nil); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return Staff{}, "", fmt.Errorf("a staff account with that e-mail address exists: %w", core.ErrConflict)
		}
		return Staff{}, "", err
	}
	s.audit(ctx, AuditEntry{Action: "staff.created", AgencyID: st.AgencyID, TargetKind: "staff", TargetID: st.ID, Detail: "role=" + string(st.Role)})
	st.PasswordHash = ""
	if !generated {
		password = ""
	}
	return st, password, nil
}

// authorizeStaffAdmin lets agency admins manage their own agency's
// caseworkers and admins, and system admins everyone.
func (s *service) authorizeStaffAdmin(ctx context.Context, agencyID string, role core.Role) error {
	p, err := core.AuthorizeAgency(ctx, agencyID, "", core.RoleAgencyAdmin)
	if err != nil {
		return err
	}
	if role == core.RoleSystemAdmin && !p.IsSystemAdmin() {
		return fmt.Errorf("only a system admin may make system admins: %w", core.ErrForbidden)
	}
	return nil
}

func (s *service) ListStaff(ctx context.Context, agencyID string) ([]Staff, error) {
	if _, err := core.Caller(ctx); err != nil {
		return nil, err
	}
	if !core.ValidID(agencyID) {
		return nil, core.Invalid("agency_id", "must be a UUID")
	}
	if _, err := core.AuthorizeAgency(ctx, agencyID, ""); err != nil {
		return nil, err
	}
	list, err := s.repo.ListStaff(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].PasswordHash, list[i].TOTPSecret = "", ""
	}
	return list, nil
}

func (s *service) UpdateStaff(ctx context.Context, id string, u StaffUpdate) (Staff, error) {
	if _, err := core.Caller(ctx); err != nil {
		return Staff{}, err
	}
	if !core.ValidID(id) {
		return Staff{}, core.Invalid("id", "must be a UUID")
	}
	st, sealedTOTP, err := s.repo.Staff(ctx, id)
	if err != nil {
		return Staff{}, err
	}
	if err := s.authorizeStaffAdmin(ctx, st.AgencyID, st.Role); err != nil {
		return Staff{}, err
	}
	p, _ := core.PrincipalFrom(ctx)
	var v core.Validator
	var changes []string
	if u.Name != nil {
		name := strings.TrimSpace(*u.Name)
		v.Check(name != "" && len(name) <= 200 && plainText(name), "name", "is required, at most 200 characters, no control characters")
		st.Name = name
		changes = append(changes, "name")
	}
	if u.Role != nil {
		v.Check(u.Role.Valid(), "role", "must be caseworker, agency_admin or system_admin")
		v.Check((*u.Role == core.RoleSystemAdmin) == (st.Role == core.RoleSystemAdmin), "role",
			"cannot move between agency roles and system admin; create a new account")
		v.Check(!(p.Subject == st.ID && *u.Role != st.Role), "role", "you cannot change your own role")
		st.Role = *u.Role
		changes = append(changes, "role="+string(*u.Role))
	}
	if u.Disabled != nil {
		v.Check(!(p.Subject == st.ID && *u.Disabled), "disabled", "you cannot disable your own account")
		st.Disabled = *u.Disabled
		changes = append(changes, fmt.Sprintf("disabled=%t", *u.Disabled))
	}
	if u.Language != nil {
		v.Check(*u.Language == "sv" || *u.Language == "en", "language", "must be sv or en")
		st.Language = *u.Language
		changes = append(changes, "language="+*u.Language)
	}
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	st.UpdatedAt = s.clock.Now()
	if err := s.repo.UpdateStaff(ctx, st, sealedTOTP); err != nil {
		return Staff{}, err
	}
	if st.Disabled || u.Role != nil {
		// Sign the account out everywhere; access tokens lapse within minutes.
		if err := s.repo.RevokeSubjectRefreshTokens(ctx, string(core.KindStaff), st.ID, s.clock.Now()); err != nil {
			return Staff{}, err
		}
	}
	s.audit(ctx, AuditEntry{Action: "staff.updated", AgencyID: st.AgencyID, TargetKind: "staff", TargetID: st.ID, Detail: strings.Join(changes, " ")})
	st.PasswordHash, st.TOTPSecret = "", ""
	return st, nil
}

func (s *service) ResetPassword(ctx context.Context, id string) (string, error) {
	if _, err := core.Caller(ctx); err != nil {
		return "", err
	}
	if !core.ValidID(id) {
		return "", core.Invalid("id", "must be a UUID")
	}
	st, sealedTOTP, err := s.repo.Staff(ctx, id)
	if err != nil {
		return "", err
	}
	if err := s.authorizeStaffAdmin(ctx, st.AgencyID, st.Role); err != nil {
		return "", err
	}
	password := generatePassword()
	st.PasswordHash = hashPassword(password, s.cfg.Argon2)
	st.UpdatedAt = s.clock.Now()
	if err := s.repo.UpdateStaff(ctx, st, sealedTOTP); err != nil {
		return "", err
	}
	if err := s.repo.RevokeSubjectRefreshTokens(ctx, string(core.KindStaff), st.ID, s.clock.Now()); err != nil {
		return "", err
	}
	s.audit(ctx, AuditEntry{Action: "staff.password_reset", AgencyID: st.AgencyID, TargetKind: "staff", TargetID: st.ID})
	return password, nil
}

func (s *service) ChangePassword(ctx context.Context, current, next string) error {
	p, err := core.Caller(ctx)
	if err != nil {
		return err
	}
	if p.Kind != core.KindStaff {
		return fmt.Errorf("only staff have passwords: %w", core.ErrForbidden)
	}
	if err := checkPassword(next); err != nil {
		return core.Invalid("new_password", err.Error())
	}
	st, sealedTOTP, err := s.repo.Staff(ctx, p.Subject)
	if err != nil {
		return err
	}
	// A stolen access token must not become a way to guess the password:
	// wrong current passwords count like failed sign-ins of the account.
	accountKey := s.accountKey("login", st.Email)
	if err := s.checkThrottle(ctx, accountKey); err != nil {
		return err
	}
	if ok, err := verifyPassword(current, st.PasswordHash); err != nil || !ok {
		s.recordFailure(ctx, accountKey, "")
		s.audit(ctx, AuditEntry{Action: "staff.password_change_failed", TargetKind: "staff", TargetID: st.ID, Outcome: "failure"})
		return core.Invalid("current_password", "is wrong")
	}
	st.PasswordHash = hashPassword(next, s.cfg.Argon2)
	st.UpdatedAt = s.clock.Now()
	if err := s.repo.UpdateStaff(ctx, st, sealedTOTP); err != nil {
		return err
	}
	// Other sessions end: whoever knew the old password is signed out.
	if err := s.repo.RevokeSubjectRefreshTokens(ctx, string(core.KindStaff), st.ID, s.clock.Now()); err != nil {
		return err
	}
	s.audit(ctx, AuditEntry{Action: "staff.password_changed", TargetKind: "staff", TargetID: st.ID})
	return nil
}

// ---- TOTP ----

func (s *service) BeginTOTPEnrolment(ctx context.Context) (TOTPEnrolment, error) {
	p, err := core.Caller(ctx)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if p.Kind != core.KindStaff {
		return TOTPEnrolment{}, fmt.Errorf("only staff use an authenticator app: %w", core.ErrForbidden)
	}
	st, _, err := s.repo.Staff(ctx, p.Subject)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if st.TOTPEnabled {
		return TOTPEnrolment{}, fmt.Errorf("an authenticator is already enrolled; ask an administrator to reset it: %w", core.ErrConflict)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Tidbok", AccountName: st.Email, Algorithm: otp.AlgorithmSHA1, Digits: otp.DigitsSix})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	st.UpdatedAt = s.clock.Now()
	if err := s.repo.UpdateStaff(ctx, st, s.keys.seal("totp", []byte(key.Secret()))); err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

func (s *service) ConfirmTOTPEnrolment(ctx context.Context, code string) error {
	p, err := core.Caller(ctx)
	if err != nil {
		return err
	}
	if p.Kind != core.KindStaff {
		return fmt.Errorf("only staff use an authenticator app: %w", core.ErrForbidden)
	}
	st, sealed, err := s.repo.Staff(ctx, p.Subject)
	if err != nil {
		return err
	}
	if len(sealed) == 0 {
		return fmt.Errorf("begin enrolment first: %w", core.ErrConflict)
	}
	secret, err := s.keys.open("totp", sealed)
	if err != nil {
		return err
	}
	step, ok := totpStep(string(secret), code, s.clock.Now())
	if !ok {
		return core.Invalid("code", "is not the current code of the authenticator app")
	}
	if fresh, err := s.repo.UseTOTPStep(ctx, st.ID, step); err != nil {
		return err
	} else if !fresh {
		return core.Invalid("code", "was used already; wait for the next code of the authenticator app")
	}
	st.TOTPEnabled = true
	st.UpdatedAt = s.clock.Now()
	if err := s.repo.UpdateStaff(ctx, st, sealed); err != nil {
		return err
	}
	s.audit(ctx, AuditEntry{Action: "staff.totp_enrolled", TargetKind: "staff", TargetID: st.ID})
	return nil
}

// totpPeriod is the authenticator's time step; a code of the step before or
// after the current one is accepted too, for clocks a little apart.
const totpPeriod = 30

// totpStep returns the time step whose code code is, when it is the code of
// the current step or of the one before or after. The step is recorded, so
// each code signs in once (RFC 6238 §5.2).
func totpStep(secret, code string, now time.Time) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for _, step := range []int64{current - 1, current, current + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// ---- cursors ----

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, v) != nil {
		return core.Invalid("cursor", "is not a cursor this server handed out")
	}
	return nil
}
