-- Holds by holder, so counting one citizen's unexpired holds reads only theirs.

-- +goose Up
CREATE INDEX booking_holds_holder_idx ON booking_holds (holder);

-- +goose Down
DROP INDEX booking_holds_holder_idx;
