-- Booking I: administration of the directory, staff members and their
-- schedules, absences, agency closures and holiday settings, and the
-- appointments and holds that block time.

-- +goose Up
ALTER TABLE booking_agencies ADD COLUMN open_holidays TEXT NOT NULL DEFAULT '';

ALTER TABLE booking_offices ADD COLUMN directions TEXT NOT NULL DEFAULT '';
ALTER TABLE booking_offices ADD COLUMN step_free_access BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE booking_offices ADD COLUMN hearing_loop BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE booking_offices ADD COLUMN accessible_parking BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE booking_offices ADD COLUMN retired_at TIMESTAMP;

ALTER TABLE booking_meeting_types ADD COLUMN buffer_before_minutes INTEGER NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240);
ALTER TABLE booking_meeting_types ADD COLUMN buffer_after_minutes INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240);
ALTER TABLE booking_meeting_types ADD COLUMN slot_step_minutes INTEGER NOT NULL DEFAULT 15 CHECK (slot_step_minutes BETWEEN 5 AND 480);
ALTER TABLE booking_meeting_types ADD COLUMN minimum_notice_minutes INTEGER NOT NULL DEFAULT 120 CHECK (minimum_notice_minutes >= 0);
ALTER TABLE booking_meeting_types ADD COLUMN booking_horizon_days INTEGER NOT NULL DEFAULT 60 CHECK (booking_horizon_days BETWEEN 1 AND 730);
ALTER TABLE booking_meeting_types ADD COLUMN cancellation_cutoff_minutes INTEGER NOT NULL DEFAULT 1440 CHECK (cancellation_cutoff_minutes >= 0);
ALTER TABLE booking_meeting_types ADD COLUMN citizen_bookable BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE booking_meeting_types ADD COLUMN max_active_per_citizen INTEGER NOT NULL DEFAULT 2 CHECK (max_active_per_citizen BETWEEN 1 AND 100);
ALTER TABLE booking_meeting_types ADD COLUMN retired_at TIMESTAMP;

CREATE TABLE booking_staff (
    id              TEXT PRIMARY KEY,
    agency_id       TEXT NOT NULL REFERENCES booking_agencies (id),
    account_id      TEXT UNIQUE,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    title           TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    mode_phone      BOOLEAN NOT NULL,
    mode_video      BOOLEAN NOT NULL,
    mode_in_person  BOOLEAN NOT NULL,
    weekly_hours    TEXT NOT NULL DEFAULT '[]',
    exceptions      TEXT NOT NULL DEFAULT '[]',
    retired_at      TIMESTAMP,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX booking_staff_agency_idx ON booking_staff (agency_id, name);

CREATE TABLE booking_staff_meeting_types (
    staff_id         TEXT NOT NULL REFERENCES booking_staff (id) ON DELETE CASCADE,
    meeting_type_id  TEXT NOT NULL REFERENCES booking_meeting_types (id),
    PRIMARY KEY (staff_id, meeting_type_id)
);
CREATE INDEX booking_staff_meeting_types_type_idx ON booking_staff_meeting_types (meeting_type_id);

CREATE TABLE booking_staff_offices (
    staff_id   TEXT NOT NULL REFERENCES booking_staff (id) ON DELETE CASCADE,
    office_id  TEXT NOT NULL REFERENCES booking_offices (id),
    PRIMARY KEY (staff_id, office_id)
);

-- Absences and closures are kept in the agency's local wall-clock time
-- ('2026-07-06T08:00'), as people enter them; the engine places them in
-- the zone, so they stay right across daylight-saving changes.
CREATE TABLE booking_absences (
    id          TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES booking_staff (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('vacation', 'sick', 'training', 'other')),
    start_local TEXT NOT NULL,
    end_local   TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX booking_absences_staff_idx ON booking_absences (staff_id, end_local);

CREATE TABLE booking_closures (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES booking_agencies (id),
    start_local TEXT NOT NULL,
    end_local   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX booking_closures_agency_idx ON booking_closures (agency_id, end_local);

-- Time a staff member is taken: booked appointments and short-lived holds.
-- blocked_from/blocked_to include the buffers. SQLite has no exclusion
-- constraint: writers serialize (BEGIN IMMEDIATE) and check for overlap.
-- SQLite keeps these instants as Unix milliseconds: availability reads tens
-- of thousands of them, and integers compare and scan far faster than text.
CREATE TABLE booking_blocks (
    id              TEXT PRIMARY KEY,
    staff_id        TEXT NOT NULL REFERENCES booking_staff (id),
    kind            TEXT NOT NULL CHECK (kind IN ('appointment', 'hold')),
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    blocked_from    INTEGER NOT NULL,
    blocked_to      INTEGER NOT NULL,
    expires_at      INTEGER,
    CHECK (starts_at < ends_at AND blocked_from <= starts_at AND ends_at <= blocked_to)
);
CREATE INDEX booking_blocks_staff_idx ON booking_blocks (staff_id, blocked_to);

-- +goose Down
DROP TABLE booking_blocks;
DROP TABLE booking_closures;
DROP TABLE booking_absences;
DROP TABLE booking_staff_offices;
DROP TABLE booking_staff_meeting_types;
DROP TABLE booking_staff;
ALTER TABLE booking_meeting_types DROP COLUMN retired_at;
ALTER TABLE booking_meeting_types DROP COLUMN max_active_per_citizen;
ALTER TABLE booking_meeting_types DROP COLUMN citizen_bookable;
ALTER TABLE booking_meeting_types DROP COLUMN cancellation_cutoff_minutes;
ALTER TABLE booking_meeting_types DROP COLUMN booking_horizon_days;
ALTER TABLE booking_meeting_types DROP COLUMN minimum_notice_minutes;
ALTER TABLE booking_meeting_types DROP COLUMN slot_step_minutes;
ALTER TABLE booking_meeting_types DROP COLUMN buffer_after_minutes;
ALTER TABLE booking_meeting_types DROP COLUMN buffer_before_minutes;
ALTER TABLE booking_offices DROP COLUMN retired_at;
ALTER TABLE booking_offices DROP COLUMN accessible_parking;
ALTER TABLE booking_offices DROP COLUMN hearing_loop;
ALTER TABLE booking_offices DROP COLUMN step_free_access;
ALTER TABLE booking_offices DROP COLUMN directions;
ALTER TABLE booking_agencies DROP COLUMN open_holidays;
