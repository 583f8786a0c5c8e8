-- When each meter last received readings: batch jobs (estimate, detect) find
-- the meters with new data here instead of scanning the readings. Kept by the
-- write path in the same transaction as the readings.
CREATE TABLE meter_receipts (
    meter_id       text PRIMARY KEY,
    received_upto  timestamptz NOT NULL,
    last_ts        timestamptz NOT NULL
);

INSERT INTO meter_receipts (meter_id, received_upto, last_ts)
SELECT meter_id, max(received_at), max(ts) FROM readings GROUP BY meter_id;
