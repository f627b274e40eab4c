-- A deployment's cameras and the node that runs each (several lfr serve
-- nodes on one database). The settings (source address, zone) are sealed
-- under the deployment's key: a camera's address may carry a password.
CREATE TABLE cameras (
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    name TEXT NOT NULL,
    location TEXT NOT NULL,
    node TEXT NOT NULL,
    settings_enc BLOB NOT NULL,
    changed_ms BIGINT NOT NULL,
    PRIMARY KEY (deployment, name)
);
