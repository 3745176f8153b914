-- Notify: every message stored before it is sent, reminders, webhook
-- subscriptions and deliveries, calendar feed tokens, and how far notify
-- has read the other services' events.

-- +goose Up
CREATE TABLE notify_messages (
    id              TEXT PRIMARY KEY,
    dedupe_key      TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    body            BLOB NOT NULL,
    agency_id       TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX notify_messages_due_idx ON notify_messages (status, next_attempt_at);

CREATE TABLE notify_reminders (
    appointment_id TEXT PRIMARY KEY,
    sequence       INTEGER NOT NULL,
    due_at         TIMESTAMP NOT NULL,
    sent_sequence  INTEGER
);
CREATE INDEX notify_reminders_due_idx ON notify_reminders (due_at);

CREATE TABLE notify_webhooks (
    id           TEXT PRIMARY KEY,
    agency_id    TEXT NOT NULL,
    url          TEXT NOT NULL,
    event_types  TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    disabled_at  TIMESTAMP
);
CREATE INDEX notify_webhooks_agency_idx ON notify_webhooks (agency_id);

CREATE TABLE notify_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES notify_webhooks (id),
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX notify_deliveries_due_idx ON notify_deliveries (status, next_attempt_at);
CREATE INDEX notify_deliveries_webhook_idx ON notify_deliveries (webhook_id, created_at);

CREATE TABLE notify_feed_tokens (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('citizen', 'staff')),
    owner_id    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);
CREATE INDEX notify_feed_tokens_owner_idx ON notify_feed_tokens (owner_kind, owner_id);

CREATE TABLE notify_consumed (
    event_id    TEXT PRIMARY KEY,
    consumed_at TIMESTAMP NOT NULL
);
CREATE TABLE notify_cursors (
    consumer TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);

-- +goose Down
DROP TABLE notify_cursors;
DROP TABLE notify_consumed;
DROP TABLE notify_feed_tokens;
DROP TABLE notify_deliveries;
DROP TABLE notify_webhooks;
DROP TABLE notify_reminders;
DROP TABLE notify_messages;
