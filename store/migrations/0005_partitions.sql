-- Batch jobs run by partition of the meters, and record the meters that failed.

-- The partition (0 .. n-1) of a meter: the first 32 bits of the md5 of its id,
-- modulo n; core.partition.partition_of computes the same in Python.
CREATE FUNCTION releve_partition(meter_id text, n integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT (('x' || left(md5(meter_id), 8))::bit(32)::bigint % n)::integer $$;

-- A meter whose computation raised in a job run: skipped, the rest of its partition
-- written; its watermark stays where it was, so the next run tries it again.
CREATE TABLE job_errors (
    job         text NOT NULL CHECK (job IN ('estimate', 'detect')),
    meter_id    text NOT NULL,
    as_of       timestamptz NOT NULL,
    error_type  text NOT NULL,
    message     text NOT NULL,
    run_at      timestamptz NOT NULL,
    PRIMARY KEY (job, meter_id, as_of)
);
CREATE INDEX job_errors_run_at ON job_errors (run_at);

-- Gas energy is derived from the volume when a curve is read, with the meter's
-- conversion coefficient of the day: a stored copy would go stale when it changes.
ALTER TABLE consumption_rollups DROP COLUMN energy_kwh;
