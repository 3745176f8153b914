-- Booking's directory: agencies, their offices and the meeting types they offer.
-- Booking owns every table prefixed booking_; no other service reads them.

-- +goose Up
CREATE TABLE booking_agencies (
    id               uuid PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    org_number       text NOT NULL UNIQUE CHECK (org_number ~ '^[0-9]{6}-[0-9]{4}$'),
    kind             text NOT NULL CHECK (kind IN ('municipality', 'region', 'healthcare', 'state_agency')),
    time_zone        text NOT NULL,
    default_language text NOT NULL CHECK (default_language IN ('sv', 'en')),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX booking_agencies_name_idx ON booking_agencies (name, id);

CREATE TABLE booking_offices (
    id                  uuid PRIMARY KEY,
    agency_id           uuid NOT NULL REFERENCES booking_agencies (id),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    street_address      text NOT NULL,
    postal_code         text NOT NULL,
    city                text NOT NULL,
    opening_notes       text NOT NULL DEFAULT '',
    accessibility_notes text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX booking_offices_agency_idx ON booking_offices (agency_id, name);

CREATE TABLE booking_meeting_types (
    id               uuid PRIMARY KEY,
    agency_id        uuid NOT NULL REFERENCES booking_agencies (id),
    name_sv          text NOT NULL CHECK (length(name_sv) BETWEEN 1 AND 200),
    name_en          text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    description_sv   text NOT NULL DEFAULT '',
    description_en   text NOT NULL DEFAULT '',
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    mode_phone       boolean NOT NULL,
    mode_video       boolean NOT NULL,
    mode_in_person   boolean NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (mode_phone OR mode_video OR mode_in_person)
);
CREATE INDEX booking_meeting_types_agency_idx ON booking_meeting_types (agency_id, name_sv);

-- +goose Down
DROP TABLE booking_meeting_types;
DROP TABLE booking_offices;
DROP TABLE booking_agencies;
