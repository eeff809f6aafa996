package dev.emend.phase.service;

import dev.emend.api.v1.ApplyEditsRequest;
import dev.emend.core.edit.ComputedEdit;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditMode;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.LedgerUnit;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.PhaseEngine;
import dev.emend.core.edit.SpaceState;
import dev.emend.phase.config.PhaseConfig;
import dev.emend.phase.entity.EditEntity;
import dev.emend.phase.entity.IdempotencyKeyEntity;
import dev.emend.phase.mapping.ProtoMapping;
import dev.emend.phase.repository.LedgerRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Applies and rolls back edits: validates everything before queueing (a validation error changes
 * nothing), computes on the queue thread, commits each unit to the ledger, and only then applies
 * it in memory and acknowledges. A crash at any point therefore loses no acknowledged edit and
 * leaves none half-applied: the in-memory state is rebuilt from committed units on start.
 */
@ApplicationScoped
public class EditService {
    @Inject
    SpaceRegistry registry;
    @Inject
    LedgerRepository ledger;
    @Inject
    EditQueue queue;
    @Inject
    MeterRegistry meters;
    @Inject
    PhaseConfig config;

    /** Calls with an idempotency key that are queued or computing, by space + NUL + key. */
    private final Map<String, EditTracker> inflight = new ConcurrentHashMap<>();

    /** What ApplyEdits produced: the edit ids in order, the head after, the method and hparams. */
    public record Applied(SpaceRuntime space, MethodDescriptor method, Hparams hparams, List<String> editIds,
                          long sequence, double queueMs, double computeMs, double commitMs, double totalMs) {
    }

    /** What Rollback produced. */
    public record RolledBack(SpaceRuntime space, String editId, boolean exact, String reason, List<String> dependents,
                             List<String> reactivated, long sequence) {
    }

    public Applied apply(ApplyEditsRequest call) {
        long t0 = System.nanoTime();
        SpaceRuntime caller = registry.editable(call.getSpace(), "space");
        if (call.getMethod().isBlank()) {
            throw EditException.invalid("method", "no method given; Describe lists the methods of this phase");
        }
        MethodDescriptor method = registry.method(call.getMethod(), "method");
        Hparams hp = Hparams.resolve(method, ProtoMapping.map(call.getHparams()));
        int n = call.getRequestsCount();
        if (n == 0) {
            throw EditException.invalid("requests", "no edit requests given; send at least one");
        }
        if (n > config.maxRequests()) {
            throw EditException.invalid("requests", n + " requests in one call; the limit is " + config.maxRequests()
                    + ": split the call");
        }
        EditMode mode = switch (call.getMode()) {
            case EDIT_MODE_SINGLE -> EditMode.SINGLE;
            case EDIT_MODE_BATCH -> EditMode.BATCH;
            case EDIT_MODE_SEQUENTIAL -> EditMode.SEQUENTIAL;
            default -> {
                if (n == 1) {
                    yield EditMode.SINGLE;
                }
                throw EditException.invalid("mode", n + " requests need an explicit mode: EDIT_MODE_BATCH or EDIT_MODE_SEQUENTIAL");
            }
        };
        if (mode == EditMode.SINGLE && n != 1) {
            throw EditException.invalid("mode", "EDIT_MODE_SINGLE takes exactly one request, got " + n);
        }
        if (!method.modes().contains(mode)) {
            throw EditException.invalid("mode", method.name() + " does not support " + mode + "; it supports " + method.modes());
        }
        int batchSize = call.getBatchSize();
        if (batchSize < 0) {
            throw EditException.invalid("batch_size", "must be >= 0 (0 = all requests in one batch)");
        }
        int effectiveBatch = mode == EditMode.BATCH ? (batchSize == 0 ? n : Math.min(batchSize, n)) : 1;
        if (mode == EditMode.BATCH && method.maxBatchSize() > 0 && effectiveBatch > method.maxBatchSize()) {
            throw EditException.invalid("batch_size", "batches of " + effectiveBatch + " exceed " + method.name()
                    + "'s limit of " + method.maxBatchSize() + ": set batch_size to at most that");
        }
        List<EditRequest> requests = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            var r = call.getRequests(i);
            if (r.getPrompt().isBlank()) {
                throw EditException.invalid("requests[" + i + "].prompt", "the prompt is empty");
            }
            if (r.getTargetNew().isBlank()) {
                throw EditException.invalid("requests[" + i + "].target_new", "the new target is empty: say what the prompt should now be completed with");
            }
            requests.add(ProtoMapping.request(r));
        }
        PhaseEngine engine = registry.engine();
        engine.validate(method, hp, mode, requests);

