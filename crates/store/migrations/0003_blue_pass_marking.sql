-- lfr schema, step 3: Blue Watchlist passes marked live by the operator.
-- A pass is open in open_blue_passes while the volunteer walks; when it
-- ends (by the operator, or at ends_by_ms) it moves to blue_passes, keeping
-- its id, with whether an alert recognised it. A cancelled pass is deleted
-- (the audit log keeps the cancellation). blue_passes rows recorded before
-- this step, or by `lfr alert blue-pass`, have no start, camera or alert.

CREATE TABLE open_blue_passes (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    inclusion BIGINT NOT NULL REFERENCES inclusions(id),
    camera TEXT,
    started_ms BIGINT NOT NULL,
    ends_by_ms BIGINT NOT NULL,
    started_by BIGINT NOT NULL REFERENCES users(id)
);
-- One walk at a time per volunteer, even between two racing requests.
CREATE UNIQUE INDEX open_blue_passes_one_per_volunteer ON open_blue_passes (inclusion);

ALTER TABLE blue_passes ADD COLUMN started_ms BIGINT;
ALTER TABLE blue_passes ADD COLUMN camera TEXT;
ALTER TABLE blue_passes ADD COLUMN alert BIGINT;
