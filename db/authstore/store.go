// Package authstore keeps the auth service's data in SQL, on both dialects.
package authstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/services/auth"
)

// Store implements auth.Repository.
type Store struct {
	db *db.DB
}

// New returns a store on d.
func New(d *db.DB) *Store { return &Store{db: d} }

var _ auth.Repository = (*Store)(nil)

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// ---- citizens ----

type citizenRow struct {
	ID          string         `db:"id"`
	Email       sql.NullString `db:"email"`
	Phone       sql.NullString `db:"phone"`
	Name        string         `db:"name"`
	Language    string         `db:"language"`
	PINSealed   []byte         `db:"pin_sealed"`
	PINLookup   sql.NullString `db:"pin_lookup"`
	NotifyEmail bool           `db:"notify_email"`
	NotifySMS   bool           `db:"notify_sms"`
	CreatedAt   time.Time      `db:"created_at"`
	UpdatedAt   time.Time      `db:"updated_at"`
}

func (r citizenRow) domain() auth.Citizen {
	return auth.Citizen{ID: r.ID, Email: r.Email.String, Phone: r.Phone.String, Name: r.Name, Language: r.Language,
		NotifyEmail: r.NotifyEmail, NotifySMS: r.NotifySMS, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

func citizenToRow(c auth.Citizen, sealed []byte, lookup string) citizenRow {
	return citizenRow{ID: c.ID, Email: nullString(c.Email), Phone: nullString(c.Phone), Name: c.Name, Language: c.Language,
		PINSealed: sealed, PINLookup: nullString(lookup), NotifyEmail: c.NotifyEmail, NotifySMS: c.NotifySMS,
		CreatedAt: utc(c.CreatedAt), UpdatedAt: utc(c.UpdatedAt)}
}

const citizenColumns = `id, email, phone, name, language, pin_sealed, pin_lookup, notify_email, notify_sms, created_at, updated_at`

func (s *Store) CreateCitizen(ctx context.Context, c auth.Citizen, sealed []byte, lookup string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO auth_citizens (`+citizenColumns+`)
			VALUES (:id, :email, :phone, :name, :language, :pin_sealed, :pin_lookup, :notify_email, :notify_sms, :created_at, :updated_at)`,
			citizenToRow(c, sealed, lookup))
		return db.MapError(err)
	})
}

func (s *Store) UpdateCitizen(ctx context.Context, c auth.Citizen, sealed []byte, lookup string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.NamedExecContext(ctx, `UPDATE auth_citizens SET email = :email, phone = :phone, name = :name,
			language = :language, pin_sealed = :pin_sealed, pin_lookup = :pin_lookup, notify_email = :notify_email,
			notify_sms = :notify_sms, updated_at = :updated_at WHERE id = :id`, citizenToRow(c, sealed, lookup))
		return oneRow(res, err)
	})
}

func (s *Store) citizenWhere(ctx context.Context, where string, arg any) (auth.Citizen, []byte, error) {
	var r citizenRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+citizenColumns+` FROM auth_citizens WHERE `+where), arg); err != nil {
		return auth.Citizen{}, nil, db.MapError(err)
	}
	return r.domain(), r.PINSealed, nil
}

func (s *Store) Citizen(ctx context.Context, id string) (auth.Citizen, []byte, error) {
	return s.citizenWhere(ctx, "id = ?", id)
}

func (s *Store) CitizenByEmail(ctx context.Context, email string) (auth.Citizen, []byte, error) {
	return s.citizenWhere(ctx, "email = ?", email)
}

func (s *Store) CitizenByPhone(ctx context.Context, phone string) (auth.Citizen, []byte, error) {
	return s.citizenWhere(ctx, "phone = ?", phone)
}

func (s *Store) CitizenByPINLookup(ctx context.Context, lookup string) (auth.Citizen, []byte, error) {
	return s.citizenWhere(ctx, "pin_lookup = ?", lookup)
}

// ---- identities ----

func (s *Store) IdentityOwner(ctx context.Context, issuer, subject string) (string, string, error) {
	var row struct {
		CitizenID sql.NullString `db:"citizen_id"`
		StaffID   sql.NullString `db:"staff_id"`
	}
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT citizen_id, staff_id FROM auth_identities WHERE issuer = ? AND subject = ?`), issuer, subject)
	if err != nil {
		return "", "", db.MapError(err)
	}
	if row.CitizenID.Valid {
		return "citizen", row.CitizenID.String, nil
	}
	return "staff", row.StaffID.String, nil
}