        String idemKey = call.getIdempotencyKey();
        String idemHash = idemKey.isEmpty() ? null : hash(call.toBuilder().clearIdempotencyKey().build().toByteArray());
        Optional<Applied> replay = idempotentReplay(caller, method, hp, idemKey, idemHash);
        if (replay.isPresent()) {
            return replay.get();
        }
        long enqueued = System.nanoTime();
        String trackKey = idemKey.isEmpty() ? null : call.getSpace() + "\u0000" + idemKey;
        EditTracker tracker = new EditTracker((n + effectiveBatch - 1) / effectiveBatch);
        if (trackKey != null) {
            // A concurrent retry with the same key is not tracked twice: it queues behind the first and
            // is answered with its result (idempotentReplay on the queue thread).
            inflight.putIfAbsent(trackKey, tracker);
        }
        try {
            return queue.run(() -> compute(t0, enqueued, call, method, hp, mode, requests, effectiveBatch, idemKey,
                    idemHash, tracker));
        } finally {
            if (trackKey != null) {
                inflight.remove(trackKey, tracker);
            }
        }
    }

    /** GetEditProgress: the progress of a queued or computing call, or UNKNOWN. */
    public dev.emend.api.v1.EditProgress progress(String space, String idempotencyKey) {
        EditTracker t = tracked(space, idempotencyKey);
        return t == null ? EditTracker.unknown() : t.snapshot();
    }

    /** CancelEdit: flags a queued or computing call; its next progress report or unit boundary stops it. */
    public dev.emend.api.v1.CancelEditResponse cancel(String space, String idempotencyKey) {
        EditTracker t = tracked(space, idempotencyKey);
        if (t == null) {
            return dev.emend.api.v1.CancelEditResponse.newBuilder().setCancelled(false).setProgress(EditTracker.unknown()).build();
        }
        t.cancel();
        Log.infof("edit call %s in %s: cancel requested", idempotencyKey, space);
        return dev.emend.api.v1.CancelEditResponse.newBuilder().setCancelled(true).setProgress(t.snapshot()).build();
    }

    private EditTracker tracked(String space, String idempotencyKey) {
        if (space == null || space.isBlank()) {
            throw EditException.invalid("space", "no space given");
        }
        if (idempotencyKey == null || idempotencyKey.isBlank()) {
            throw EditException.invalid("idempotency_key", "no idempotency key given: only calls sent with one can be followed");
        }
        return inflight.get(space + "\u0000" + idempotencyKey);
    }

    private Applied compute(long t0, long enqueued, ApplyEditsRequest call, MethodDescriptor method, Hparams hp,
                            EditMode mode, List<EditRequest> requests, int effectiveBatch, String idemKey,
                            String idemHash, EditTracker tracker) {
        int n = requests.size();
        PhaseEngine engine = registry.engine();
        double queueMs = (System.nanoTime() - enqueued) / 1e6;
        tracker.checkCancelled();
        tracker.started();
        // Resolve again on the queue thread: a replica rebuild may have replaced the runtime meanwhile.
        SpaceRuntime space = registry.editable(call.getSpace(), "space");
        Optional<Applied> again = idempotentReplay(space, method, hp, idemKey, idemHash);
        if (again.isPresent()) {
            return again.get();
        }
        if (call.hasExpectedSequence() && call.getExpectedSequence() != space.sequence()) {
            throw new EditException(EditException.Reason.ABORTED, "expected_sequence", "the ledger head of '"
                    + space.name() + "' is " + space.sequence() + ", not " + call.getExpectedSequence()
                    + ": re-read the space and decide again");
        }
        List<String> ids = new ArrayList<>();
        double computeMs = 0;
        double commitMs = 0;
        for (int from = 0; from < n; from += effectiveBatch) {
            int to = Math.min(n, from + effectiveBatch);
            List<EditRequest> unitRequests = requests.subList(from, to);
            long c0 = System.nanoTime();
            ComputedEdit computed;
            try {
                tracker.checkCancelled();
                computed = engine.compute(space.stateForCompute(), method, hp, unitRequests,
                        tracker.progress(progressLog(space.name() + " " + method.name())));
            } catch (RuntimeException e) {
                throw partial(e, ids, from, n);
            }
            long c1 = System.nanoTime();
            double unitCompute = (c1 - c0) / 1e6;
            meters.timer("emend.edit.compute", "method", method.name()).record(c1 - c0, TimeUnit.NANOSECONDS);
            String unitId = UUID.randomUUID().toString();
            List<LedgerRepository.NewEdit> rows = new ArrayList<>();
            List<String> unitIds = new ArrayList<>();
            for (int i = from; i < to; i++) {
                String id = UUID.randomUUID().toString();
                unitIds.add(id);
                int k = i - from;
                rows.add(new LedgerRepository.NewEdit(id, ProtoMapping.requestJson(call.getRequests(i)),
                        call.getRequests(i).getCaseId(),
                        ProtoMapping.json(k < computed.notes().size() ? computed.notes().get(k) : List.of()),
                        ProtoMapping.json(k < computed.diagnostics().size() ? computed.diagnostics().get(k) : Map.of())));
            }
            Map<String, Double> timings = new LinkedHashMap<>();
            timings.put("queue_ms", queueMs);
            timings.put("compute_ms", unitCompute);
            LedgerRepository.NewUnit unit = new LedgerRepository.NewUnit(unitId, method.name(),
                    ProtoMapping.json(hp.asMap()), mode.name(), engine.model().fingerprint(), computed.payload(), rows,
                    computed.supersedes(), ProtoMapping.json(timings));
            List<String> idsBefore = List.copyOf(ids);
            long head = space.sequence();
            try {
                space.applyDurably(unitId, new LedgerUnit(unitIds, method.name(), hp, unitRequests, computed.payload()),
                        () -> ledger.commitUnit(space.name(), head, unit, idemKey, idemHash, idsBefore),
                        engine::newState);
            } catch (EditException e) {
                if (e.reason() == EditException.Reason.ABORTED) {
                    registry.refresh(space.name());
                }
                throw partial(e, ids, from, n);
            } catch (RuntimeException e) {
                throw partial(e, ids, from, n);
            }
            double unitCommit = (System.nanoTime() - c1) / 1e6;
            computeMs += unitCompute;
            commitMs += unitCommit;
            ids.addAll(unitIds);
            tracker.unitDone();
        }
        double totalMs = (System.nanoTime() - t0) / 1e6;
        meters.timer("emend.edit.latency", "method", method.name()).record((long) (totalMs * 1e6), TimeUnit.NANOSECONDS);
        return new Applied(space, method, hp, ids, space.sequence(), queueMs, computeMs, commitMs, totalMs);
    }

    /**
     * A failure part-way through a sequential or batched call: the units before it are committed
     * and live, so the message says so (an EditException keeps its code, with that added).
     */
    private static RuntimeException partial(RuntimeException e, List<String> committed, int from, int n) {
        if (committed.isEmpty()) {
            return e;
        }
        String done = "; edit " + (from + 1) + " of " + n + " failed and nothing of it was applied, the "
                + committed.size() + " edits before it are committed and live: ListEdits shows them";
        if (e instanceof EditException ee) {
            return new EditException(ee.reason(), ee.field(), ee.getMessage() + done);
        }
        return new IllegalStateException(e.getMessage() + done, e);
    }

    private Optional<Applied> idempotentReplay(SpaceRuntime space, MethodDescriptor method, Hparams hp, String key,
                                               String hash) {
        if (key == null || key.isEmpty()) {
            return Optional.empty();
        }
        Optional<IdempotencyKeyEntity> k = ledger.idempotencyKey(space.name(), key);
        if (k.isEmpty()) {
            return Optional.empty();
        }
        if (!k.get().requestHash.equals(hash)) {
            throw new EditException(EditException.Reason.ALREADY_EXISTS, "idempotency_key", "idempotency key '" + key
                    + "' was already used for a different request in space '" + space.name() + "': use a new key");
        }
        List<String> ids = List.of(k.get().editIds.split(","));
        return Optional.of(new Applied(space, method, hp, ids, space.sequence(), 0, 0, 0, 0));
    }

    public RolledBack rollback(String spaceName, String editId, String idempotencyKey) {
        registry.editable(spaceName, "space");
        if (editId == null || editId.isBlank()) {
            throw EditException.invalid("edit_id", "no edit id given; ListEdits shows the ids");
        }
        return queue.run(() -> {
            SpaceRuntime space = registry.editable(spaceName, "space");
            EditEntity edit = ledger.edit(space.name(), editId).orElseThrow(() -> new EditException(
                    EditException.Reason.NOT_FOUND, "edit_id", "no edit '" + editId + "' in space '" + space.name() + "'"));
            if (EditEntity.ROLLED_BACK.equals(edit.status)) {
                if (idempotencyKey != null && !idempotencyKey.isEmpty()) {
                    return new RolledBack(space, editId, true, "already rolled back at sequence "
                            + edit.rolledBackAtSequence + " (idempotent retry)", List.of(), List.of(), space.sequence());
                }
                throw EditException.precondition("edit_id", "edit '" + editId + "' was already rolled back at sequence "
                        + edit.rolledBackAtSequence);
            }
            List<SpaceRuntime.AppliedUnit> live = space.liveUnits();
            int at = -1;
            for (int i = 0; i < live.size(); i++) {
                if (live.get(i).unitId().equals(edit.unitId)) {
                    at = i;
                }
            }
            if (at < 0) {
                throw new IllegalStateException("edit '" + editId + "' is live in the ledger but not applied in memory");
            }
            SpaceRuntime.AppliedUnit target = live.get(at);
            List<SpaceRuntime.AppliedUnit> remaining = new ArrayList<>(live);
            remaining.remove(at);
            List<SpaceRuntime.AppliedUnit> later = live.subList(at + 1, live.size());
            MethodDescriptor method = registry.method(target.unit().method(), "method");
            // Build the new state before committing: if replay fails, nothing is written.
            SpaceState rebuilt = registry.engine().newState();
            try {
                for (SpaceRuntime.AppliedUnit u : remaining) {
                    rebuilt.apply(u.unit());
                }
            } catch (RuntimeException e) {
                rebuilt.close();
                throw e;
            }
            LedgerRepository.RollbackCommit commit;
            try {
                commit = ledger.rollbackUnit(space.name(), space.sequence(), target.unitId());
            } catch (RuntimeException e) {
                rebuilt.close();
                if (e instanceof EditException ee && ee.reason() == EditException.Reason.ABORTED) {
                    registry.refresh(space.name());
                }
                throw e;
            }
            space.swap(rebuilt, remaining, commit.sequence(), commit.at());
            boolean exact = method.exactRollback() || later.isEmpty();
            String reason;
            if (later.isEmpty()) {
                reason = "it was the newest live edit: the space now equals replay of the edits before it";
            } else if (exact) {
                reason = method.name() + " edits are independent of each other: removing this one leaves the others as if it never existed";
            } else {
                reason = later.size() + " later edit unit(s) were computed on a model that included this edit; they stay "
                        + "applied as computed, so the space is close to, but not exactly, what it would be had this edit never been made";
            }
            List<String> dependents = new ArrayList<>(target.unit().editIds());
            dependents.remove(editId);
            return new RolledBack(space, editId, exact, reason, dependents, commit.reactivated(), commit.sequence());
        });
    }

    /** Logs a long computation's progress at INFO, once per stage and every 10 %. */
    static dev.emend.core.edit.Progress progressLog(String what) {
        String[] lastStage = {""};
        int[] lastDecile = {-1};
        return (stage, fraction) -> {
            int decile = (int) Math.floor(fraction * 10);
            if (!stage.equals(lastStage[0]) || decile > lastDecile[0]) {
                lastStage[0] = stage;
                lastDecile[0] = decile;
                Log.infof("%s: %s %.0f%%", what, stage, 100 * fraction);
            }
        };
    }

    /** Deletes a space on the queue thread, so no edit of it is half-way when it goes. */
    public long queueDelete(String name) {
        return queue.run(() -> registry.delete(name));
    }

    static String hash(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hash(String s) {
        return hash(s.getBytes(StandardCharsets.UTF_8));
    }
}
