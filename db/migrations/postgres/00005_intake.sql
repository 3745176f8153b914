-- Intake: case categories, cases with their references, timelines and
-- outbox, and what intake has consumed of booking's events.

-- +goose Up
CREATE TABLE intake_agencies (
    agency_id        uuid PRIMARY KEY,
    reference_prefix text NOT NULL CHECK (reference_prefix ~ '^[A-Z]{2,6}$')
);

CREATE TABLE intake_categories (
    id                 uuid PRIMARY KEY,
    agency_id          uuid NOT NULL,
    name_sv            text NOT NULL,
    name_en            text NOT NULL,
    description_sv     text NOT NULL DEFAULT '',
    description_en     text NOT NULL DEFAULT '',
    meeting_type_ids   text NOT NULL DEFAULT '',
    first_contact_days integer NOT NULL CHECK (first_contact_days BETWEEN 0 AND 365),
    resolution_days    integer NOT NULL CHECK (resolution_days BETWEEN 1 AND 3650),
    requires_pin       boolean NOT NULL DEFAULT false,
    is_complaint       boolean NOT NULL DEFAULT false,
    retired_at         timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX intake_categories_agency_idx ON intake_categories (agency_id, name_sv);

-- One counter per agency and year hands out case references.
CREATE TABLE intake_reference_counters (
    agency_id uuid NOT NULL,
    year      integer NOT NULL,
    last      integer NOT NULL,
    PRIMARY KEY (agency_id, year)
);

CREATE TABLE intake_cases (
    id                   uuid PRIMARY KEY,
    agency_id            uuid NOT NULL,
    reference            text NOT NULL UNIQUE,
    category_id          uuid NOT NULL REFERENCES intake_categories (id),
    subject              text NOT NULL,
    description          text NOT NULL,
    citizen_id           uuid NOT NULL,
    preferred_modes      text NOT NULL DEFAULT '',
    preferred_times      text NOT NULL DEFAULT '',
    contact_preference   text NOT NULL DEFAULT 'email',
    language             text NOT NULL DEFAULT 'sv',
    interpreter_language text NOT NULL DEFAULT '',
    priority             text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id          uuid,
    status               text NOT NULL,
    resume_status        text NOT NULL DEFAULT '',
    first_contact_at     timestamptz,
    resolved_at          timestamptz,
    closed_at            timestamptz,
    first_contact_due    timestamptz NOT NULL,
    resolution_due       timestamptz NOT NULL,
    is_complaint         boolean NOT NULL DEFAULT false,
    created_by           text NOT NULL,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX intake_cases_queue_idx ON intake_cases (agency_id, status, resolution_due, id);
CREATE INDEX intake_cases_assignee_idx ON intake_cases (agency_id, assignee_id, resolution_due, id);
CREATE INDEX intake_cases_citizen_idx ON intake_cases (citizen_id, created_at);

CREATE TABLE intake_case_events (
    id                 uuid PRIMARY KEY,
    case_id            uuid NOT NULL REFERENCES intake_cases (id),
    kind               text NOT NULL,
    status_from        text NOT NULL DEFAULT '',
    status_to          text NOT NULL DEFAULT '',
    body               text NOT NULL DEFAULT '',
    visible_to_citizen boolean NOT NULL,
    actor              text NOT NULL,
    ref                text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL
);
CREATE INDEX intake_case_events_case_idx ON intake_case_events (case_id, created_at, id);

CREATE TABLE intake_events (
    seq          bigserial PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    aggregate_id uuid NOT NULL,
    agency_id    uuid NOT NULL,
    payload      text NOT NULL,
    occurred_at  timestamptz NOT NULL
);

-- Consumers remember how far they have read, and every event they applied.
CREATE TABLE intake_consumed (
    event_id    text PRIMARY KEY,
    consumed_at timestamptz NOT NULL
);
CREATE TABLE intake_cursors (
    consumer text PRIMARY KEY,
    position bigint NOT NULL
);

-- +goose Down
DROP TABLE intake_cursors;
DROP TABLE intake_consumed;
DROP TABLE intake_events;
DROP TABLE intake_case_events;
DROP TABLE intake_cases;
DROP TABLE intake_reference_counters;
DROP TABLE intake_categories;
DROP TABLE intake_agencies;