func (s *Store) LinkIdentity(ctx context.Context, issuer, subject, kind, id string, at time.Time) error {
	var citizenID, staffID sql.NullString
	if kind == "citizen" {
		citizenID = nullString(id)
	} else {
		staffID = nullString(id)
	}
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO auth_identities (issuer, subject, citizen_id, staff_id, created_at)
			VALUES (?, ?, ?, ?, ?)`), issuer, subject, citizenID, staffID, utc(at))
		return db.MapError(err)
	})
}

// ---- staff ----

type staffRow struct {
	ID           string         `db:"id"`
	Email        string         `db:"email"`
	Name         string         `db:"name"`
	Role         string         `db:"role"`
	AgencyID     sql.NullString `db:"agency_id"`
	PasswordHash string         `db:"password_hash"`
	TOTPSealed   []byte         `db:"totp_sealed"`
	TOTPEnabled  bool           `db:"totp_enabled"`
	Disabled     bool           `db:"disabled"`
	Language     string         `db:"language"`
	LastLoginAt  *time.Time     `db:"last_login_at"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
}

func (r staffRow) domain() auth.Staff {
	return auth.Staff{ID: r.ID, Email: r.Email, Name: r.Name, Role: core.Role(r.Role), AgencyID: r.AgencyID.String,
		PasswordHash: r.PasswordHash, TOTPEnabled: r.TOTPEnabled, Disabled: r.Disabled, Language: r.Language,
		LastLoginAt: utcPtr(r.LastLoginAt), CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

func staffToRow(st auth.Staff, sealedTOTP []byte) staffRow {
	if st.Language == "" {
		st.Language = "sv"
	}
	return staffRow{ID: st.ID, Email: st.Email, Name: st.Name, Role: string(st.Role), AgencyID: nullString(st.AgencyID),
		PasswordHash: st.PasswordHash, TOTPSealed: sealedTOTP, TOTPEnabled: st.TOTPEnabled, Disabled: st.Disabled,
		Language: st.Language, LastLoginAt: utcPtr(st.LastLoginAt), CreatedAt: utc(st.CreatedAt), UpdatedAt: utc(st.UpdatedAt)}
}

const staffColumns = `id, email, name, role, agency_id, password_hash, totp_sealed, totp_enabled, disabled, language, last_login_at, created_at, updated_at`

func (s *Store) CreateStaff(ctx context.Context, st auth.Staff, sealedTOTP []byte) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO auth_staff (`+staffColumns+`)
			VALUES (:id, :email, :name, :role, :agency_id, :password_hash, :totp_sealed, :totp_enabled, :disabled,
			        :language, :last_login_at, :created_at, :updated_at)`, staffToRow(st, sealedTOTP))
		return db.MapError(err)
	})
}

func (s *Store) UpdateStaff(ctx context.Context, st auth.Staff, sealedTOTP []byte) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.NamedExecContext(ctx, `UPDATE auth_staff SET email = :email, name = :name, role = :role,
			agency_id = :agency_id, password_hash = :password_hash, totp_sealed = :totp_sealed,
			totp_enabled = :totp_enabled, disabled = :disabled, language = :language, last_login_at = :last_login_at, updated_at = :updated_at
			WHERE id = :id`, staffToRow(st, sealedTOTP))
		return oneRow(res, err)
	})
}

func (s *Store) UseTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE auth_staff SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`), step, id, step)
	if err != nil {
		return false, db.MapError(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) staffWhere(ctx context.Context, where string, arg any) (auth.Staff, []byte, error) {
	var r staffRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+staffColumns+` FROM auth_staff WHERE `+where), arg); err != nil {
		return auth.Staff{}, nil, db.MapError(err)
	}
	return r.domain(), r.TOTPSealed, nil
}

