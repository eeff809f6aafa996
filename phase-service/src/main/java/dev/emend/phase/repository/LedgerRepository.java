package dev.emend.phase.repository;

import dev.emend.core.edit.EditException;
import dev.emend.phase.entity.EditEntity;
import dev.emend.phase.entity.EditUnitEntity;
import dev.emend.phase.entity.IdempotencyKeyEntity;
import dev.emend.phase.entity.SpaceEntity;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The durable ledger: every state change of a space is one transaction here, committed before the
 * change is applied in memory or acknowledged. The space row is locked for the transaction and its
 * head compared with the head the caller computed against, so two replicas on one database can
 * never interleave commits unnoticed.
 */
@ApplicationScoped
public class LedgerRepository {
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.flyway.default-schema", defaultValue = "public")
    String schema;

    /** An edit row to insert. */
    public record NewEdit(String id, String requestJson, String caseId, String notesJson, String diagnosticsJson) {
    }

    /** A unit to insert with its edits. */
    public record NewUnit(String id, String method, String hparamsJson, String mode, String fingerprint,
                          byte[] payload, List<NewEdit> edits, List<String> supersedes, String timingsJson) {
    }

    /** Result of a commit: the sequences given to the edits and the time. */
    public record Commit(long firstSequence, long lastSequence, OffsetDateTime at) {
    }

    /** Result of a rollback commit. */
    public record RollbackCommit(long sequence, OffsetDateTime at, List<String> rolledBack, List<String> reactivated) {
    }

    /** A unit with its edit rows, as loaded for replay and listings. */
    public record StoredUnit(EditUnitEntity unit, List<EditEntity> edits) {
        public boolean live() {
            return edits.stream().anyMatch(e -> !EditEntity.ROLLED_BACK.equals(e.status));
        }
    }

