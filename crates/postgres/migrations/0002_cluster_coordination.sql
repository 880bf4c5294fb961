-- Several replicas on one database as one service (issue 14): the running pipeline run's
-- lease and cancel request, and the claims of once-per-interval background jobs.

-- The running run is the state's (pipeline_state), never a pipeline_runs row (that table
-- holds finished runs), so its lease lives on the state row. The replica running it
-- renews lease_expires_at every second (core's RUN_LEASE_RENEW) by RUN_LEASE (15 s);
-- a replica that finds it expired records the run interrupted. cancel_requested is set
-- by whichever replica is asked to cancel, and read by the running one as it renews.
ALTER TABLE pipeline_state
    ADD COLUMN lease_run_id     text,
    ADD COLUMN lease_owner      text,
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;

-- 0001 put the lease on pipeline_runs, where the running run has no row; never used.
ALTER TABLE pipeline_runs
    DROP COLUMN lease_owner,
    DROP COLUMN lease_expires_at;

-- Background jobs (drift reports, production metrics) run once per interval for the
-- cluster: a replica claims a job with a conditional UPDATE that only one replica wins
-- per interval (crates/postgres/src/cluster.rs).
CREATE TABLE cluster_jobs (
    name            text PRIMARY KEY,
    last_started_at timestamptz NOT NULL,
    -- The replica (its pipeline lease owner name) that won the last claim.
    holder          text NOT NULL
);
