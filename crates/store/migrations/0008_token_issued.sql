-- When each sign-in token was issued, so that it expires (TOKEN_LIFETIME in
-- crates/domain/src/policy.rs). Tokens issued before this step count from
-- the account's creation.
ALTER TABLE users ADD COLUMN token_issued_ms BIGINT;
