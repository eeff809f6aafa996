-- Evaluation runs and their per-case results (schema "evaluation"). Messages of emend.v1 are kept
-- as serialized protobuf (request, progress, protocol, results); the columns beside them are what
-- is queried (status, order, paging) or what a restart needs to decide (mode, cases done).

CREATE TABLE run (
    id                VARCHAR(36)  PRIMARY KEY,
    name              TEXT         NOT NULL DEFAULT '',
    status            VARCHAR(32)  NOT NULL,
    status_reason     TEXT         NOT NULL DEFAULT '',
    request           BYTEA        NOT NULL,
    progress          BYTEA,
    protocol          BYTEA,
    model_fingerprint VARCHAR(64)  NOT NULL DEFAULT '',
    cases_done        BIGINT       NOT NULL DEFAULT 0,
    cases_total       BIGINT       NOT NULL DEFAULT 0,
    resume_count      INT          NOT NULL DEFAULT 0,
    report_dir        TEXT         NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ  NOT NULL,
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ
);
CREATE INDEX run_created ON run (created_at DESC, id);
CREATE INDEX run_status ON run (status);

-- One target (method or space) of a run: its aggregate result (TargetResult without cases).
CREATE TABLE target_result (
    run_id       VARCHAR(36) NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    target_index INT         NOT NULL,
    result       BYTEA       NOT NULL,
    PRIMARY KEY (run_id, target_index)
);

-- One case under one target (emend.v1.CaseResult), written as soon as the case is finished:
-- what a resumed run skips.
CREATE TABLE case_result (
    run_id       VARCHAR(36) NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    target_index INT         NOT NULL,
    case_index   INT         NOT NULL,
    result       BYTEA       NOT NULL,
    PRIMARY KEY (run_id, target_index, case_index)
);
