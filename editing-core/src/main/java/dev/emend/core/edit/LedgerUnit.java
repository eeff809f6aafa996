package dev.emend.core.edit;

import java.util.List;

/**
 * A committed ledger unit as the engine sees it on apply and replay: the ledger ids of its
 * requests (same order as {@code requests}), the method, the effective hparams and the payload.
 */
public record LedgerUnit(List<String> editIds, String method, Hparams hparams, List<EditRequest> requests,
                         byte[] payload) {
    public LedgerUnit {
        editIds = List.copyOf(editIds);
        requests = List.copyOf(requests);
    }
}