func (s *Store) Staff(ctx context.Context, id string) (auth.Staff, []byte, error) {
	return s.staffWhere(ctx, "id = ?", id)
}

func (s *Store) StaffByEmail(ctx context.Context, email string) (auth.Staff, []byte, error) {
	return s.staffWhere(ctx, "email = ?", email)
}

func (s *Store) ListStaff(ctx context.Context, agencyID string) ([]auth.Staff, error) {
	var rows []staffRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+staffColumns+` FROM auth_staff WHERE agency_id = ? ORDER BY name, id`), agencyID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]auth.Staff, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// ---- clients ----

type clientRow struct {
	ID         string     `db:"id"`
	AgencyID   string     `db:"agency_id"`
	Name       string     `db:"name"`
	SecretHash string     `db:"secret_hash"`
	Scopes     string     `db:"scopes"`
	CreatedBy  string     `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

func (r clientRow) domain() auth.Client {
	return auth.Client{ID: r.ID, AgencyID: r.AgencyID, Name: r.Name, SecretHash: r.SecretHash,
		Scopes: strings.Fields(r.Scopes), CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt), RevokedAt: utcPtr(r.RevokedAt)}
}

const clientColumns = `id, agency_id, name, secret_hash, scopes, created_by, created_at, revoked_at`

func (s *Store) CreateClient(ctx context.Context, c auth.Client) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO auth_clients (`+clientColumns+`)
			VALUES (:id, :agency_id, :name, :secret_hash, :scopes, :created_by, :created_at, :revoked_at)`,
			clientRow{ID: c.ID, AgencyID: c.AgencyID, Name: c.Name, SecretHash: c.SecretHash, Scopes: strings.Join(c.Scopes, " "),
				CreatedBy: c.CreatedBy, CreatedAt: utc(c.CreatedAt), RevokedAt: utcPtr(c.RevokedAt)})
		return db.MapError(err)
	})
}

func (s *Store) Client(ctx context.Context, id string) (auth.Client, error) {
	var r clientRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+clientColumns+` FROM auth_clients WHERE id = ?`), id); err != nil {
		return auth.Client{}, db.MapError(err)
	}
	return r.domain(), nil
}

func (s *Store) ListClients(ctx context.Context, agencyID string) ([]auth.Client, error) {
	var rows []clientRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+clientColumns+` FROM auth_clients WHERE agency_id = ? ORDER BY created_at, id`), agencyID); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]auth.Client, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
		out[i].SecretHash = ""
	}
	return out, nil
}

func (s *Store) RevokeClient(ctx context.Context, id string, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), utc(at), id)
		if err := oneRow(res, err); errors.Is(err, core.ErrNotFound) {
			return nil // revoking twice changes nothing
		} else if err != nil {
			return err
		}
		return nil
	})
}

// ---- challenges ----

type challengeRow struct {
	ID          string     `db:"id"`
	Channel     string     `db:"channel"`
	Destination string     `db:"destination"`
	Language    string     `db:"language"`
	CodeHash    string     `db:"code_hash"`
	Attempts    int        `db:"attempts"`
	ExpiresAt   time.Time  `db:"expires_at"`
	ConsumedAt  *time.Time `db:"consumed_at"`
	CreatedAt   time.Time  `db:"created_at"`
}

const challengeColumns = `id, channel, destination, language, code_hash, attempts, expires_at, consumed_at, created_at`

func (s *Store) CreateChallenge(ctx context.Context, c auth.Challenge) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO auth_challenges (`+challengeColumns+`)
			VALUES (:id, :channel, :destination, :language, :code_hash, :attempts, :expires_at, :consumed_at, :created_at)`,
			challengeRow{ID: c.ID, Channel: c.Channel, Destination: c.Destination, Language: c.Language, CodeHash: c.CodeHash,
				Attempts: c.Attempts, ExpiresAt: utc(c.ExpiresAt), ConsumedAt: utcPtr(c.ConsumedAt), CreatedAt: utc(c.CreatedAt)})
		return db.MapError(err)
	})
}

func (s *Store) CountChallengesSince(ctx context.Context, destination string, since time.Time) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT count(*) FROM auth_challenges WHERE destination = ? AND created_at >= ?`), destination, utc(since))
	return n, db.MapError(err)
}

