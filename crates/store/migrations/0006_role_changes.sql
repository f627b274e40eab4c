-- Making or changing an Authorising Officer takes two administrators: one
-- proposes the roles and rank, another approves; until then it is pending.
CREATE TABLE role_changes (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    roles TEXT NOT NULL,
    rank TEXT NOT NULL,
    proposed_by BIGINT NOT NULL REFERENCES users(id),
    proposed_ms BIGINT NOT NULL,
    approved_by BIGINT REFERENCES users(id),
    approved_ms BIGINT
);
