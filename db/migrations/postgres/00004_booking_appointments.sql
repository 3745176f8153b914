-- Booking II: appointments, holds, call-back requests, booking's outbox of
-- events, and stored answers for Idempotency-Key.

-- +goose Up
CREATE TABLE booking_holds (
    id               uuid PRIMARY KEY REFERENCES booking_blocks (id) ON DELETE CASCADE,
    agency_id        uuid NOT NULL,
    meeting_type_id  uuid NOT NULL REFERENCES booking_meeting_types (id),
    mode             text NOT NULL CHECK (mode IN ('phone', 'video', 'in_person')),
    office_id        uuid REFERENCES booking_offices (id),
    holder           text NOT NULL,
    created_at       timestamptz NOT NULL
);

CREATE TABLE booking_appointments (
    id                    uuid PRIMARY KEY,
    agency_id             uuid NOT NULL REFERENCES booking_agencies (id),
    meeting_type_id       uuid NOT NULL REFERENCES booking_meeting_types (id),
    staff_id              uuid NOT NULL REFERENCES booking_staff (id),
    citizen_id            uuid NOT NULL,
    case_id               uuid,
    mode                  text NOT NULL CHECK (mode IN ('phone', 'video', 'in_person')),
    office_id             uuid REFERENCES booking_offices (id),
    room                  text NOT NULL DEFAULT '',
    phone_number          text NOT NULL DEFAULT '',
    phone_direction       text NOT NULL DEFAULT '' CHECK (phone_direction IN ('', 'agency_calls', 'citizen_calls')),
    video_url             text NOT NULL DEFAULT '',
    status                text NOT NULL CHECK (status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')),
    starts_at             timestamptz NOT NULL,
    ends_at               timestamptz NOT NULL,
    buffer_before_minutes integer NOT NULL,
    buffer_after_minutes  integer NOT NULL,
    block_id              uuid UNIQUE REFERENCES booking_blocks (id),
    notes                 text NOT NULL DEFAULT '',
    interpreter_language  text NOT NULL DEFAULT '',
    accessibility         text NOT NULL DEFAULT '',
    accessibility_other   text NOT NULL DEFAULT '',
    cancel_reason         text NOT NULL DEFAULT '',
    booked_by             text NOT NULL,
    sequence              integer NOT NULL DEFAULT 0,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CHECK (starts_at < ends_at),
    CHECK ((mode = 'in_person') = (office_id IS NOT NULL))
);
CREATE INDEX booking_appointments_citizen_idx ON booking_appointments (citizen_id, starts_at);
CREATE INDEX booking_appointments_agency_idx ON booking_appointments (agency_id, starts_at, id);
CREATE INDEX booking_appointments_staff_idx ON booking_appointments (staff_id, starts_at);

CREATE TABLE booking_callbacks (
    id               uuid PRIMARY KEY,
    agency_id        uuid NOT NULL REFERENCES booking_agencies (id),
    meeting_type_id  uuid REFERENCES booking_meeting_types (id),
    topic            text NOT NULL DEFAULT '',
    citizen_id       uuid,
    phone_number     text NOT NULL,
    earliest         timestamptz NOT NULL,
    latest           timestamptz NOT NULL,
    case_id          uuid,
    language         text NOT NULL DEFAULT 'sv',
    status           text NOT NULL CHECK (status IN ('waiting', 'claimed', 'completed', 'withdrawn', 'unreachable')),
    attempts         integer NOT NULL DEFAULT 0,
    claimed_by       uuid,
    claimed_at       timestamptz,
    completed_at     timestamptz,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (earliest < latest)
);
CREATE INDEX booking_callbacks_queue_idx ON booking_callbacks (agency_id, status, earliest, created_at);

-- Booking's outbox: every change of an appointment or call-back, written in
-- the same transaction as the change. Consumers read it in seq order.
CREATE TABLE booking_events (
    seq          bigserial PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    aggregate_id uuid NOT NULL,
    agency_id    uuid NOT NULL,
    payload      text NOT NULL,
    occurred_at  timestamptz NOT NULL
);

-- Answers to requests that carried an Idempotency-Key, kept 24 hours.
CREATE TABLE http_idempotency (
    key           text NOT NULL,
    principal     text NOT NULL,
    route         text NOT NULL,
    request_hash  text NOT NULL,
    status        integer NOT NULL DEFAULT 0,
    content_type  text NOT NULL DEFAULT '',
    headers       text NOT NULL DEFAULT '', -- JSON: the replayed response headers (ETag, Location, ...)
    body          bytea,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX http_idempotency_created_idx ON http_idempotency (created_at);

-- +goose Down
DROP TABLE http_idempotency;
DROP TABLE booking_events;
DROP TABLE booking_callbacks;
DROP TABLE booking_appointments;
DROP TABLE booking_holds;
