-- When each sign-in token was issued, so that it expires (TOKEN_LIFETIME in
-- crates/domain/src/policy.rs). Tokens issued before this step count from
-- the upgrade, so that no account is locked out by it.
ALTER TABLE users ADD COLUMN token_issued_ms BIGINT;
UPDATE users SET token_issued_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
