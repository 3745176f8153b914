-- Booking II: appointments, holds, call-back requests, booking's outbox of
-- events, and stored answers for Idempotency-Key.

-- +goose Up
CREATE TABLE booking_holds (
    id               TEXT PRIMARY KEY REFERENCES booking_blocks (id) ON DELETE CASCADE,
    agency_id        TEXT NOT NULL,
    meeting_type_id  TEXT NOT NULL REFERENCES booking_meeting_types (id),
    mode             TEXT NOT NULL CHECK (mode IN ('phone', 'video', 'in_person')),
    office_id        TEXT REFERENCES booking_offices (id),
    holder           TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);

CREATE TABLE booking_appointments (
    id                    TEXT PRIMARY KEY,
    agency_id             TEXT NOT NULL REFERENCES booking_agencies (id),
    meeting_type_id       TEXT NOT NULL REFERENCES booking_meeting_types (id),
    staff_id              TEXT NOT NULL REFERENCES booking_staff (id),
    citizen_id            TEXT NOT NULL,
    case_id               TEXT,
    mode                  TEXT NOT NULL CHECK (mode IN ('phone', 'video', 'in_person')),
    office_id             TEXT REFERENCES booking_offices (id),
    room                  TEXT NOT NULL DEFAULT '',
    phone_number          TEXT NOT NULL DEFAULT '',
    phone_direction       TEXT NOT NULL DEFAULT '' CHECK (phone_direction IN ('', 'agency_calls', 'citizen_calls')),
    video_url             TEXT NOT NULL DEFAULT '',
    status                TEXT NOT NULL CHECK (status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')),
    starts_at             TIMESTAMP NOT NULL,
    ends_at               TIMESTAMP NOT NULL,
    buffer_before_minutes INTEGER NOT NULL,
    buffer_after_minutes  INTEGER NOT NULL,
    block_id              TEXT UNIQUE REFERENCES booking_blocks (id),
    notes                 TEXT NOT NULL DEFAULT '',
    interpreter_language  TEXT NOT NULL DEFAULT '',
    accessibility         TEXT NOT NULL DEFAULT '',
    accessibility_other   TEXT NOT NULL DEFAULT '',
    cancel_reason         TEXT NOT NULL DEFAULT '',
    booked_by             TEXT NOT NULL,
    sequence              INTEGER NOT NULL DEFAULT 0,
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    CHECK (starts_at < ends_at),
    CHECK ((mode = 'in_person') = (office_id IS NOT NULL))
);
CREATE INDEX booking_appointments_citizen_idx ON booking_appointments (citizen_id, starts_at);
CREATE INDEX booking_appointments_agency_idx ON booking_appointments (agency_id, starts_at, id);
CREATE INDEX booking_appointments_staff_idx ON booking_appointments (staff_id, starts_at);

CREATE TABLE booking_callbacks (
    id               TEXT PRIMARY KEY,
    agency_id        TEXT NOT NULL REFERENCES booking_agencies (id),
    meeting_type_id  TEXT REFERENCES booking_meeting_types (id),
    topic            TEXT NOT NULL DEFAULT '',
    citizen_id       TEXT,
    phone_number     TEXT NOT NULL,
    earliest         TIMESTAMP NOT NULL,
    latest           TIMESTAMP NOT NULL,
    case_id          TEXT,
    language         TEXT NOT NULL DEFAULT 'sv',
    status           TEXT NOT NULL CHECK (status IN ('waiting', 'claimed', 'completed', 'withdrawn', 'unreachable')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    claimed_by       TEXT,
    claimed_at       TIMESTAMP,
    completed_at     TIMESTAMP,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK (earliest < latest)
);
CREATE INDEX booking_callbacks_queue_idx ON booking_callbacks (agency_id, status, earliest, created_at);

-- Booking's outbox: every change of an appointment or call-back, written in
-- the same transaction as the change. Consumers read it in seq order.
CREATE TABLE booking_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    agency_id    TEXT NOT NULL,
    payload      TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL
);

-- Answers to requests that carried an Idempotency-Key, kept 24 hours.
CREATE TABLE http_idempotency (
    key           TEXT NOT NULL,
    principal     TEXT NOT NULL,
    route         TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0,
    content_type  TEXT NOT NULL DEFAULT '',
    headers       TEXT NOT NULL DEFAULT '', -- JSON: the replayed response headers (ETag, Location, ...)
    body          BLOB,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX http_idempotency_created_idx ON http_idempotency (created_at);

-- +goose Down
DROP TABLE http_idempotency;
DROP TABLE booking_events;
DROP TABLE booking_callbacks;
DROP TABLE booking_appointments;
DROP TABLE booking_holds;
