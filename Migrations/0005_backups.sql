-- Database dumps (seeds 003 and 004): one row per attempt of a nightly-dump job (or of
-- `nightshift migrate --backup-first`), and the daily metrics pushed per branch.

CREATE TABLE backup_history (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type                 text        NOT NULL CHECK (type IN ('daily', 'manual', 'pre-migration')),
    branch               text        NOT NULL,
    started_at           timestamptz NOT NULL DEFAULT now(),
    finished_at          timestamptz,
    status               text        NOT NULL DEFAULT 'running'
                                     CHECK (status IN ('running', 'completed', 'failed', 'expired')),
    size_bytes           bigint,
    sha256               text,
    object_key           text,
    local_path           text,
    -- Seed 003's values: 'true' when a restore drill's row counts matched the dump's, 'false' when
    -- they did not (or the dump did not restore); NULL until a drill has run.
    verification_status  text        CHECK (verification_status IN ('true', 'false')),
    verified_at          timestamptz,
    verification_details jsonb,
    table_counts         jsonb,
    retention_until      timestamptz NOT NULL DEFAULT now() + interval '30 days',
    error                text,
    job_id               bigint,
    attempt              integer,
    -- Seed 003's operator queries read these names; kept as generated columns so they still run.
    "timestamp"          timestamptz GENERATED ALWAYS AS (started_at) STORED,
    size_mb              numeric(12, 2) GENERATED ALWAYS AS (round(size_bytes / 1048576.0, 2)) STORED,
    UNIQUE (job_id, attempt)
);

COMMENT ON COLUMN backup_history.table_counts IS 'exact row count of every table, taken in the snapshot the dump was made from';
COMMENT ON COLUMN backup_history.retention_until IS 'never pruned before this time, whatever BACKUP_CLOUD_RETENTION_DAYS says: raise it to keep a backup longer';

CREATE INDEX backup_history_branch_idx ON backup_history (branch, started_at DESC);

-- The last 30 days, newest first (seed 003's recent_backups).
CREATE VIEW recent_backups AS
SELECT id, "timestamp", type, branch, size_mb, status, verification_status, verified_at, retention_until,
       finished_at - started_at AS duration, sha256, object_key, local_path, error, job_id
FROM backup_history
WHERE started_at > now() - interval '30 days'
ORDER BY started_at DESC;

-- Seed 003's "KPIs do Sistema de Backup", per branch over 30 days. An expired backup had
-- completed; it counts as a success.
CREATE VIEW backup_kpis AS
SELECT branch,
       round(count(*) FILTER (WHERE status IN ('completed', 'expired')) * 100.0 / count(*), 2) AS success_rate,
       count(*) AS total_backups,
       round(avg(size_mb) FILTER (WHERE status IN ('completed', 'expired')), 2) AS avg_size_mb,
       round(avg(extract(epoch FROM finished_at - started_at)) FILTER (WHERE status IN ('completed', 'expired')), 1)
           AS avg_duration_seconds,
       count(*) FILTER (WHERE verification_status = 'true') AS verified_backups,
       max(finished_at) FILTER (WHERE status = 'completed') AS last_completed_at
FROM backup_history
WHERE started_at > now() - interval '30 days'
GROUP BY branch;

-- One day's figures per branch (seed 004's DaySummary, adapted to the studio), as pushed to
-- {branch}/metrics/{date}.json. Amounts are integer centavos.
CREATE TABLE daily_summaries (
    branch              text        NOT NULL,
    summary_date        date        NOT NULL,
    generated_at        timestamptz NOT NULL,
    is_final            boolean     NOT NULL,
    currency            text        NOT NULL,
    source              text        NOT NULL CHECK (source IN ('records', 'extrato')),
    session_count       integer     NOT NULL,
    payment_count       integer     NOT NULL,
    commission_count    integer     NOT NULL,
    expense_count       integer     NOT NULL,
    gross_revenue       bigint      NOT NULL,
    revenue_by_method   jsonb       NOT NULL,
    total_commissions   bigint      NOT NULL,
    total_expenses      bigint      NOT NULL,
    net_profit          bigint      NOT NULL,
    object_key          text,
    sha256              text,
    pushed_at           timestamptz,
    PRIMARY KEY (branch, summary_date)
);
