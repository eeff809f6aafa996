package dev.emend.core.edit;

/** How a list of edit requests is applied (mirrors emend.v1.EditMode). */
public enum EditMode {
    /** Exactly one request. */
    SINGLE,
    /** Requests computed together in one update (one ledger unit). */
    BATCH,
    /** Requests applied one after another, each committed as soon as it is done. */
    SEQUENTIAL
}
