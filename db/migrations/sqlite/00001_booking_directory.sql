-- Booking's directory: agencies, their offices and the meeting types they offer.
-- Booking owns every table prefixed booking_; no other service reads them.

-- +goose Up
CREATE TABLE booking_agencies (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    org_number       TEXT NOT NULL UNIQUE CHECK (org_number GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]'),
    kind             TEXT NOT NULL CHECK (kind IN ('municipality', 'region', 'healthcare', 'state_agency')),
    time_zone        TEXT NOT NULL,
    default_language TEXT NOT NULL CHECK (default_language IN ('sv', 'en')),
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX booking_agencies_name_idx ON booking_agencies (name, id);

CREATE TABLE booking_offices (
    id                  TEXT PRIMARY KEY,
    agency_id           TEXT NOT NULL REFERENCES booking_agencies (id),
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    street_address      TEXT NOT NULL,
    postal_code         TEXT NOT NULL,
    city                TEXT NOT NULL,
    opening_notes       TEXT NOT NULL DEFAULT '',
    accessibility_notes TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX booking_offices_agency_idx ON booking_offices (agency_id, name);

CREATE TABLE booking_meeting_types (
    id               TEXT PRIMARY KEY,
    agency_id        TEXT NOT NULL REFERENCES booking_agencies (id),
    name_sv          TEXT NOT NULL CHECK (length(name_sv) BETWEEN 1 AND 200),
    name_en          TEXT NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    description_sv   TEXT NOT NULL DEFAULT '',
    description_en   TEXT NOT NULL DEFAULT '',
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    mode_phone       BOOLEAN NOT NULL,
    mode_video       BOOLEAN NOT NULL,
    mode_in_person   BOOLEAN NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK (mode_phone OR mode_video OR mode_in_person)
);
CREATE INDEX booking_meeting_types_agency_idx ON booking_meeting_types (agency_id, name_sv);

-- +goose Down
DROP TABLE booking_meeting_types;
DROP TABLE booking_offices;
DROP TABLE booking_agencies;
