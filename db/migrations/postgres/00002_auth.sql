-- Auth: citizens, staff, integration clients, sign-in challenges, refresh
-- tokens, signing keys and the audit log. Auth owns every table prefixed auth_.

-- +goose Up
CREATE TABLE auth_citizens (
    id            uuid PRIMARY KEY,
    email         text UNIQUE,
    phone         text UNIQUE,
    name          text NOT NULL DEFAULT '',
    language      text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    pin_sealed    bytea,
    pin_lookup    text UNIQUE,
    notify_email  boolean NOT NULL DEFAULT true,
    notify_sms    boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR pin_lookup IS NOT NULL)
);

CREATE TABLE auth_staff (
    id              uuid PRIMARY KEY,
    email           text NOT NULL UNIQUE,
    name            text NOT NULL,
    role            text NOT NULL CHECK (role IN ('caseworker', 'agency_admin', 'system_admin')),
    agency_id       uuid,
    password_hash   text NOT NULL,
    totp_sealed     bytea,
    totp_enabled    boolean NOT NULL DEFAULT false,
    disabled        boolean NOT NULL DEFAULT false,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK ((role = 'system_admin') = (agency_id IS NULL))
);
CREATE INDEX auth_staff_agency_idx ON auth_staff (agency_id, name);

-- An account at an OpenID provider, keyed by issuer and subject.
CREATE TABLE auth_identities (
    issuer      text NOT NULL,
    subject     text NOT NULL,
    citizen_id  uuid REFERENCES auth_citizens (id),
    staff_id    uuid REFERENCES auth_staff (id),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (issuer, subject),
    CHECK ((citizen_id IS NULL) <> (staff_id IS NULL))
);

CREATE TABLE auth_clients (
    id           text PRIMARY KEY,
    agency_id    uuid NOT NULL,
    name         text NOT NULL,
    secret_hash  text NOT NULL,
    scopes       text NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX auth_clients_agency_idx ON auth_clients (agency_id, created_at);

CREATE TABLE auth_challenges (
    id           uuid PRIMARY KEY,
    channel      text NOT NULL CHECK (channel IN ('email', 'sms')),
    destination  text NOT NULL,
    language     text NOT NULL,
    code_hash    text NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    created_at   timestamptz NOT NULL
);
CREATE INDEX auth_challenges_destination_idx ON auth_challenges (destination, created_at);

CREATE TABLE auth_refresh_tokens (
    id            uuid PRIMARY KEY,
    family_id     uuid NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    subject_kind  text NOT NULL CHECK (subject_kind IN ('citizen', 'staff')),
    subject_id    uuid NOT NULL,
    expires_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    rotated_at    timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX auth_refresh_tokens_family_idx ON auth_refresh_tokens (family_id);

CREATE TABLE auth_signing_keys (
    kid          text PRIMARY KEY,
    private_key  bytea NOT NULL,
    public_key   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    retired_at   timestamptz
);

-- Failed sign-ins per account and per client address, for slow-down and lockout.
CREATE TABLE auth_throttle (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    locked_until  timestamptz,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE auth_audit (
    id           uuid PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_kind   text NOT NULL,
    actor_id     text NOT NULL,
    agency_id    uuid,
    action       text NOT NULL,
    target_kind  text NOT NULL,
    target_id    text NOT NULL,
    outcome      text NOT NULL,
    client_ip    text NOT NULL,
    request_id   text NOT NULL,
    detail       text NOT NULL DEFAULT ''
);
CREATE INDEX auth_audit_at_idx ON auth_audit (at, id);
CREATE INDEX auth_audit_target_idx ON auth_audit (target_kind, target_id, at);

-- The audit log is append-only: the database itself refuses changes.
-- +goose StatementBegin
CREATE FUNCTION auth_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'auth_audit is append-only' USING ERRCODE = '42501';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER auth_audit_no_update BEFORE UPDATE OR DELETE ON auth_audit
    FOR EACH ROW EXECUTE FUNCTION auth_audit_append_only();

-- +goose Down
DROP TRIGGER auth_audit_no_update ON auth_audit;
DROP FUNCTION auth_audit_append_only();
DROP TABLE auth_audit;
DROP TABLE auth_throttle;
DROP TABLE auth_signing_keys;
DROP TABLE auth_refresh_tokens;
DROP TABLE auth_challenges;
DROP TABLE auth_clients;
DROP TABLE auth_identities;
DROP TABLE auth_staff;
DROP TABLE auth_citizens;
