-- A subject seen by another camera of the deployment while their alert is
-- fresh is the same encounter: recorded on the alert, not raised again
-- (lfr_domain::policy::same_encounter). No probe image is kept for it.
CREATE TABLE alert_sightings (
    alert BIGINT NOT NULL REFERENCES alerts(id),
    camera TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    session BIGINT
);
CREATE INDEX alert_sightings_by_alert ON alert_sightings (alert, at_ms);
-- When the alert's subject was last seen: the alert's time, or its latest
-- sighting's.
ALTER TABLE alerts ADD COLUMN last_seen_ms BIGINT;
CREATE INDEX alerts_by_subject ON alerts (deployment, inclusion, at_ms);
