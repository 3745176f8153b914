-- Auth: citizens, staff, integration clients, sign-in challenges, refresh
-- tokens, signing keys and the audit log. Auth owns every table prefixed auth_.

-- +goose Up
CREATE TABLE auth_citizens (
    id            TEXT PRIMARY KEY,
    email         TEXT UNIQUE,
    phone         TEXT UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    pin_sealed    BLOB,
    pin_lookup    TEXT UNIQUE,
    notify_email  BOOLEAN NOT NULL DEFAULT 1,
    notify_sms    BOOLEAN NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR pin_lookup IS NOT NULL)
);

CREATE TABLE auth_staff (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('caseworker', 'agency_admin', 'system_admin')),
    agency_id       TEXT,
    password_hash   TEXT NOT NULL,
    totp_sealed     BLOB,
    totp_enabled    BOOLEAN NOT NULL DEFAULT 0,
    disabled        BOOLEAN NOT NULL DEFAULT 0,
    last_login_at   TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CHECK ((role = 'system_admin') = (agency_id IS NULL))
);
CREATE INDEX auth_staff_agency_idx ON auth_staff (agency_id, name);

CREATE TABLE auth_identities (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    citizen_id  TEXT REFERENCES auth_citizens (id),
    staff_id    TEXT REFERENCES auth_staff (id),
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject),
    CHECK ((citizen_id IS NULL) <> (staff_id IS NULL))
);

CREATE TABLE auth_clients (
    id           TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX auth_clients_agency_idx ON auth_clients (agency_id, created_at);

CREATE TABLE auth_challenges (
    id           TEXT PRIMARY KEY,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    destination  TEXT NOT NULL,
    language     TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    expires_at   TIMESTAMP NOT NULL,
    consumed_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX auth_challenges_destination_idx ON auth_challenges (destination, created_at);

CREATE TABLE auth_refresh_tokens (
    id            TEXT PRIMARY KEY,
    family_id     TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    subject_kind  TEXT NOT NULL CHECK (subject_kind IN ('citizen', 'staff')),
    subject_id    TEXT NOT NULL,
    expires_at    TIMESTAMP NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    rotated_at    TIMESTAMP,
    revoked_at    TIMESTAMP
);
CREATE INDEX auth_refresh_tokens_family_idx ON auth_refresh_tokens (family_id);

CREATE TABLE auth_signing_keys (
    kid          TEXT PRIMARY KEY,
    private_key  BLOB NOT NULL,
    public_key   BLOB NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    retired_at   TIMESTAMP
);

CREATE TABLE auth_throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    locked_until  TIMESTAMP,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE auth_audit (
    id           TEXT PRIMARY KEY,
    at           TIMESTAMP NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    agency_id    TEXT,
    action       TEXT NOT NULL,
    target_kind  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    client_ip    TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_audit_at_idx ON auth_audit (at, id);
CREATE INDEX auth_audit_target_idx ON auth_audit (target_kind, target_id, at);

-- The audit log is append-only: the database itself refuses changes.
-- +goose StatementBegin
CREATE TRIGGER auth_audit_no_update BEFORE UPDATE ON auth_audit
BEGIN
    SELECT RAISE(ABORT, 'auth_audit is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER auth_audit_no_delete BEFORE DELETE ON auth_audit
BEGIN
    SELECT RAISE(ABORT, 'auth_audit is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER auth_audit_no_delete;
DROP TRIGGER auth_audit_no_update;
DROP TABLE auth_audit;
DROP TABLE auth_throttle;
DROP TABLE auth_signing_keys;
DROP TABLE auth_refresh_tokens;
DROP TABLE auth_challenges;
DROP TABLE auth_clients;
DROP TABLE auth_identities;
DROP TABLE auth_staff;
DROP TABLE auth_citizens;