    public static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }

    @Transactional
    public List<SpaceEntity> spaces() {
        return SpaceEntity.listAll(Sort.by("name"));
    }

    @Transactional
    public Optional<SpaceEntity> space(String name) {
        return SpaceEntity.findByIdOptional(name);
    }

    @Transactional
    public SpaceEntity createSpace(String name, String description) {
        if (SpaceEntity.findById(name) != null) {
            throw new EditException(EditException.Reason.ALREADY_EXISTS, "name",
                    "space '" + name + "' already exists; pick another name or delete it first");
        }
        SpaceEntity s = new SpaceEntity();
        s.name = name;
        s.description = description == null ? "" : description;
        s.headSequence = 0;
        s.createdAt = now();
        s.updatedAt = s.createdAt;
        s.persist();
        notifyReplicas(name);
        return s;
    }

    /** Deletes a space with its ledger; returns how many edits were discarded. */
    @Transactional
    public long deleteSpace(String name) {
        SpaceEntity s = SpaceEntity.findById(name, LockModeType.PESSIMISTIC_WRITE);
        if (s == null) {
            throw new EditException(EditException.Reason.NOT_FOUND, "name", "no space '" + name + "'");
        }
        long edits = EditEntity.count("space", name);
        IdempotencyKeyEntity.delete("id.space", name);
        EditEntity.delete("space", name);
        EditUnitEntity.delete("space", name);
        s.delete();
        notifyReplicas(name);
        return edits;
    }

    /** Units of a space in sequence order, each with its edits (for replay and listings). */
    @Transactional
    public List<StoredUnit> units(String space) {
        List<EditUnitEntity> units = EditUnitEntity.list("space", Sort.by("firstSequence"), space);
        List<EditEntity> edits = EditEntity.list("space", Sort.by("sequence"), space);
        List<StoredUnit> out = new ArrayList<>();
        int e = 0;
        java.util.Map<String, List<EditEntity>> byUnit = new java.util.HashMap<>();
        for (EditEntity edit : edits) {
            byUnit.computeIfAbsent(edit.unitId, k -> new ArrayList<>()).add(edit);
        }
        for (EditUnitEntity u : units) {
            out.add(new StoredUnit(u, byUnit.getOrDefault(u.id, List.of())));
        }
        return out;
    }

    @Transactional
    public List<EditEntity> edits(String space, String status, int offset, int limit) {
        String query = status == null ? "space = ?1" : "space = ?1 and status = ?2";
        var q = status == null ? EditEntity.find(query, Sort.by("sequence"), space)
                : EditEntity.find(query, Sort.by("sequence"), space, status);
        return q.range(offset, offset + limit - 1).list();
    }

    @Transactional
    public Optional<EditEntity> edit(String space, String id) {
        return EditEntity.<EditEntity>findByIdOptional(id).filter(e -> e.space.equals(space));
    }

    @Transactional
    public Optional<IdempotencyKeyEntity> idempotencyKey(String space, String key) {
        return IdempotencyKeyEntity.findByIdOptional(new IdempotencyKeyEntity.Key(space, key));
    }

    /**
     * Commits one unit: locks the space row, checks the head, inserts the unit and its edits with
     * consecutive sequences, marks superseded edits, optionally records an idempotency key, moves
     * the head. All or nothing.
     */
    @Transactional
    public Commit commitUnit(String space, long expectedHead, NewUnit unit, String idemKey, String idemHash,
                             List<String> idemEditIdsSoFar) {
        SpaceEntity s = lockSpace(space, expectedHead);
        OffsetDateTime at = now();
        long first = s.headSequence + 1;
        EditUnitEntity u = new EditUnitEntity();
        u.id = unit.id();
        u.space = space;
        u.firstSequence = first;
        u.method = unit.method();
        u.hparams = unit.hparamsJson();
        u.mode = unit.mode();
        u.baseFingerprint = unit.fingerprint();
        u.payload = unit.payload();
        u.persist();
        long seq = first - 1;
        int index = 0;
        for (NewEdit ne : unit.edits()) {
            EditEntity e = new EditEntity();
            e.id = ne.id();
            e.space = space;
            e.unitId = u.id;
            e.unitIndex = index++;
            e.sequence = ++seq;
            e.request = ne.requestJson();
            e.caseId = ne.caseId();
            e.status = EditEntity.LIVE;
            e.committedAt = at;
            e.timings = unit.timingsJson();
            e.notes = ne.notesJson();
            e.diagnostics = ne.diagnosticsJson();
            e.persist();
        }
        String newest = unit.edits().get(unit.edits().size() - 1).id();
        for (String old : unit.supersedes()) {
            EditEntity e = EditEntity.findById(old);
            if (e != null && e.space.equals(space) && EditEntity.LIVE.equals(e.status)) {
                e.status = EditEntity.SUPERSEDED;
                e.supersededBy = newest;
            }
        }
        if (idemKey != null && !idemKey.isEmpty()) {
            List<String> ids = new ArrayList<>(idemEditIdsSoFar);
            unit.edits().forEach(ne -> ids.add(ne.id()));
            IdempotencyKeyEntity k = IdempotencyKeyEntity.findById(new IdempotencyKeyEntity.Key(space, idemKey));
            if (k == null) {
                k = new IdempotencyKeyEntity();
                k.id = new IdempotencyKeyEntity.Key(space, idemKey);
                k.requestHash = idemHash;
                k.createdAt = at;
                k.editIds = String.join(",", ids);
                k.persist();
            } else {
                k.editIds = String.join(",", ids);
            }
        }
        s.headSequence = seq;
        s.updatedAt = at;
        notifyReplicas(space);
        return new Commit(first, seq, at);
    }

    /**
     * Commits the rollback of one unit: its edits become ROLLED_BACK at the new head, edits it
     * superseded become LIVE again.
     */
    @Transactional
    public RollbackCommit rollbackUnit(String space, long expectedHead, String unitId) {
        SpaceEntity s = lockSpace(space, expectedHead);
        OffsetDateTime at = now();
        long seq = s.headSequence + 1;
        List<EditEntity> edits = EditEntity.list("unitId", Sort.by("sequence"), unitId);
        List<String> rolled = new ArrayList<>();
        for (EditEntity e : edits) {
            e.status = EditEntity.ROLLED_BACK;
            e.rolledBackAtSequence = seq;
            rolled.add(e.id);
        }
        List<String> reactivated = new ArrayList<>();
        if (!rolled.isEmpty()) {
            List<EditEntity> superseded = EditEntity.list("space = ?1 and status = ?2 and supersededBy in ?3",
                    space, EditEntity.SUPERSEDED, rolled);
            for (EditEntity e : superseded) {
                e.status = EditEntity.LIVE;
                e.supersededBy = null;
                reactivated.add(e.id);
            }
        }
        s.headSequence = seq;
        s.updatedAt = at;
        notifyReplicas(space);
        return new RollbackCommit(seq, at, rolled, reactivated);
    }

    /** Tells replicas (see ReplicaSync) that a space's ledger changed; delivered on commit. */
    private void notifyReplicas(String space) {
        String channel = "emend_ledger_" + schema.replaceAll("[^a-zA-Z0-9_]", "_");
        SpaceEntity.getEntityManager().createNativeQuery("SELECT pg_notify(?1, ?2)")
                .setParameter(1, channel).setParameter(2, space).getSingleResult();
    }

    private SpaceEntity lockSpace(String space, long expectedHead) {
        SpaceEntity s = SpaceEntity.findById(space, LockModeType.PESSIMISTIC_WRITE);
        if (s == null) {
            throw new EditException(EditException.Reason.NOT_FOUND, "space", "no space '" + space + "' (was it deleted?)");
        }
        if (s.headSequence != expectedHead) {
            throw new EditException(EditException.Reason.ABORTED, "space",
                    "the ledger of '" + space + "' moved to sequence " + s.headSequence + " while this replica was at "
                            + expectedHead + " (another replica committed); retry");
        }
        return s;
    }
}