func (s *Store) AttemptChallenge(ctx context.Context, id string) (auth.Challenge, error) {
	var r challengeRow
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_challenges SET attempts = attempts + 1 WHERE id = ?`), id)
		if err := oneRow(res, err); err != nil {
			return err
		}
		return db.MapError(tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+challengeColumns+` FROM auth_challenges WHERE id = ?`), id))
	})
	if err != nil {
		return auth.Challenge{}, err
	}
	return auth.Challenge{ID: r.ID, Channel: r.Channel, Destination: r.Destination, Language: r.Language, CodeHash: r.CodeHash,
		Attempts: r.Attempts, ExpiresAt: utc(r.ExpiresAt), ConsumedAt: utcPtr(r.ConsumedAt), CreatedAt: utc(r.CreatedAt)}, nil
}

func (s *Store) ConsumeChallenge(ctx context.Context, id string, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_challenges SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL`), utc(at), id)
		if err := oneRow(res, err); errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("challenge already used: %w", core.ErrConflict)
		} else if err != nil {
			return err
		}
		return nil
	})
}

// ---- refresh tokens ----

type refreshRow struct {
	ID          string     `db:"id"`
	FamilyID    string     `db:"family_id"`
	TokenHash   string     `db:"token_hash"`
	SubjectKind string     `db:"subject_kind"`
	SubjectID   string     `db:"subject_id"`
	ExpiresAt   time.Time  `db:"expires_at"`
	CreatedAt   time.Time  `db:"created_at"`
	RotatedAt   *time.Time `db:"rotated_at"`
	RevokedAt   *time.Time `db:"revoked_at"`
}

func (r refreshRow) domain() auth.RefreshToken {
	return auth.RefreshToken{ID: r.ID, FamilyID: r.FamilyID, TokenHash: r.TokenHash, SubjectKind: core.PrincipalKind(r.SubjectKind),
		SubjectID: r.SubjectID, ExpiresAt: utc(r.ExpiresAt), CreatedAt: utc(r.CreatedAt), RotatedAt: utcPtr(r.RotatedAt), RevokedAt: utcPtr(r.RevokedAt)}
}

func refreshToRow(t auth.RefreshToken) refreshRow {
	return refreshRow{ID: t.ID, FamilyID: t.FamilyID, TokenHash: t.TokenHash, SubjectKind: string(t.SubjectKind), SubjectID: t.SubjectID,
		ExpiresAt: utc(t.ExpiresAt), CreatedAt: utc(t.CreatedAt), RotatedAt: utcPtr(t.RotatedAt), RevokedAt: utcPtr(t.RevokedAt)}
}

const refreshColumns = `id, family_id, token_hash, subject_kind, subject_id, expires_at, created_at, rotated_at, revoked_at`

func insertRefresh(ctx context.Context, tx *sqlx.Tx, t auth.RefreshToken) error {
	_, err := tx.NamedExecContext(ctx, `INSERT INTO auth_refresh_tokens (`+refreshColumns+`)
		VALUES (:id, :family_id, :token_hash, :subject_kind, :subject_id, :expires_at, :created_at, :rotated_at, :revoked_at)`, refreshToRow(t))
	return db.MapError(err)
}

func (s *Store) CreateRefreshToken(ctx context.Context, t auth.RefreshToken) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error { return insertRefresh(ctx, tx, t) })
}

func (s *Store) refreshByHash(ctx context.Context, tx *sqlx.Tx, hash string) (refreshRow, error) {
	var r refreshRow
	q := `SELECT ` + refreshColumns + ` FROM auth_refresh_tokens WHERE token_hash = ?`
	if s.db.Dialect == db.Postgres {
		q += ` FOR UPDATE` // SQLite's IMMEDIATE transaction already holds the write lock
	}
	err := tx.GetContext(ctx, &r, tx.Rebind(q), hash)
	return r, db.MapError(err)
}

