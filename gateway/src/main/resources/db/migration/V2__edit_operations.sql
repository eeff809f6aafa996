-- Long edits as operations: an accepted ApplyEdits call the gateway runs in the background,
-- follows (progress, ETA), can cancel, and resumes after its own restart or the phase's
-- (the idempotency key makes a re-send safe: the phase applies a key at most once).
CREATE TABLE edit_operation (
    id               VARCHAR(36) PRIMARY KEY,
    space            VARCHAR(63) NOT NULL,
    phase            VARCHAR(16) NOT NULL,
    method           VARCHAR(64) NOT NULL,
    created_by       VARCHAR(64) NOT NULL,
    -- The key sent to the phase: the client's Idempotency-Key, or one the gateway made.
    idempotency_key  VARCHAR(200) NOT NULL,
    -- SHA-256 of the request, to tell a client's retry from a different request under one key.
    request_hash     CHAR(64) NOT NULL,
    -- The emend.v1.ApplyEditsRequest as sent, protobuf bytes.
    request          BYTEA NOT NULL,
    requests         INT NOT NULL,
    status           VARCHAR(16) NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempts         INT NOT NULL DEFAULT 0,
    stage            TEXT NOT NULL DEFAULT '',
    fraction         DOUBLE PRECISION NOT NULL DEFAULT 0,
    units_done       INT NOT NULL DEFAULT 0,
    units_total      INT NOT NULL DEFAULT 0,
    eta_seconds      DOUBLE PRECISION NOT NULL DEFAULT 0,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    -- The emend.v1.ApplyEditsResponse of a succeeded operation (protobuf bytes); the problem of a
    -- failed or cancelled one.
    result           BYTEA,
    error_status     INT,
    error_title      TEXT,
    error_detail     TEXT,
    audit_row        BIGINT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    UNIQUE (space, idempotency_key)
);
CREATE INDEX edit_operation_open ON edit_operation (status) WHERE status IN ('queued', 'running');
CREATE INDEX edit_operation_space ON edit_operation (space, created_at DESC);
