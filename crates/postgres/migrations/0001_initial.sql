-- scorewatch's first schema: everything the data directory holds (docs/architecture.md,
-- "PostgreSQL backend"). Applied by `scorewatch migrate` or at start, under sqlx's advisory
-- lock, so replicas starting together apply it once.

-- The prediction log's generations. The file backend begins a new log (archiving the old
-- one) when a model with another feature set logs; here a new generation row does that,
-- and each prediction names its generation, so "the current log" and "the archives" keep
-- their meaning and a row never disagrees with its feature names.
CREATE TABLE prediction_logs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Feature names in schema order; predictions.features holds the values in this order.
    features   text[] NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now()
);

-- Identity columns on partitioned tables need PostgreSQL 17; a plain sequence works on 13+.
CREATE SEQUENCE predictions_seq AS bigint;

-- One row per prediction, range-partitioned by time so that retention drops whole
-- partitions instead of deleting rows. Monthly partitions are created ahead of time by
-- scorewatch_prediction_partitions (called at start); rows outside them land in the
-- default partition, so an insert never fails for want of a partition.
CREATE TABLE predictions (
    -- Insertion order, the tie-break between equal timestamps.
    seq           bigint NOT NULL DEFAULT nextval('predictions_seq'),
    log_id        bigint NOT NULL REFERENCES prediction_logs (id),
    prediction_id text NOT NULL,
    ts            timestamptz NOT NULL,
    model_version text NOT NULL,
    score         double precision NOT NULL CHECK (score >= 0 AND score <= 1),
    decision      smallint NOT NULL CHECK (decision IN (0, 1)),
    -- The values as the file backend's CSV cells: text, NULL for a missing value, in the
    -- order of prediction_logs.features (see docs/architecture.md for why not jsonb).
    features      text[] NOT NULL
) PARTITION BY RANGE (ts);
ALTER SEQUENCE predictions_seq OWNED BY predictions.seq;

CREATE TABLE predictions_default PARTITION OF predictions DEFAULT;

-- Newest-first paging of one log (GET /monitoring/predictions) and oldest-first scans
-- (the same index read backwards).
CREATE INDEX predictions_newest ON predictions (log_id, ts DESC, seq DESC);
-- The same, of one model version.
CREATE INDEX predictions_by_version ON predictions (log_id, model_version, ts DESC, seq DESC);
-- Lookup by id (late outcomes). Not unique: a unique index on a partitioned table must
-- include the partition key, and ids are unique by construction (UUID v7).
CREATE INDEX predictions_by_id ON predictions (prediction_id);

-- Creates the monthly partitions from first_month for `months` months, skipping those that
-- exist and those whose range already has rows in the default partition (PostgreSQL
-- refuses to attach a range the default partition holds rows of; they stay there).
-- Returns how many were created. Callers hold the migration advisory lock.
CREATE FUNCTION scorewatch_prediction_partitions(first_month date, months integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month_start date;
    month_end   date;
    part        text;
    created     integer := 0;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        month_start := date_trunc('month', first_month)::date + make_interval(months => i);
        month_end := month_start + interval '1 month';
        part := format('predictions_%s', to_char(month_start, 'YYYY_MM'));
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        CONTINUE WHEN EXISTS (
            SELECT 1 FROM predictions_default
            WHERE ts >= month_start AND ts < month_end
        );
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF predictions FOR VALUES FROM (%L) TO (%L)',
            part, month_start::timestamptz, month_end::timestamptz
        );
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;

-- Late labels: one per prediction id across every replica, enforced here.
CREATE TABLE outcomes (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    prediction_id text NOT NULL CONSTRAINT outcomes_one_per_prediction UNIQUE,
    ts            timestamptz NOT NULL,
    actual        smallint NOT NULL CHECK (actual IN (0, 1))
);

-- The metrics history (model_metrics.json), bounded per source.
CREATE TABLE metrics_history (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        text NOT NULL,
    model_version text,
    recorded_at   timestamptz NOT NULL,
    -- The whole MetricsEntry, as the file backend writes it.
    entry         jsonb NOT NULL
);
CREATE INDEX metrics_history_by_source ON metrics_history (source, seq);

-- Drift reports (drift_reports.json), bounded by count.
CREATE TABLE drift_reports (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    computed_at timestamptz NOT NULL,
    report      jsonb NOT NULL
);

-- The pipeline's state (pipeline_status.json without its runs): one row.
CREATE TABLE pipeline_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    state     jsonb NOT NULL
);

-- Finished and running pipeline runs, one row each. The lease columns are for the
-- cluster-wide run (issue 14): the replica running it renews the lease, and a run whose
-- lease expired is recorded interrupted.
CREATE TABLE pipeline_runs (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           text NOT NULL UNIQUE,
    run              jsonb NOT NULL,
    lease_owner      text,
    lease_expires_at timestamptz
);

-- Published models with their drift reference profiles (data/models/<version>/).
CREATE TABLE models (
    version      text PRIMARY KEY,
    published_at timestamptz NOT NULL DEFAULT now(),
    artifact     jsonb NOT NULL,
    profile      jsonb
);

-- The current model (data/models/current): one row, pointing at a published version.
CREATE TABLE model_current (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   text NOT NULL REFERENCES models (version),
    promoted_at timestamptz NOT NULL DEFAULT now()
);

-- Training data sets (data/training/<name>.csv), replaced whole and atomically.
CREATE TABLE training_sets (
    name        text PRIMARY KEY,
    bytes       bytea NOT NULL,
    -- The summary GET /monitoring/training-data lists, computed once at write time so
    -- that listing reads no set's bytes. rows is NULL (and problem says why) for a set
    -- that is not well-formed CSV.
    rows        bigint,
    problem     text,
    sha256      text NOT NULL,
    modified_at timestamptz NOT NULL DEFAULT now()
);

-- Alerts and their webhook outbox (alerts.json): the whole AlertBook as one jsonb row, as
-- the file backend keeps it, so that AlertStore::update is one transaction on one locked
-- row (SELECT ... FOR UPDATE) and replicas apply changes one at a time. The book is small
-- (resolved alerts are bounded by --alerts-retention, the outbox drains as webhooks are
-- delivered); split it into tables when a query needs single alerts.
CREATE TABLE alert_book (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    book      jsonb NOT NULL
);

-- API keys kept in the database (`scorewatch keys add`): only the key's SHA-256, never
-- the key itself, which is shown once at creation.
CREATE TABLE api_keys (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    key_sha256 bytea NOT NULL UNIQUE CHECK (length(key_sha256) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