func (s *Store) RotateRefreshToken(ctx context.Context, hash string, next auth.RefreshToken, at time.Time) (auth.RefreshToken, error) {
	var old refreshRow
	reused := false
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		old, err = s.refreshByHash(ctx, tx, hash)
		if err != nil {
			return err
		}
		if old.RevokedAt != nil || !at.Before(old.ExpiresAt) {
			return fmt.Errorf("refresh token revoked or expired: %w", core.ErrNotFound)
		}
		if old.RotatedAt != nil {
			// Reuse: revoke the family, and commit that, before answering.
			reused = true
			_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`), utc(at), old.FamilyID)
			return db.MapError(err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_refresh_tokens SET rotated_at = ? WHERE id = ?`), utc(at), old.ID); err != nil {
			return db.MapError(err)
		}
		next.FamilyID, next.SubjectKind, next.SubjectID = old.FamilyID, core.PrincipalKind(old.SubjectKind), old.SubjectID
		next.ExpiresAt = old.ExpiresAt // rotation never extends a sign-in beyond its first lifetime
		return insertRefresh(ctx, tx, next)
	})
	if err != nil {
		return auth.RefreshToken{}, err
	}
	if reused {
		return old.domain(), auth.ErrRefreshReuse
	}
	return old.domain(), nil
}

func (s *Store) RevokeRefreshFamily(ctx context.Context, hash string, at time.Time) (auth.RefreshToken, error) {
	var r refreshRow
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if r, err = s.refreshByHash(ctx, tx, hash); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL`), utc(at), r.FamilyID)
		return db.MapError(err)
	})
	return r.domain(), err
}

func (s *Store) RevokeSubjectRefreshTokens(ctx context.Context, kind, id string, at time.Time) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_refresh_tokens SET revoked_at = ?
			WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL`), utc(at), kind, id)
		return db.MapError(err)
	})
}

// ---- signing keys ----

type keyRow struct {
	KID        string     `db:"kid"`
	PrivateKey []byte     `db:"private_key"`
	PublicKey  []byte     `db:"public_key"`
	CreatedAt  time.Time  `db:"created_at"`
	RetiredAt  *time.Time `db:"retired_at"`
}

func (s *Store) SigningKeys(ctx context.Context) ([]auth.StoredKey, error) {
	var rows []keyRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT kid, private_key, public_key, created_at, retired_at FROM auth_signing_keys ORDER BY created_at, kid`); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]auth.StoredKey, len(rows))
	for i, r := range rows {
		out[i] = auth.StoredKey{KID: r.KID, SealedPrivate: r.PrivateKey, Public: r.PublicKey, CreatedAt: utc(r.CreatedAt), RetiredAt: utcPtr(r.RetiredAt)}
	}
	return out, nil
}

func (s *Store) AddSigningKey(ctx context.Context, k auth.StoredKey) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_signing_keys SET retired_at = ? WHERE retired_at IS NULL`), utc(k.CreatedAt)); err != nil {
			return db.MapError(err)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO auth_signing_keys (kid, private_key, public_key, created_at) VALUES (?, ?, ?, ?)`),
			k.KID, k.SealedPrivate, k.Public, utc(k.CreatedAt))
		return db.MapError(err)
	})
}

// ---- throttling ----

type throttleRow struct {
	Key         string     `db:"key"`
	Failures    int        `db:"failures"`
	LockedUntil *time.Time `db:"locked_until"`
}

func (s *Store) Throttles(ctx context.Context, keys ...string) ([]auth.Throttle, error) {
	var nonEmpty []string
	for _, k := range keys {
		if k != "" {
			nonEmpty = append(nonEmpty, k)
		}
	}
	if len(nonEmpty) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT key, failures, locked_until FROM auth_throttle WHERE key IN (?)`, nonEmpty)
	if err != nil {
		return nil, err
	}
	var rows []throttleRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]auth.Throttle, len(rows))
	for i, r := range rows {
		out[i] = auth.Throttle{Key: r.Key, Failures: r.Failures, LockedUntil: utcPtr(r.LockedUntil)}
	}
	return out, nil
}

