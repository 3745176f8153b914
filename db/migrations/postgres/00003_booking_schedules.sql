-- Booking I: administration of the directory, staff members and their
-- schedules, absences, agency closures and holiday settings, and the
-- appointments and holds that block time.

-- +goose Up
ALTER TABLE booking_agencies ADD COLUMN open_holidays text NOT NULL DEFAULT '';

ALTER TABLE booking_offices ADD COLUMN directions text NOT NULL DEFAULT '';
ALTER TABLE booking_offices ADD COLUMN step_free_access boolean NOT NULL DEFAULT false;
ALTER TABLE booking_offices ADD COLUMN hearing_loop boolean NOT NULL DEFAULT false;
ALTER TABLE booking_offices ADD COLUMN accessible_parking boolean NOT NULL DEFAULT false;
ALTER TABLE booking_offices ADD COLUMN retired_at timestamptz;

ALTER TABLE booking_meeting_types ADD COLUMN buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240);
ALTER TABLE booking_meeting_types ADD COLUMN buffer_after_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240);
ALTER TABLE booking_meeting_types ADD COLUMN slot_step_minutes integer NOT NULL DEFAULT 15 CHECK (slot_step_minutes BETWEEN 5 AND 480);
ALTER TABLE booking_meeting_types ADD COLUMN minimum_notice_minutes integer NOT NULL DEFAULT 120 CHECK (minimum_notice_minutes >= 0);
ALTER TABLE booking_meeting_types ADD COLUMN booking_horizon_days integer NOT NULL DEFAULT 60 CHECK (booking_horizon_days BETWEEN 1 AND 730);
ALTER TABLE booking_meeting_types ADD COLUMN cancellation_cutoff_minutes integer NOT NULL DEFAULT 1440 CHECK (cancellation_cutoff_minutes >= 0);
ALTER TABLE booking_meeting_types ADD COLUMN citizen_bookable boolean NOT NULL DEFAULT true;
ALTER TABLE booking_meeting_types ADD COLUMN max_active_per_citizen integer NOT NULL DEFAULT 2 CHECK (max_active_per_citizen BETWEEN 1 AND 100);
ALTER TABLE booking_meeting_types ADD COLUMN retired_at timestamptz;

CREATE TABLE booking_staff (
    id              uuid PRIMARY KEY,
    agency_id       uuid NOT NULL REFERENCES booking_agencies (id),
    account_id      uuid UNIQUE,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    title           text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    mode_phone      boolean NOT NULL,
    mode_video      boolean NOT NULL,
    mode_in_person  boolean NOT NULL,
    weekly_hours    text NOT NULL DEFAULT '[]',
    exceptions      text NOT NULL DEFAULT '[]',
    retired_at      timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX booking_staff_agency_idx ON booking_staff (agency_id, name);

CREATE TABLE booking_staff_meeting_types (
    staff_id         uuid NOT NULL REFERENCES booking_staff (id) ON DELETE CASCADE,
    meeting_type_id  uuid NOT NULL REFERENCES booking_meeting_types (id),
    PRIMARY KEY (staff_id, meeting_type_id)
);
CREATE INDEX booking_staff_meeting_types_type_idx ON booking_staff_meeting_types (meeting_type_id);

CREATE TABLE booking_staff_offices (
    staff_id   uuid NOT NULL REFERENCES booking_staff (id) ON DELETE CASCADE,
    office_id  uuid NOT NULL REFERENCES booking_offices (id),
    PRIMARY KEY (staff_id, office_id)
);

-- Absences and closures are kept in the agency's local wall-clock time
-- ('2026-07-06T08:00'), as people enter them; the engine places them in
-- the zone, so they stay right across daylight-saving changes.
CREATE TABLE booking_absences (
    id          uuid PRIMARY KEY,
    staff_id    uuid NOT NULL REFERENCES booking_staff (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('vacation', 'sick', 'training', 'other')),
    start_local text NOT NULL,
    end_local   text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX booking_absences_staff_idx ON booking_absences (staff_id, end_local);

CREATE TABLE booking_closures (
    id          uuid PRIMARY KEY,
    agency_id   uuid NOT NULL REFERENCES booking_agencies (id),
    start_local text NOT NULL,
    end_local   text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX booking_closures_agency_idx ON booking_closures (agency_id, end_local);

-- Time a staff member is taken: booked appointments and short-lived holds.
-- blocked_from/blocked_to include the buffers. The exclusion constraint is
-- the guarantee that no two of a staff member's blocks overlap.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE booking_blocks (
    id              uuid PRIMARY KEY,
    staff_id        uuid NOT NULL REFERENCES booking_staff (id),
    kind            text NOT NULL CHECK (kind IN ('appointment', 'hold')),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    blocked_from    timestamptz NOT NULL,
    blocked_to      timestamptz NOT NULL,
    expires_at      timestamptz,
    CHECK (starts_at < ends_at AND blocked_from <= starts_at AND ends_at <= blocked_to),
    EXCLUDE USING gist (staff_id WITH =, tstzrange(blocked_from, blocked_to, '[)') WITH &&)
);
CREATE INDEX booking_blocks_staff_idx ON booking_blocks (staff_id, blocked_to);

-- +goose Down
DROP TABLE booking_blocks;
DROP TABLE booking_closures;
DROP TABLE booking_absences;
DROP TABLE booking_staff_offices;
DROP TABLE booking_staff_meeting_types;
DROP TABLE booking_staff;
ALTER TABLE booking_meeting_types DROP COLUMN retired_at, DROP COLUMN max_active_per_citizen,
    DROP COLUMN citizen_bookable, DROP COLUMN cancellation_cutoff_minutes, DROP COLUMN booking_horizon_days,
    DROP COLUMN minimum_notice_minutes, DROP COLUMN slot_step_minutes, DROP COLUMN buffer_after_minutes,
    DROP COLUMN buffer_before_minutes;
ALTER TABLE booking_offices DROP COLUMN retired_at, DROP COLUMN accessible_parking, DROP COLUMN hearing_loop,
    DROP COLUMN step_free_access, DROP COLUMN directions;
ALTER TABLE booking_agencies DROP COLUMN open_holidays;
