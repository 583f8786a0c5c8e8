-- Detection: one alert per (meter, type, episode), the events the notification step
-- reads, and per-meter watermarks so a run only looks at meters with something new.

CREATE TABLE alerts (
    id                   bigserial PRIMARY KEY,
    meter_id             text NOT NULL,
    type                 text NOT NULL CHECK (type IN ('continuous_flow', 'burst',
                             'overconsumption', 'zero_consumption', 'reverse_flow',
                             'no_data', 'meter_alarm')),
    severity             text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    status               text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    start                timestamptz NOT NULL,
    "end"                timestamptz,              -- null while the episode goes on
    detected_at          timestamptz NOT NULL,     -- as_of of the run that opened it
    last_seen            timestamptz NOT NULL,     -- last time the condition was seen
    evidence             jsonb NOT NULL,
    estimated_volume_m3  double precision,
    estimated_cost_eur   double precision,
    legally_notifiable   boolean NOT NULL DEFAULT false,
    customer_facing      boolean NOT NULL DEFAULT true,
    acknowledged_at      timestamptz,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX alerts_meter_type_start ON alerts (meter_id, type, start);
CREATE INDEX alerts_unresolved ON alerts (meter_id) WHERE status <> 'resolved';

-- Every opening, change and resolution, in order: the notification step's queue.
CREATE TABLE alert_events (
    id               bigserial PRIMARY KEY,
    alert_id         bigint NOT NULL REFERENCES alerts (id),
    event            text NOT NULL CHECK (event IN ('opened', 'changed', 'resolved')),
    at               timestamptz NOT NULL,         -- as_of of the detection run
    severity         text NOT NULL,
    status           text NOT NULL,
    customer_facing  boolean NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_events_alert ON alert_events (alert_id);

CREATE TABLE detect_watermarks (
    meter_id       text PRIMARY KEY,
    received_upto  timestamptz NOT NULL,
    as_of          timestamptz NOT NULL,
    run_at         timestamptz NOT NULL
);
