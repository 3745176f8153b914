-- What the citizen should bring to a meeting of the type, in both languages:
-- invitations, reminders and the manage page show it.

-- +goose Up
ALTER TABLE booking_meeting_types ADD COLUMN what_to_bring_sv TEXT NOT NULL DEFAULT '';
ALTER TABLE booking_meeting_types ADD COLUMN what_to_bring_en TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE booking_meeting_types DROP COLUMN what_to_bring_en;
ALTER TABLE booking_meeting_types DROP COLUMN what_to_bring_sv;
