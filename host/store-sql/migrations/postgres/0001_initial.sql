-- Orders, notification events, plugin versions and adapter configurations.
-- Times are microseconds since the Unix epoch (exact comparisons). JSON is kept as text, not
-- JSONB: JSONB refuses the \u0000 escape a string may legally carry.

-- seq: insertion order (a tenant's orders list oldest first); an identity, so a deleted
-- order's number is never reused and an id created again lists at the end.
CREATE TABLE orders (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merchant TEXT    NOT NULL,
    channel  TEXT    NOT NULL,
    id       TEXT    NOT NULL,
    version  BIGINT  NOT NULL,
    body     TEXT    NOT NULL,
    UNIQUE (merchant, channel, id)
);
CREATE INDEX orders_by_tenant ON orders (merchant, channel, seq);

-- body: the event as the API serves it; the other columns mirror what is filtered, sorted
-- and claimed on. round_start: attempts made before the current delivery round (a retry by
-- hand starts one). claims: how often the event was claimed (makes each token unique).
CREATE TABLE events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    merchant    TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    adapter_id  TEXT,
    reference   TEXT    NOT NULL,
    order_id    TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    due_at      BIGINT  NOT NULL,
    round_start BIGINT  NOT NULL DEFAULT 0,
    claims      BIGINT  NOT NULL DEFAULT 0,
    lease_token TEXT,
    lease_until BIGINT,
    body        TEXT    NOT NULL
);
CREATE INDEX events_by_merchant ON events (merchant, seq);
CREATE INDEX events_by_order ON events (merchant, order_id, seq);
CREATE INDEX events_by_reference ON events (merchant, reference, seq);
CREATE INDEX events_by_adapter ON events (merchant, adapter_id, seq);
CREATE INDEX events_due ON events (due_at, seq) WHERE status = 'pending';

CREATE TABLE plugin_versions (
    merchant     TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    version      BIGINT  NOT NULL,
    manifest     TEXT    NOT NULL,
    component    BYTEA   NOT NULL,
    content_hash TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    uploaded_by  TEXT,
    uploaded_at  BIGINT  NOT NULL,
    PRIMARY KEY (merchant, channel, id, version)
);

-- Bumped in the same transaction as every write to the tenant's plugins.
CREATE TABLE plugin_generations (
    merchant   TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    generation BIGINT  NOT NULL,
    PRIMARY KEY (merchant, channel)
);

CREATE TABLE adapter_configurations (
    merchant      TEXT NOT NULL,
    adapter_id    TEXT NOT NULL,
    configuration TEXT NOT NULL,
    PRIMARY KEY (merchant, adapter_id)
);
