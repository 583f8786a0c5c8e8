-- Meters, their owners, raw readings, quarantine and ingest batches.

CREATE TABLE accounts (
    account_id  text PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sites (
    site_id     text PRIMARY KEY,
    account_id  text REFERENCES accounts,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contracts (
    contract_id text PRIMARY KEY,
    account_id  text REFERENCES accounts,
    site_id     text REFERENCES sites,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A meter seen only in readings is registered with kind NULL and assigned = false.
CREATE TABLE meters (
    meter_id              text PRIMARY KEY,
    kind                  text CHECK (kind IN ('water', 'gas', 'electricity')),
    unit                  text NOT NULL CHECK (unit IN ('m3', 'L', 'kWh', 'Wh')),
    digits                integer CHECK (digits BETWEEN 1 AND 15),
    account_id            text REFERENCES accounts,
    contract_id           text REFERENCES contracts,
    site_id               text REFERENCES sites,
    timezone              text,
    installed_at          timestamptz,
    replaces              text,
    q3_m3h                double precision CHECK (q3_m3h > 0),
    conversion_kwh_per_m3 double precision CHECK (conversion_kwh_per_m3 > 0),
    assigned              boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingest_batches (
    batch_id     bigserial PRIMARY KEY,
    source       text NOT NULL,
    location     text,
    started_at   timestamptz NOT NULL DEFAULT now(),
    rows_read    integer NOT NULL DEFAULT 0,
    stored       integer NOT NULL DEFAULT 0,
    duplicates   integer NOT NULL DEFAULT 0,
    quarantined  integer NOT NULL DEFAULT 0
);

-- index_value is the cumulative register in the meter's unit.
CREATE TABLE readings (
    meter_id     text NOT NULL,
    ts           timestamptz NOT NULL,
    index_value  double precision NOT NULL,
    quality      text NOT NULL CHECK (quality IN ('actual', 'customer', 'estimated')),
    source       text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    batch_id     bigint,
    PRIMARY KEY (meter_id, ts)
);

-- Meter-side alarms and states (LEAK, BURST, DRY, REVERSE, TAMPER, ...).
CREATE TABLE meter_events (
    meter_id     text NOT NULL,
    ts           timestamptz NOT NULL,
    code         text NOT NULL,
    raw          text,
    source       text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meter_id, ts, code)
);

-- The same bad item quarantined twice (a re-loaded file, a redelivered message) is kept once.
CREATE TABLE quarantine (
    id           bigserial PRIMARY KEY,
    source       text NOT NULL,
    location     text NOT NULL,
    raw          text NOT NULL,
    reason_code  text NOT NULL,
    reason       text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    batch_id     bigint
);
CREATE UNIQUE INDEX quarantine_item ON quarantine (source, location, reason_code, md5(raw));

-- Time-series layout: a hypertable with compression when TimescaleDB is there,
-- else a BRIN index on time beside the primary key.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        PERFORM create_hypertable('readings', 'ts', chunk_time_interval => interval '7 days',
                                  migrate_data => true);
        ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'meter_id');
        PERFORM add_compression_policy('readings', interval '30 days');
    ELSE
        CREATE INDEX readings_ts_brin ON readings USING brin (ts);
    END IF;
END
$$;