func (s *Store) RecordFailure(ctx context.Context, key string, at time.Time, lockFor func(int) time.Duration) (auth.Throttle, error) {
	var t auth.Throttle
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		// The upsert is atomic on both engines, so concurrent failures all
		// count. A failure after a quiet ThrottleWindow starts the count
		// again, so an office behind one address is not locked for ever.
		var failures int
		err := tx.GetContext(ctx, &failures, tx.Rebind(`INSERT INTO auth_throttle (key, failures, updated_at) VALUES (?, 1, ?)
			ON CONFLICT (key) DO UPDATE SET
			  failures = CASE WHEN auth_throttle.updated_at < ? THEN 1 ELSE auth_throttle.failures + 1 END,
			  updated_at = excluded.updated_at
			RETURNING failures`), key, utc(at), utc(at.Add(-auth.ThrottleWindow)))
		if err != nil {
			return db.MapError(err)
		}
		t = auth.Throttle{Key: key, Failures: failures}
		if d := lockFor(failures); d > 0 {
			until := utc(at.Add(d))
			t.LockedUntil = &until
			_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE auth_throttle SET locked_until = ? WHERE key = ?`), until, key)
		}
		return db.MapError(err)
	})
	return t, err
}

func (s *Store) ClearThrottle(ctx context.Context, key string) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM auth_throttle WHERE key = ?`), key)
		return db.MapError(err)
	})
}

// ---- audit ----

type auditRow struct {
	ID         string         `db:"id"`
	At         time.Time      `db:"at"`
	ActorKind  string         `db:"actor_kind"`
	ActorID    string         `db:"actor_id"`
	AgencyID   sql.NullString `db:"agency_id"`
	Action     string         `db:"action"`
	TargetKind string         `db:"target_kind"`
	TargetID   string         `db:"target_id"`
	Outcome    string         `db:"outcome"`
	ClientIP   string         `db:"client_ip"`
	RequestID  string         `db:"request_id"`
	Detail     string         `db:"detail"`
}

const auditColumns = `id, at, actor_kind, actor_id, agency_id, action, target_kind, target_id, outcome, client_ip, request_id, detail`

func (s *Store) AppendAudit(ctx context.Context, e auth.AuditEntry) error {
	return s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO auth_audit (`+auditColumns+`)
			VALUES (:id, :at, :actor_kind, :actor_id, :agency_id, :action, :target_kind, :target_id, :outcome, :client_ip, :request_id, :detail)`,
			auditRow{ID: e.ID, At: utc(e.At), ActorKind: e.ActorKind, ActorID: e.ActorID, AgencyID: nullString(e.AgencyID),
				Action: e.Action, TargetKind: e.TargetKind, TargetID: e.TargetID, Outcome: e.Outcome, ClientIP: e.ClientIP,
				RequestID: e.RequestID, Detail: e.Detail})
		return db.MapError(err)
	})
}

func (s *Store) ListAudit(ctx context.Context, q auth.AuditQuery, after auth.AuditCursor, limit int) ([]auth.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if q.ActorID != "" {
		add("actor_id = ?", q.ActorID)
	}
	if q.TargetKind != "" {
		add("target_kind = ?", q.TargetKind)
	}
	if q.TargetID != "" {
		add("target_id = ?", q.TargetID)
	}
	if !q.From.IsZero() {
		add("at >= ?", utc(q.From))
	}
	if !q.To.IsZero() {
		add("at < ?", utc(q.To))
	}
	if after.ID != "" {
		where = append(where, "(at, id) > (?, ?)")
		args = append(args, utc(after.At), after.ID)
	}
	query := `SELECT ` + auditColumns + ` FROM auth_audit`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY at, id LIMIT ?`
	args = append(args, limit)
	var rows []auditRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return nil, db.MapError(err)
	}
	out := make([]auth.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = auth.AuditEntry{ID: r.ID, At: utc(r.At), ActorKind: r.ActorKind, ActorID: r.ActorID, AgencyID: r.AgencyID.String,
			Action: r.Action, TargetKind: r.TargetKind, TargetID: r.TargetID, Outcome: r.Outcome, ClientIP: r.ClientIP,
			RequestID: r.RequestID, Detail: r.Detail}
	}
	return out, nil
}

// oneRow turns an update that touched no row into ErrNotFound.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return db.MapError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no such row: %w", core.ErrNotFound)
	}
	return nil
}
