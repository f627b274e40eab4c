-- The force's public statement about LFR (lfr_domain::force::ForceNotice):
-- one row, set by an administrator, printed in every published report.
CREATE TABLE force_notice (
    id BIGINT PRIMARY KEY,
    notice TEXT NOT NULL,
    set_ms BIGINT NOT NULL
);
