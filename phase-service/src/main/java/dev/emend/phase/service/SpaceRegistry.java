package dev.emend.phase.service;

import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.PhaseEngine;
import dev.emend.core.edit.SpaceState;
import dev.emend.phase.entity.EditEntity;
import dev.emend.phase.entity.SpaceEntity;
import dev.emend.phase.mapping.ProtoMapping;
import dev.emend.phase.repository.LedgerRepository;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The spaces of this service in memory. On start every space is rebuilt from its ledger
 * ({@code replay(base, live units)}); until that is done the service is not ready and space
 * calls answer UNAVAILABLE.
 */
@ApplicationScoped
public class SpaceRegistry {
    public static final String BASE = "base";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    @Inject
    PhaseEngine engine;
    @Inject
    LedgerRepository ledger;

    private final Map<String, SpaceRuntime> spaces = new ConcurrentHashMap<>();
    private volatile boolean ready;
    private volatile String readyProblem = "replaying the ledger";

    void onStart(@Observes StartupEvent event) {
        try {
            long t0 = System.nanoTime();
            OffsetDateTime epoch = OffsetDateTime.parse("1970-01-01T00:00:00Z");
            spaces.put(BASE, new SpaceRuntime(BASE, "the unedited base model (read-only)", true, engine.newState(), 0,
                    epoch, epoch));
            int units = 0;
            for (SpaceEntity s : ledger.spaces()) {
                units += rebuild(s);
            }
            ready = true;
            Log.infof("%s: %d spaces replayed (%d units) in %.1f s", engine.phase(), spaces.size() - 1, units,
                    (System.nanoTime() - t0) / 1e9);
        } catch (RuntimeException e) {
            readyProblem = "ledger replay failed: " + e.getMessage();
            Log.error(readyProblem, e);
        }
    }

    /** Rebuilds one space from its ledger and registers it; returns the number of units applied. */
    int rebuild(SpaceEntity s) {
        List<SpaceRuntime.AppliedUnit> live = loadLiveUnits(s.name);
        SpaceState state = engine.newState();
        try {
            for (SpaceRuntime.AppliedUnit u : live) {
                state.apply(u.unit());
            }
        } catch (RuntimeException e) {
            state.close();
            throw new IllegalStateException("space '" + s.name + "': " + e.getMessage(), e);
        }
        SpaceRuntime rt = new SpaceRuntime(s.name, s.description, false, state, s.headSequence, s.createdAt,
                s.updatedAt);
        live.forEach(u -> rt.applyCommittedWithoutState(u));
        SpaceRuntime old = spaces.put(s.name, rt);
        if (old != null) {
            old.delete();
        }
        return live.size();
    }

    /** Live units of a space from the ledger, decoded for the engine, in sequence order. */
    public List<SpaceRuntime.AppliedUnit> loadLiveUnits(String space) {
        List<SpaceRuntime.AppliedUnit> out = new ArrayList<>();
        String running = engine.model().fingerprint();
        for (LedgerRepository.StoredUnit su : ledger.units(space)) {
            if (!su.live()) {
                continue;
            }
            String written = su.unit().baseFingerprint;
            if (written != null && !written.equals(running)) {
                // Weight deltas, codebooks and adapters only mean something on the weights they were
                // computed for; replaying them on another checkpoint fails somewhere deep (a layer
                // index out of range) or, worse, succeeds with nonsense.
                throw new IllegalStateException("space '" + space + "' was edited on the model " + written
                        + ", but this service runs " + running + ": start it with the model the ledger was written"
                        + " for (EMEND_MODEL), or on another database / data directory for this model");
            }
            MethodDescriptor method = method(su.unit().method, "method");
            Hparams hp = Hparams.of(ProtoMapping.typedHparams(method, su.unit().hparams));
            List<EditRequest> requests = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            su.edits().stream().sorted(Comparator.comparingInt(e -> e.unitIndex)).forEach(e -> {
                ids.add(e.id);
                requests.add(ProtoMapping.request(ProtoMapping.requestFromJson(e.request)));
            });
            out.add(new SpaceRuntime.AppliedUnit(su.unit().id, su.unit().firstSequence,
                    new LedgerUnit(ids, method.name(), hp, requests, su.unit().payload)));
        }
        return out;
    }

    public boolean ready() {
        return ready;
    }

    public String readyProblem() {
        return ready ? "" : readyProblem;
    }

    public PhaseEngine engine() {
        return engine;
    }

