-- Notification preferences: one row per account and channel, edited by the portal
-- bridge and loaded from CSV; the notifier reads them.

CREATE TABLE notification_preferences (
    account_id    text NOT NULL REFERENCES accounts,
    channel       text NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    address       text NOT NULL CHECK (length(address) BETWEEN 1 AND 2048),
    language      text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    min_severity  text NOT NULL DEFAULT 'info' CHECK (min_severity IN ('info', 'warning', 'critical')),
    quiet_start   time,                       -- local time in the account's timezone
    quiet_end     time,
    opt_out       text[] NOT NULL DEFAULT '{}',   -- anomaly types not wanted
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, channel),
    CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
