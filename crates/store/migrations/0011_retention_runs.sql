-- When retention last ran, so that several nodes on one database run it
-- once, not once each (Store::run_retention_if_due).
CREATE TABLE retention_runs (
    id INTEGER PRIMARY KEY,
    at_ms BIGINT NOT NULL
);
