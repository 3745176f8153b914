-- Notify: every message stored before it is sent, reminders, webhook
-- subscriptions and deliveries, calendar feed tokens, and how far notify
-- has read the other services' events.

-- +goose Up
CREATE TABLE notify_messages (
    id              uuid PRIMARY KEY,
    dedupe_key      text NOT NULL UNIQUE,
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       text NOT NULL,
    message_id      text NOT NULL,
    subject         text NOT NULL DEFAULT '',
    body            bytea NOT NULL,
    agency_id       uuid,
    status          text NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz
);
CREATE INDEX notify_messages_due_idx ON notify_messages (status, next_attempt_at);

CREATE TABLE notify_reminders (
    appointment_id uuid PRIMARY KEY,
    sequence       integer NOT NULL,
    due_at         timestamptz NOT NULL,
    sent_sequence  integer
);
CREATE INDEX notify_reminders_due_idx ON notify_reminders (due_at);

CREATE TABLE notify_webhooks (
    id           uuid PRIMARY KEY,
    agency_id    uuid NOT NULL,
    url          text NOT NULL,
    event_types  text NOT NULL,
    secret       text NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    disabled_at  timestamptz
);
CREATE INDEX notify_webhooks_agency_idx ON notify_webhooks (agency_id);

CREATE TABLE notify_deliveries (
    id              uuid PRIMARY KEY,
    webhook_id      uuid NOT NULL REFERENCES notify_webhooks (id),
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    payload         text NOT NULL,
    status          text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_status     integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX notify_deliveries_due_idx ON notify_deliveries (status, next_attempt_at);
CREATE INDEX notify_deliveries_webhook_idx ON notify_deliveries (webhook_id, created_at);

CREATE TABLE notify_feed_tokens (
    id          uuid PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    owner_kind  text NOT NULL CHECK (owner_kind IN ('citizen', 'staff')),
    owner_id    uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX notify_feed_tokens_owner_idx ON notify_feed_tokens (owner_kind, owner_id);

CREATE TABLE notify_consumed (
    event_id    text PRIMARY KEY,
    consumed_at timestamptz NOT NULL
);
CREATE TABLE notify_cursors (
    consumer text PRIMARY KEY,
    position bigint NOT NULL
);

-- +goose Down
DROP TABLE notify_cursors;
DROP TABLE notify_consumed;
DROP TABLE notify_feed_tokens;
DROP TABLE notify_deliveries;
DROP TABLE notify_webhooks;
DROP TABLE notify_reminders;
DROP TABLE notify_messages;
