-- SHA-256 of the score calibration each deployment's model scores with;
-- recognition refuses to run with another (rule calibration_as_recorded).
-- NULL for deployments recorded before this step: nothing is pinned.
ALTER TABLE deployments ADD COLUMN calibration TEXT;
