-- Booking I, speed: what availability reads of booked time, kept cheap.
--
-- 1. Availability reads every block in the window for every eligible staff
--    member. With all the columns it reads in the index, it can read the
--    index alone; the index replaces booking_blocks_staff_idx, a prefix of it.
-- 2. booking_staff_busy counts the changes to each staff member's blocks, so
--    the store can keep blocks it has read and read again only those of staff
--    whose count moved. Triggers keep the count, whoever writes the blocks;
--    they take the counters' row locks in staff id order, so two writers
--    cannot deadlock on them.

-- +goose Up
CREATE INDEX booking_blocks_busy_idx ON booking_blocks (staff_id, blocked_to) INCLUDE (blocked_from, kind, expires_at);
DROP INDEX booking_blocks_staff_idx;

CREATE TABLE booking_staff_busy (
    staff_id  uuid PRIMARY KEY REFERENCES booking_staff (id) ON DELETE CASCADE,
    version   bigint NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION booking_staff_busy_bump() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO booking_staff_busy AS v (staff_id, version)
        SELECT DISTINCT staff_id, 1 FROM new_blocks ORDER BY staff_id
        ON CONFLICT (staff_id) DO UPDATE SET version = v.version + 1;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO booking_staff_busy AS v (staff_id, version)
        SELECT DISTINCT staff_id, 1 FROM old_blocks ORDER BY staff_id
        ON CONFLICT (staff_id) DO UPDATE SET version = v.version + 1;
    ELSE
        INSERT INTO booking_staff_busy AS v (staff_id, version)
        SELECT staff_id, 1 FROM (SELECT staff_id FROM old_blocks UNION SELECT staff_id FROM new_blocks) s ORDER BY staff_id
        ON CONFLICT (staff_id) DO UPDATE SET version = v.version + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER booking_blocks_busy_insert AFTER INSERT ON booking_blocks
    REFERENCING NEW TABLE AS new_blocks FOR EACH STATEMENT EXECUTE FUNCTION booking_staff_busy_bump();
CREATE TRIGGER booking_blocks_busy_update AFTER UPDATE ON booking_blocks
    REFERENCING OLD TABLE AS old_blocks NEW TABLE AS new_blocks FOR EACH STATEMENT EXECUTE FUNCTION booking_staff_busy_bump();
CREATE TRIGGER booking_blocks_busy_delete AFTER DELETE ON booking_blocks
    REFERENCING OLD TABLE AS old_blocks FOR EACH STATEMENT EXECUTE FUNCTION booking_staff_busy_bump();

-- +goose Down
DROP TRIGGER booking_blocks_busy_delete ON booking_blocks;
DROP TRIGGER booking_blocks_busy_update ON booking_blocks;
DROP TRIGGER booking_blocks_busy_insert ON booking_blocks;
DROP FUNCTION booking_staff_busy_bump();
DROP TABLE booking_staff_busy;
CREATE INDEX booking_blocks_staff_idx ON booking_blocks (staff_id, blocked_to);
DROP INDEX booking_blocks_busy_idx;
