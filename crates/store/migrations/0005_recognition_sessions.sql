-- Alerts and counts come only from a recognition session that the pipeline
-- opened in its own process; each records its session, and so the
-- algorithm that made it. Rows from before this step have none.
CREATE TABLE recognition_sessions (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    algorithm TEXT NOT NULL,
    opened_by BIGINT NOT NULL,
    opened_ms BIGINT NOT NULL
);
ALTER TABLE alerts ADD COLUMN session BIGINT REFERENCES recognition_sessions(id);
ALTER TABLE alerts ADD COLUMN algorithm TEXT;
ALTER TABLE scan_counts ADD COLUMN session BIGINT REFERENCES recognition_sessions(id);
