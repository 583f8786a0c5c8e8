-- The portal bridge: contracts over time, who may read which meter when, the audit
-- log of personal-data access, and the record of GDPR erasures.

-- A contract runs from start_at to end_at (NULL: still active; NULL start: since ever).
ALTER TABLE contracts
    ADD COLUMN start_at timestamptz,
    ADD COLUMN end_at   timestamptz,
    ADD CONSTRAINT contracts_period CHECK (start_at IS NULL OR end_at IS NULL OR end_at > start_at);

-- Which contract a meter served, and when: a move closes one row and opens another, so an
-- outgoing and an incoming occupant each read only their own period. A meter serves one
-- contract at a time (the exclusion constraint). A meter without rows here falls back to
-- its account, site or contract columns, for the whole of its contract's dates.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE meter_contracts (
    meter_id     text NOT NULL REFERENCES meters,
    contract_id  text NOT NULL REFERENCES contracts,
    start_at     timestamptz NOT NULL,
    end_at       timestamptz,
    PRIMARY KEY (meter_id, start_at),
    CHECK (end_at IS NULL OR end_at > start_at),
    EXCLUDE USING gist (meter_id WITH =, tstzrange(start_at, end_at) WITH &&)
);
CREATE INDEX meter_contracts_contract ON meter_contracts (contract_id);

-- Every period during which an account may read a meter (NULL bounds are open).
-- greatest/least skip NULLs, so an open bound on one side leaves the other's.
CREATE VIEW account_meter_periods AS
SELECT c.account_id, mc.meter_id, mc.contract_id,
       greatest(mc.start_at, c.start_at) AS start_at,
       least(mc.end_at, c.end_at) AS end_at
FROM meter_contracts mc JOIN contracts c USING (contract_id)
WHERE c.account_id IS NOT NULL
UNION ALL
SELECT a.account_id, m.meter_id, m.contract_id, c.start_at, c.end_at
FROM meters m
LEFT JOIN sites s USING (site_id)
LEFT JOIN contracts c USING (contract_id)
CROSS JOIN LATERAL (
    SELECT DISTINCT x FROM unnest(ARRAY[m.account_id, s.account_id, c.account_id]) AS x
    WHERE x IS NOT NULL
) AS a (account_id)
WHERE NOT EXISTS (SELECT 1 FROM meter_contracts mc WHERE mc.meter_id = m.meter_id);

-- Who read or changed which personal data, when, from where (`releve audit`). Written in
-- the request's own round trip; granted = false is an answer of 404 (not the token's).
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    subject      text NOT NULL,
    scope        text NOT NULL CHECK (scope IN ('customer', 'service')),
    method       text NOT NULL,
    route        text NOT NULL,
    object_type  text NOT NULL CHECK (object_type IN ('account', 'meter', 'alert')),
    object_id    text NOT NULL,
    granted      boolean NOT NULL,
    client       text
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_subject ON audit_log (subject, at);
CREATE INDEX audit_log_object ON audit_log (object_id, at);

-- An erased account: its personal data are gone, its meters unlinked, and this row is
-- the proof that the request was honoured (GDPR art. 17 and 5(2)).
CREATE TABLE erasures (
    account_id           text PRIMARY KEY,
    erased_at            timestamptz NOT NULL,
    requested_by         text NOT NULL,
    requested_scope      text NOT NULL CHECK (requested_scope IN ('customer', 'service')),
    meters_unlinked      integer NOT NULL,
    contracts_anonymised integer NOT NULL,
    preferences_deleted  integer NOT NULL
);
