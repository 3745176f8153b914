-- Booking, speed: a version per staff member for what availability keeps
-- of them between calls — the schedule and the offices they work at.
--
-- Availability used to compare an md5 of every eligible staff member's
-- schedule and gather their offices on every call; with a version it reads
-- integers and fetches those details only for staff whose version moved.
-- The version comes from a sequence, so it never repeats; it moves on any
-- change of the staff row, of their office links, and when one of their
-- offices changes (it is retired).

-- +goose Up
CREATE SEQUENCE booking_staff_version_seq;
ALTER TABLE booking_staff ADD COLUMN version bigint NOT NULL DEFAULT nextval('booking_staff_version_seq');

-- +goose StatementBegin
CREATE FUNCTION booking_staff_version_bump() RETURNS trigger AS $$
BEGIN
    NEW.version := nextval('booking_staff_version_seq');
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER booking_staff_version BEFORE UPDATE ON booking_staff
    FOR EACH ROW EXECUTE FUNCTION booking_staff_version_bump();

-- +goose StatementBegin
CREATE FUNCTION booking_staff_offices_version_bump() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE booking_staff SET version = version WHERE id = OLD.staff_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE booking_staff SET version = version WHERE id = NEW.staff_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER booking_staff_offices_version AFTER INSERT OR UPDATE OR DELETE ON booking_staff_offices
    FOR EACH ROW EXECUTE FUNCTION booking_staff_offices_version_bump();

-- +goose StatementBegin
CREATE FUNCTION booking_offices_staff_version_bump() RETURNS trigger AS $$
BEGIN
    UPDATE booking_staff SET version = version
     WHERE id IN (SELECT staff_id FROM booking_staff_offices WHERE office_id = NEW.id ORDER BY staff_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER booking_offices_staff_version AFTER UPDATE ON booking_offices
    FOR EACH ROW EXECUTE FUNCTION booking_offices_staff_version_bump();

-- +goose Down
DROP TRIGGER booking_offices_staff_version ON booking_offices;
DROP FUNCTION booking_offices_staff_version_bump();
DROP TRIGGER booking_staff_offices_version ON booking_staff_offices;
DROP FUNCTION booking_staff_offices_version_bump();
DROP TRIGGER booking_staff_version ON booking_staff;
DROP FUNCTION booking_staff_version_bump();
ALTER TABLE booking_staff DROP COLUMN version;
DROP SEQUENCE booking_staff_version_seq;
