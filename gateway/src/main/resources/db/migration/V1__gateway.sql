-- The gateway's own tables (schema "gateway"): API keys, the space->phase registry, the audit
-- trail, A/B experiments with their per-request counters, and the evaluation runs it started.

CREATE TABLE api_key (
    id                  VARCHAR(64) PRIMARY KEY,
    name                VARCHAR(200) NOT NULL,
    -- SHA-256 (hex) of the key; the key itself is never stored.
    key_hash            CHAR(64) NOT NULL UNIQUE,
    role                VARCHAR(16) NOT NULL CHECK (role IN ('reader', 'editor', 'admin')),
    -- Spaces an editor may edit, comma-separated; '*' = all.
    spaces              TEXT NOT NULL DEFAULT '',
    requests_per_minute BIGINT,
    created_by          VARCHAR(64),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at          TIMESTAMPTZ
);

CREATE TABLE space (
    name        VARCHAR(63) PRIMARY KEY,
    phase       VARCHAR(16) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by  VARCHAR(64),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE audit_event (
    id              BIGSERIAL PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    key_id          VARCHAR(64) NOT NULL,
    key_name        VARCHAR(200) NOT NULL,
    role            VARCHAR(16) NOT NULL,
    action          VARCHAR(32) NOT NULL,
    space           VARCHAR(63),
    phase           VARCHAR(16),
    method          VARCHAR(64),
    edit_ids        TEXT,
    idempotency_key VARCHAR(200),
    outcome         VARCHAR(16) NOT NULL,
    http_status     INT NOT NULL,
    detail          TEXT
);
CREATE INDEX audit_event_at ON audit_event (at DESC);
CREATE INDEX audit_event_space ON audit_event (space, at DESC);

CREATE TABLE experiment (
    id          VARCHAR(36) PRIMARY KEY,
    name        VARCHAR(200) NOT NULL,
    created_by  VARCHAR(64),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE experiment_arm (
    id            BIGSERIAL PRIMARY KEY,
    experiment_id VARCHAR(36) NOT NULL REFERENCES experiment (id) ON DELETE CASCADE,
    position      INT NOT NULL,
    name          VARCHAR(100) NOT NULL,
    space         VARCHAR(63) NOT NULL,
    phase         VARCHAR(16) NOT NULL,
    weight        DOUBLE PRECISION NOT NULL CHECK (weight > 0),
    UNIQUE (experiment_id, position),
    UNIQUE (experiment_id, name)
);

-- One row per request served through an arm: the counters and latency percentiles derive from it.
CREATE TABLE arm_request (
    id          BIGSERIAL PRIMARY KEY,
    arm_id      BIGINT NOT NULL REFERENCES experiment_arm (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    latency_ms  DOUBLE PRECISION NOT NULL,
    ok          BOOLEAN NOT NULL,
    http_status INT NOT NULL
);
CREATE INDEX arm_request_arm ON arm_request (arm_id);

CREATE TABLE evaluation_run (
    run_id        VARCHAR(64) PRIMARY KEY,
    experiment_id VARCHAR(36) REFERENCES experiment (id) ON DELETE SET NULL,
    created_by    VARCHAR(64),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
