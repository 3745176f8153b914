-- Booking I, speed: what availability reads of booked time, kept cheap.
--
-- 1. Availability reads every block in the window for every eligible staff
--    member. With all the columns it reads in the index, it never visits
--    the table; the index replaces booking_blocks_staff_idx, a prefix of it.
-- 2. booking_staff_busy counts the changes to each staff member's blocks, so
--    the store can keep blocks it has read and read again only those of staff
--    whose count moved. Triggers keep the count, whoever writes the blocks.

-- +goose Up
CREATE INDEX booking_blocks_busy_idx ON booking_blocks (staff_id, blocked_to, blocked_from, kind, expires_at);
DROP INDEX booking_blocks_staff_idx;

CREATE TABLE booking_staff_busy (
    staff_id  TEXT PRIMARY KEY REFERENCES booking_staff (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER booking_blocks_busy_insert AFTER INSERT ON booking_blocks
BEGIN
    INSERT OR IGNORE INTO booking_staff_busy (staff_id, version) VALUES (NEW.staff_id, 0);
    UPDATE booking_staff_busy SET version = version + 1 WHERE staff_id = NEW.staff_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER booking_blocks_busy_update AFTER UPDATE ON booking_blocks
BEGIN
    INSERT OR IGNORE INTO booking_staff_busy (staff_id, version) VALUES (OLD.staff_id, 0);
    INSERT OR IGNORE INTO booking_staff_busy (staff_id, version) VALUES (NEW.staff_id, 0);
    UPDATE booking_staff_busy SET version = version + 1 WHERE staff_id IN (OLD.staff_id, NEW.staff_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER booking_blocks_busy_delete AFTER DELETE ON booking_blocks
BEGIN
    INSERT OR IGNORE INTO booking_staff_busy (staff_id, version) VALUES (OLD.staff_id, 0);
    UPDATE booking_staff_busy SET version = version + 1 WHERE staff_id = OLD.staff_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER booking_blocks_busy_delete;
DROP TRIGGER booking_blocks_busy_update;
DROP TRIGGER booking_blocks_busy_insert;
DROP TABLE booking_staff_busy;
CREATE INDEX booking_blocks_staff_idx ON booking_blocks (staff_id, blocked_to);
DROP INDEX booking_blocks_busy_idx;
