-- Service clients: Tidbok processes that call one another over HTTP. Kept
-- apart from the agencies' integration clients, which always have an agency.

-- +goose Up
CREATE TABLE auth_service_clients (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);

-- +goose Down
DROP TABLE auth_service_clients;
