-- Events a consumer failed to apply: its attempts while it is still retried
-- in order, and, once parked (parked_at), the dead event an administrator
-- can retry (retry_at). A row goes when its event is applied. Consumed
-- records are pruned by age, hence their time indexes.

-- +goose Up
CREATE TABLE notify_dead_events (
    consumer   TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    type       TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    failed_at  TIMESTAMP NOT NULL,
    parked_at  TIMESTAMP,
    retry_at   TIMESTAMP,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX notify_dead_events_parked_idx ON notify_dead_events (parked_at);
CREATE INDEX notify_consumed_at_idx ON notify_consumed (consumed_at);

CREATE TABLE intake_dead_events (
    consumer   TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    type       TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    failed_at  TIMESTAMP NOT NULL,
    parked_at  TIMESTAMP,
    retry_at   TIMESTAMP,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX intake_dead_events_parked_idx ON intake_dead_events (parked_at);
CREATE INDEX intake_consumed_at_idx ON intake_consumed (consumed_at);

-- +goose Down
DROP INDEX intake_consumed_at_idx;
DROP TABLE intake_dead_events;
DROP INDEX notify_consumed_at_idx;
DROP TABLE notify_dead_events;
