-- Estimation (VEE): hourly consumption intervals, their audit trail, findings,
-- per-meter watermarks for incremental runs, and the rollups the portal reads.

-- One row per meter and hour (ts is the UTC hour start), volume in the meter's unit.
CREATE TABLE consumption_hourly (
    meter_id         text NOT NULL,
    ts               timestamptz NOT NULL,
    volume           double precision NOT NULL,
    quality          text NOT NULL CHECK (quality IN ('actual', 'estimated')),
    estimated_share  real NOT NULL CHECK (estimated_share BETWEEN 0 AND 1),
    method           text NOT NULL,
    run_at           timestamptz NOT NULL,
    PRIMARY KEY (meter_id, ts)
);

-- What the customer was shown before a later read replaced it, and when it was replaced.
CREATE TABLE consumption_history (
    meter_id         text NOT NULL,
    ts               timestamptz NOT NULL,
    volume           double precision NOT NULL,
    quality          text NOT NULL,
    estimated_share  real NOT NULL,
    method           text NOT NULL,
    run_at           timestamptz NOT NULL,
    replaced_at      timestamptz NOT NULL
);
CREATE INDEX consumption_history_meter_ts ON consumption_history (meter_id, ts);

-- Validation findings per meter; replaced as a whole when the meter is re-validated.
CREATE TABLE estimate_findings (
    meter_id  text NOT NULL,
    ts        timestamptz NOT NULL,
    code      text NOT NULL,
    detail    text NOT NULL,
    amount    double precision,
    run_at    timestamptz NOT NULL,
    PRIMARY KEY (meter_id, ts, code)
);

-- Where each meter's last run stopped: readings received after it make the meter due.
CREATE TABLE estimate_watermarks (
    meter_id       text PRIMARY KEY,
    received_upto  timestamptz NOT NULL,
    last_read_ts   timestamptz,
    as_of          timestamptz NOT NULL,
    run_at         timestamptz NOT NULL
);

-- Local calendar days, months and years (a DST day has 23 or 25 hours); start is local midnight.
CREATE TABLE consumption_rollups (
    meter_id         text NOT NULL,
    resolution       text NOT NULL CHECK (resolution IN ('day', 'month', 'year')),
    start            timestamptz NOT NULL,
    volume           double precision NOT NULL,
    energy_kwh       double precision,
    quality          text NOT NULL,
    estimated_share  real NOT NULL,
    method           text NOT NULL,
    run_at           timestamptz NOT NULL,
    PRIMARY KEY (meter_id, resolution, start)
);

-- Rollups stay tables maintained by the job even with TimescaleDB: periods are local to
-- each meter's timezone, which a continuous aggregate (one bucket timezone) cannot follow.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        PERFORM create_hypertable('consumption_hourly', 'ts',
                                  chunk_time_interval => interval '30 days', migrate_data => true);
    ELSE
        CREATE INDEX consumption_hourly_ts_brin ON consumption_hourly USING brin (ts);
    END IF;
END
$$;
