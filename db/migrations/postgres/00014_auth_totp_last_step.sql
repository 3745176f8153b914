-- The last time step whose authenticator code a staff account signed in
-- with, so one code cannot be used twice within its validity window.

-- +goose Up
ALTER TABLE auth_staff ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE auth_staff DROP COLUMN totp_last_step;
