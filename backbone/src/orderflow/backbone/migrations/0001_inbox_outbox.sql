-- The inbox: one row per event a subscription has handled.
CREATE TABLE inbox (
    subscription text NOT NULL,
    event_id uuid NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription, event_id)
);

-- The outbox: events written with the state change that caused them,
-- published by the relay and then marked sent.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    routing_key text NOT NULL,
    correlation_id text NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    available_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    unroutable boolean NOT NULL DEFAULT false
);

CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Dead letters taken off the service's dead-letter queue by `orderflow dlq`.
CREATE TABLE dead_letters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id text,
    routing_key text,
    original_queue text NOT NULL,
    reason text NOT NULL,
    error_type text,
    error_message text,
    attempts integer NOT NULL DEFAULT 0,
    first_failed_at timestamptz,
    dead_lettered_at timestamptz NOT NULL,
    correlation_id text,
    headers jsonb NOT NULL,
    body bytea NOT NULL,
    collected_at timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    purged_at timestamptz
);

CREATE INDEX dead_letters_open ON dead_letters (dead_lettered_at)
    WHERE replayed_at IS NULL AND purged_at IS NULL;

-- Who replayed or purged which dead letters, and when.
CREATE TABLE dead_letter_audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action text NOT NULL CHECK (action IN ('replay', 'purge')),
    dead_letter_id bigint NOT NULL REFERENCES dead_letters (id),
    actor text NOT NULL,
    filters jsonb NOT NULL,
    acted_at timestamptz NOT NULL DEFAULT now()
);
