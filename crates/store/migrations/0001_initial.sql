-- lfr schema, step 1. Portable SQL: runs on SQLite and PostgreSQL (BLOB
-- becomes BYTEA there). Times are milliseconds since the Unix epoch.
-- Columns ending in _enc hold AES-256-GCM ciphertext under the deployment's
-- data key; everything else is free of subject personal data.

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    next_id BIGINT NOT NULL
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    rank TEXT NOT NULL,
    training_course TEXT,
    training_completed_ms BIGINT,
    token_hash TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE deployments (
    id BIGINT PRIMARY KEY,
    application TEXT NOT NULL,
    applied_by BIGINT NOT NULL REFERENCES users(id),
    applied_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    authority TEXT,
    started_ms BIGINT,
    ended_ms BIGINT,
    last_review_ms BIGINT,
    record_submitted_ms BIGINT,
    key_shredded_ms BIGINT
);

CREATE TABLE documents (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    added_by BIGINT NOT NULL REFERENCES users(id),
    added_ms BIGINT NOT NULL
);

CREATE TABLE reviews (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    at_ms BIGINT NOT NULL,
    by_user BIGINT NOT NULL REFERENCES users(id),
    legality TEXT NOT NULL,
    necessity TEXT NOT NULL,
    proportionality TEXT NOT NULL,
    performance TEXT NOT NULL,
    engagements TEXT NOT NULL,
    continue_deployment BIGINT NOT NULL
);

CREATE TABLE watchlists (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    revision BIGINT NOT NULL,
    approval TEXT,
    created_ms BIGINT NOT NULL,
    purged_ms BIGINT
);

CREATE TABLE inclusions (
    id BIGINT PRIMARY KEY,
    watchlist BIGINT NOT NULL REFERENCES watchlists(id),
    reference TEXT NOT NULL,
    category TEXT NOT NULL,
    under_18 BIGINT NOT NULL,
    -- name, justification and source, sealed together
    details_enc BLOB,
    created_ms BIGINT NOT NULL,
    UNIQUE (watchlist, reference)
);

CREATE TABLE reference_images (
    id BIGINT PRIMARY KEY,
    inclusion BIGINT NOT NULL REFERENCES inclusions(id),
    file_name TEXT NOT NULL,
    grade TEXT NOT NULL,
    grade_reasons TEXT NOT NULL,
    consent TEXT,
    algorithm TEXT NOT NULL,
    image_enc BLOB,
    template_enc BLOB
);

CREATE TABLE alerts (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    inclusion BIGINT NOT NULL REFERENCES inclusions(id),
    candidate_image BIGINT NOT NULL REFERENCES reference_images(id),
    camera TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    threshold DOUBLE PRECISION NOT NULL,
    recognition_ms BIGINT NOT NULL,
    probe_enc BLOB,
    adjudication TEXT,
    engagement TEXT,
    policing_outcome TEXT,
    purged_ms BIGINT
);
CREATE INDEX alerts_by_deployment ON alerts (deployment, at_ms);

CREATE TABLE scan_counts (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    camera TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    faces_scanned BIGINT NOT NULL,
    dropped_frames BIGINT NOT NULL,
    people_passing BIGINT
);

CREATE TABLE blue_passes (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    inclusion BIGINT NOT NULL REFERENCES inclusions(id),
    at_ms BIGINT NOT NULL,
    alerted BIGINT NOT NULL
);

CREATE TABLE footage (
    id BIGINT PRIMARY KEY,
    deployment BIGINT NOT NULL REFERENCES deployments(id),
    camera TEXT NOT NULL,
    path TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    ended_ms BIGINT NOT NULL,
    deleted_ms BIGINT
);

CREATE TABLE legal_holds (
    id BIGINT PRIMARY KEY,
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT NOT NULL,
    placed_by BIGINT NOT NULL REFERENCES users(id),
    placed_ms BIGINT NOT NULL,
    released_by BIGINT REFERENCES users(id),
    released_ms BIGINT
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
