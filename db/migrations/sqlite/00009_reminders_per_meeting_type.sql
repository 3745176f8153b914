-- How long before a meeting its reminder goes out, per meeting type.

-- +goose Up
ALTER TABLE booking_meeting_types ADD COLUMN reminder_minutes INTEGER NOT NULL DEFAULT 1440
    CHECK (reminder_minutes BETWEEN 0 AND 20160);

-- +goose Down
ALTER TABLE booking_meeting_types DROP COLUMN reminder_minutes;
