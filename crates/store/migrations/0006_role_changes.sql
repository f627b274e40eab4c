-- Making or changing an Authorising Officer takes two administrators: one
-- proposes the roles and rank, another approves; until then it is pending.
CREATE TABLE role_changes (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    roles TEXT NOT NULL,
    rank TEXT NOT NULL,
    -- The user's roles and rank when proposed: approval is refused if they
    -- have changed since, so an old proposal cannot undo a later change.
    from_roles TEXT NOT NULL,
    from_rank TEXT NOT NULL,
    proposed_by BIGINT NOT NULL REFERENCES users(id),
    proposed_ms BIGINT NOT NULL,
    approved_by BIGINT REFERENCES users(id),
    approved_ms BIGINT
);
-- Who issued each user's current token: an administrator may not approve
-- with an account whose token the proposer issued (and so may hold).
ALTER TABLE users ADD COLUMN token_issued_by BIGINT;
