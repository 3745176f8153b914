-- Service clients: Tidbok processes that call one another over HTTP. Kept
-- apart from the agencies' integration clients, which always have an agency.

-- +goose Up
CREATE TABLE auth_service_clients (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    secret_hash  text NOT NULL,
    scopes       text NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

-- +goose Down
DROP TABLE auth_service_clients;
