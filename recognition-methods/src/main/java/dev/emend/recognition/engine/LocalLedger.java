package dev.emend.recognition.engine;

import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The service's edit cycle without the service, for probes and tests: validate, compute, give the
 * requests ledger ids, apply the unit to the state. Keeps the units in memory (nothing durable):
 * {@link #replay} rebuilds a fresh state from them, as the service does after a rollback.
 */
public final class LocalLedger {
    private final RecognitionEngine engine;
    private final List<LedgerUnit> units = new ArrayList<>();
    private final List<ComputedEdit> computed = new ArrayList<>();
    private long nextId = 1;

    public LocalLedger(RecognitionEngine engine) {
        this.engine = engine;
    }

    /** Validates, computes and applies one unit; returns the computed edit (notes, supersedes). */
    public ComputedEdit edit(RecognitionState state, String method, Map<String, ?> overrides, EditMode mode,
                             List<EditRequest> requests) {
        MethodDescriptor m = engine.method(method);
        Hparams h = Hparams.resolve(m, overrides);
        engine.validate(m, h, mode, requests);
        ComputedEdit c = engine.compute(state, m, h, requests, Progress.NONE);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            ids.add("e" + nextId++);
        }
        LedgerUnit unit = new LedgerUnit(ids, m.name(), h, requests, c.payload());
        units.add(unit);
        computed.add(c);
        state.apply(unit);
        return c;
    }

    /** One request, SINGLE mode. */
    public ComputedEdit edit(RecognitionState state, String method, Map<String, ?> overrides, EditRequest request) {
        return edit(state, method, overrides, EditMode.SINGLE, List.of(request));
    }

    /** The ledger id the last unit gave its {@code i}-th request. */
    public String lastId(int i) {
        return units.get(units.size() - 1).editIds().get(i);
    }

    public List<LedgerUnit> units() {
        return List.copyOf(units);
    }

    /** A fresh state with every unit except those containing {@code rolledBack}, in ledger order. */
    public RecognitionState replay(String rolledBack) {
        RecognitionState s = engine.newState();
        for (LedgerUnit u : units) {
            if (!u.editIds().contains(rolledBack)) {
                s.apply(u);
            }
        }
        return s;
    }
}
