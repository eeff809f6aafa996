-- The ledger of every phase service (each service runs this in its own schema).
-- A space's in-memory state is always replay(base, its live edit units in sequence order).

CREATE TABLE space (
    name          VARCHAR(63) PRIMARY KEY,
    description   TEXT        NOT NULL DEFAULT '',
    head_sequence BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- One computed update (a single edit, or a whole batch): what replay applies.
CREATE TABLE edit_unit (
    id               VARCHAR(36) PRIMARY KEY,
    space            VARCHAR(63) NOT NULL REFERENCES space (name) ON DELETE CASCADE,
    first_sequence   BIGINT      NOT NULL,
    method           VARCHAR(64) NOT NULL,
    hparams          TEXT        NOT NULL,
    mode             VARCHAR(16) NOT NULL,
    base_fingerprint VARCHAR(64) NOT NULL,
    payload          BYTEA       NOT NULL,
    UNIQUE (space, first_sequence)
);

-- One edit request inside a unit; its status changes on rollback and supersession.
CREATE TABLE edit (
    id                      VARCHAR(36) PRIMARY KEY,
    space                   VARCHAR(63) NOT NULL REFERENCES space (name) ON DELETE CASCADE,
    unit_id                 VARCHAR(36) NOT NULL REFERENCES edit_unit (id) ON DELETE CASCADE,
    unit_index              INT         NOT NULL,
    sequence                BIGINT      NOT NULL,
    request                 TEXT        NOT NULL,
    case_id                 TEXT        NOT NULL DEFAULT '',
    status                  VARCHAR(16) NOT NULL,
    superseded_by           VARCHAR(36),
    rolled_back_at_sequence BIGINT      NOT NULL DEFAULT 0,
    committed_at            TIMESTAMPTZ NOT NULL,
    timings                 TEXT        NOT NULL,
    notes                   TEXT        NOT NULL,
    diagnostics             TEXT        NOT NULL,
    UNIQUE (space, sequence)
);
CREATE INDEX edit_unit_idx ON edit (unit_id);

-- Client idempotency keys of ApplyEdits / Rollback, remembered per space.
CREATE TABLE idempotency_key (
    space        VARCHAR(63) NOT NULL REFERENCES space (name) ON DELETE CASCADE,
    key          VARCHAR(200) NOT NULL,
    request_hash VARCHAR(64) NOT NULL,
    edit_ids     TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (space, key)
);
