-- Intake: case categories, cases with their references, timelines and
-- outbox, and what intake has consumed of booking's events.

-- +goose Up
CREATE TABLE intake_agencies (
    agency_id        TEXT PRIMARY KEY,
    reference_prefix TEXT NOT NULL CHECK (length(reference_prefix) BETWEEN 2 AND 6)
);

CREATE TABLE intake_categories (
    id                 TEXT PRIMARY KEY,
    agency_id          TEXT NOT NULL,
    name_sv            TEXT NOT NULL,
    name_en            TEXT NOT NULL,
    description_sv     TEXT NOT NULL DEFAULT '',
    description_en     TEXT NOT NULL DEFAULT '',
    meeting_type_ids   TEXT NOT NULL DEFAULT '',
    first_contact_days INTEGER NOT NULL CHECK (first_contact_days BETWEEN 0 AND 365),
    resolution_days    INTEGER NOT NULL CHECK (resolution_days BETWEEN 1 AND 3650),
    requires_pin       BOOLEAN NOT NULL DEFAULT 0,
    is_complaint       BOOLEAN NOT NULL DEFAULT 0,
    retired_at         TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX intake_categories_agency_idx ON intake_categories (agency_id, name_sv);

-- One counter per agency and year hands out case references.
CREATE TABLE intake_reference_counters (
    agency_id TEXT NOT NULL,
    year      INTEGER NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (agency_id, year)
);

CREATE TABLE intake_cases (
    id                   TEXT PRIMARY KEY,
    agency_id            TEXT NOT NULL,
    reference            TEXT NOT NULL UNIQUE,
    category_id          TEXT NOT NULL REFERENCES intake_categories (id),
    subject              TEXT NOT NULL,
    description          TEXT NOT NULL,
    citizen_id           TEXT NOT NULL,
    preferred_modes      TEXT NOT NULL DEFAULT '',
    preferred_times      TEXT NOT NULL DEFAULT '',
    contact_preference   TEXT NOT NULL DEFAULT 'email',
    language             TEXT NOT NULL DEFAULT 'sv',
    interpreter_language TEXT NOT NULL DEFAULT '',
    priority             TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id          TEXT,
    status               TEXT NOT NULL,
    resume_status        TEXT NOT NULL DEFAULT '',
    first_contact_at     TIMESTAMP,
    resolved_at          TIMESTAMP,
    closed_at            TIMESTAMP,
    first_contact_due    TIMESTAMP NOT NULL,
    resolution_due       TIMESTAMP NOT NULL,
    is_complaint         BOOLEAN NOT NULL DEFAULT 0,
    created_by           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL
);
CREATE INDEX intake_cases_queue_idx ON intake_cases (agency_id, status, resolution_due, id);
CREATE INDEX intake_cases_assignee_idx ON intake_cases (agency_id, assignee_id, resolution_due, id);
CREATE INDEX intake_cases_citizen_idx ON intake_cases (citizen_id, created_at);

CREATE TABLE intake_case_events (
    id                 TEXT PRIMARY KEY,
    case_id            TEXT NOT NULL REFERENCES intake_cases (id),
    kind               TEXT NOT NULL,
    status_from        TEXT NOT NULL DEFAULT '',
    status_to          TEXT NOT NULL DEFAULT '',
    body               TEXT NOT NULL DEFAULT '',
    visible_to_citizen BOOLEAN NOT NULL,
    actor              TEXT NOT NULL,
    ref                TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX intake_case_events_case_idx ON intake_case_events (case_id, created_at, id);

CREATE TABLE intake_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    agency_id    TEXT NOT NULL,
    payload      TEXT NOT NULL,
    occurred_at  TIMESTAMP NOT NULL
);

-- Consumers remember how far they have read, and every event they applied.
CREATE TABLE intake_consumed (
    event_id    TEXT PRIMARY KEY,
    consumed_at TIMESTAMP NOT NULL
);
CREATE TABLE intake_cursors (
    consumer TEXT PRIMARY KEY,
    position INTEGER NOT NULL
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
