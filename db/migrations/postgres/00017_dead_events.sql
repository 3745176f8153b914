-- Events a consumer failed to apply: its attempts while it is still retried
-- in order, and, once parked (parked_at), the dead event an administrator
-- can retry (retry_at). A row goes when its event is applied. Consumed
-- records are pruned by age, hence their time indexes.

-- +goose Up
CREATE TABLE notify_dead_events (
    consumer   text NOT NULL,
    event_id   text NOT NULL,
    seq        bigint NOT NULL,
    type       text NOT NULL,
    attempts   integer NOT NULL,
    last_error text NOT NULL,
    failed_at  timestamptz NOT NULL,
    parked_at  timestamptz,
    retry_at   timestamptz,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX notify_dead_events_parked_idx ON notify_dead_events (parked_at);
CREATE INDEX notify_consumed_at_idx ON notify_consumed (consumed_at);

CREATE TABLE intake_dead_events (
    consumer   text NOT NULL,
    event_id   text NOT NULL,
    seq        bigint NOT NULL,
    type       text NOT NULL,
    attempts   integer NOT NULL,
    last_error text NOT NULL,
    failed_at  timestamptz NOT NULL,
    parked_at  timestamptz,
    retry_at   timestamptz,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX intake_dead_events_parked_idx ON intake_dead_events (parked_at);
CREATE INDEX intake_consumed_at_idx ON intake_consumed (consumed_at);

-- +goose Down
DROP INDEX intake_consumed_at_idx;
DROP TABLE intake_dead_events;
DROP INDEX notify_consumed_at_idx;
DROP TABLE notify_dead_events;
