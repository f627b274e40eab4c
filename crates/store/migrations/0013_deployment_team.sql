-- Who works on a deployment: Silver Commanders, Operators, Engagement
-- Officers and System Engineers see and act on a deployment only from its
-- team (rule on_the_deployment_team). Deployments made before this step
-- keep the access they had: every user is on their teams.
CREATE TABLE deployment_team (
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    added_by BIGINT,
    added_ms BIGINT NOT NULL,
    PRIMARY KEY (deployment, user_id)
);
INSERT INTO deployment_team (deployment, user_id, added_by, added_ms)
    SELECT d.id, u.id, NULL, d.applied_ms FROM deployments d CROSS JOIN users u;