    public MethodDescriptor method(String name, String field) {
        return MethodDescriptor.find(engine.methods(), name).orElseThrow(() -> EditException.invalid(field,
                "unknown method '" + name + "' for the " + engine.phase().name().toLowerCase() + " phase; offered: "
                        + engine.methods().stream().map(MethodDescriptor::name).toList()));
    }

    /** A space by name (base included), or NOT_FOUND / UNAVAILABLE. */
    public SpaceRuntime get(String name, String field) {
        requireReady();
        if (name == null || name.isEmpty()) {
            throw EditException.invalid(field, "the space name is empty; use \"base\" for the unedited model");
        }
        SpaceRuntime s = spaces.get(name);
        if (s == null || s.deleted()) {
            throw new EditException(EditException.Reason.NOT_FOUND, field,
                    "no space '" + name + "' in the " + engine.phase().name().toLowerCase() + " phase; ListSpaces shows them");
        }
        return s;
    }

    /** A space that may be edited: exists and is not base. */
    public SpaceRuntime editable(String name, String field) {
        SpaceRuntime s = get(name, field);
        if (s.readOnly()) {
            throw EditException.precondition(field, "\"base\" is the read-only unedited model: create a space and edit that");
        }
        return s;
    }

    public Collection<SpaceRuntime> all() {
        requireReady();
        List<SpaceRuntime> list = new ArrayList<>(spaces.values());
        list.removeIf(SpaceRuntime::deleted);
        list.sort(Comparator.comparing((SpaceRuntime s) -> !s.readOnly()).thenComparing(SpaceRuntime::name));
        return list;
    }

    public SpaceRuntime create(String name, String description) {
        requireReady();
        if (name == null || name.isEmpty()) {
            throw EditException.invalid("name", "the space name is empty");
        }
        if (BASE.equals(name)) {
            throw new EditException(EditException.Reason.ALREADY_EXISTS, "name", "\"base\" is the unedited model and always exists");
        }
        if (!NAME.matcher(name).matches()) {
            throw EditException.invalid("name", "'" + name + "' is not a valid space name: use 1-63 characters of [a-z0-9_-], starting with a letter or digit");
        }
        SpaceEntity e = ledger.createSpace(name, description);
        SpaceRuntime rt = new SpaceRuntime(name, e.description, false, engine.newState(), 0, e.createdAt, e.updatedAt);
        // ReplicaSync may already have registered it from the commit's NOTIFY: keep that one.
        SpaceRuntime existing = spaces.putIfAbsent(name, rt);
        if (existing != null && !existing.deleted()) {
            rt.delete();
            return existing;
        }
        if (existing != null) {
            spaces.put(name, rt);
        }
        return rt;
    }

    public long delete(String name) {
        requireReady();
        if (BASE.equals(name)) {
            throw EditException.precondition("name", "\"base\" cannot be deleted");
        }
        if (name == null || name.isEmpty()) {
            throw EditException.invalid("name", "the space name is empty");
        }
        long discarded = ledger.deleteSpace(name);
        SpaceRuntime rt = spaces.remove(name);
        if (rt != null) {
            rt.delete();
        }
        return discarded;
    }

    /**
     * Brings a space in line with the database when another replica moved its ledger: rebuilds it
     * from the ledger if the stored head differs from the one in memory. Returns true if rebuilt.
     */
    public boolean refresh(String name) {
        var stored = ledger.space(name);
        SpaceRuntime current = spaces.get(name);
        if (stored.isEmpty()) {
            if (current != null && !current.readOnly()) {
                spaces.remove(name);
                current.delete();
                return true;
            }
            return false;
        }
        if (current != null && current.sequence() == stored.get().headSequence) {
            return false;
        }
        rebuild(stored.get());
        return true;
    }

    /** Rebuilds a space from its ledger even when its head is current (tests, repair). */
    public boolean refreshForced(String name) {
        var stored = ledger.space(name);
        if (stored.isEmpty()) {
            return false;
        }
        rebuild(stored.get());
        return true;
    }

    /** Names of spaces in the database (for replicas picking up new ones). */
    public List<String> storedNames() {
        return ledger.spaces().stream().map(s -> s.name).toList();
    }

    private void requireReady() {
        if (!ready) {
            throw new EditException(EditException.Reason.UNAVAILABLE, "",
                    "the " + engine.phase().name().toLowerCase() + " service is not ready (" + readyProblem + "); retry shortly");
        }
    }

    static boolean isLive(EditEntity e) {
        return !EditEntity.ROLLED_BACK.equals(e.status);
    }
}
