package dev.emend.core.edit;

import java.util.List;
import java.util.Map;

/**
 * One ledger unit computed by a {@link PhaseEngine}: the requests it covers (one, or a whole
 * batch) and an engine-defined payload that {@link SpaceState#apply} turns into the new state.
 * The payload is what the ledger stores (e.g. ROME's u and v, MEMIT's per-layer factors, a GRACE
 * codebook entry, a LoRA adapter as safetensors bytes), so replaying payloads in ledger order
 * rebuilds the space without recomputing anything.
 *
 * @param notes       per request (same order), remarks for the caller
 * @param diagnostics per request, numbers worth keeping (loss, norms, steps)
 * @param supersedes  ledger ids of earlier live edits this one replaces (recognition: same subject
 *                    and relation); the service marks them SUPERSEDED in the same transaction
 */
public record ComputedEdit(String method, byte[] payload, List<List<Note>> notes,
                           List<Map<String, Double>> diagnostics, List<String> supersedes) {
    public ComputedEdit {
        notes = List.copyOf(notes);
        diagnostics = List.copyOf(diagnostics);
        supersedes = supersedes == null ? List.of() : List.copyOf(supersedes);
    }
}
