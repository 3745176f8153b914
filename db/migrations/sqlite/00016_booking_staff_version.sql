-- Booking, speed: a version per staff member for what availability keeps
-- of them between calls — the schedule and the offices they work at.
--
-- Availability used to compare every eligible staff member's schedule text
-- and gather their offices on every call; with a version it reads integers
-- and fetches those details only for staff whose version moved. The version
-- comes from one counter, so it never repeats; it moves on any change of
-- the staff row, of their office links, and when one of their offices
-- changes (it is retired).

-- +goose Up
CREATE TABLE booking_staff_version_clock (n INTEGER NOT NULL);
ALTER TABLE booking_staff ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
UPDATE booking_staff SET version = rowid;
INSERT INTO booking_staff_version_clock (n) SELECT COALESCE(max(version), 0) FROM booking_staff;

-- +goose StatementBegin
CREATE TRIGGER booking_staff_version_insert AFTER INSERT ON booking_staff
BEGIN
    UPDATE booking_staff_version_clock SET n = n + 1;
    UPDATE booking_staff SET version = (SELECT n FROM booking_staff_version_clock) WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER booking_staff_version_update AFTER UPDATE ON booking_staff WHEN NEW.version = OLD.version
BEGIN
    UPDATE booking_staff_version_clock SET n = n + 1;
    UPDATE booking_staff SET version = (SELECT n FROM booking_staff_version_clock) WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER booking_staff_offices_version_insert AFTER INSERT ON booking_staff_offices
BEGIN
    UPDATE booking_staff SET version = version WHERE id = NEW.staff_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER booking_staff_offices_version_update AFTER UPDATE ON booking_staff_offices
BEGIN
    UPDATE booking_staff SET version = version WHERE id IN (OLD.staff_id, NEW.staff_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER booking_staff_offices_version_delete AFTER DELETE ON booking_staff_offices
BEGIN
    UPDATE booking_staff SET version = version WHERE id = OLD.staff_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER booking_offices_staff_version AFTER UPDATE ON booking_offices
BEGIN
    UPDATE booking_staff SET version = version WHERE id IN (SELECT staff_id FROM booking_staff_offices WHERE office_id = NEW.id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER booking_offices_staff_version;
DROP TRIGGER booking_staff_offices_version_delete;
DROP TRIGGER booking_staff_offices_version_update;
DROP TRIGGER booking_staff_offices_version_insert;
DROP TRIGGER booking_staff_version_update;
DROP TRIGGER booking_staff_version_insert;
ALTER TABLE booking_staff DROP COLUMN version;
DROP TABLE booking_staff_version_clock;
