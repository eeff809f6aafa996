package dev.emend.gateway.service;

import dev.emend.api.v1.CreateSpaceRequest;
import dev.emend.api.v1.DeleteSpaceRequest;
import dev.emend.api.v1.DeleteSpaceResponse;
import dev.emend.api.v1.Space;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.client.PhaseRequestException;
import dev.emend.gateway.client.PhaseUnavailableException;
import dev.emend.gateway.client.Phases;
import dev.emend.gateway.entity.SpaceEntity;
import dev.emend.gateway.mapping.ProtoMapper;
import dev.emend.gateway.mapping.SpaceJson;
import dev.emend.gateway.repository.SpaceRepository;
import dev.emend.gateway.rest.ProblemException;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's space registry: which phase owns each space. A space lives in exactly one phase
 * service; "base" exists in every phase and is addressed with {@code ?phase=} (default mastery).
 */
@ApplicationScoped
public class SpaceService {
    public static final String BASE = "base";
    private static final String NAME_PATTERN = "[a-z0-9][a-z0-9_-]{0,62}";

    @Inject
    SpaceRepository spaces;
    @Inject
    Phases phases;

    /** The phase of {@code space}; for "base" the requested phase (default mastery). 404 for an unknown space. */
    @Transactional
    public PhaseName phaseOf(String space, String phaseParam) {
        if (BASE.equals(space)) {
            return phaseParam == null || phaseParam.isBlank() ? PhaseName.MASTERY : PhaseName.parse(phaseParam, "phase");
        }
        SpaceEntity s = spaces.findById(space);
        if (s == null) {
            throw ProblemException.notFound("Unknown space '" + space + "'. List spaces with GET /v1/spaces or create it "
                    + "with POST /v1/spaces {\"name\": \"" + space + "\", \"phase\": \"mastery\"}.");
        }
        PhaseName owner = PhaseName.parse(s.phase, "phase");
        if (phaseParam != null && !phaseParam.isBlank() && PhaseName.parse(phaseParam, "phase") != owner) {
            throw ProblemException.badRequest("phase", "Space '" + space + "' is in the " + owner.id()
                    + " phase, not " + phaseParam + ". Drop the phase parameter.");
        }
        return owner;
    }

    public SpaceJson.SpaceOutJson create(SpaceJson.CreateSpaceJson req, String createdBy) {
        if (req == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"name\": \"my-space\", \"phase\": \"mastery\"}.");
        }
        String name = req.name();
        if (name == null || !name.matches(NAME_PATTERN)) {
            throw ProblemException.badRequest("name", "'name' is " + (name == null ? "missing" : "'" + name + "'")
                    + ": use 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit.");
        }
        if (BASE.equals(name)) {
            throw ProblemException.conflict("'base' is the read-only unedited model of every phase; choose another name.");
        }
        PhaseName phase = PhaseName.parse(req.phase(), "phase");
        String description = req.description() == null ? "" : req.description();
        if (description.length() > 1000) {
            throw ProblemException.badRequest("description", "'description' has " + description.length() + " characters; at most 1000.");
        }
        ensureFree(name);
        Space created;
        try {
            created = phases.call(phase, c -> c.createSpace(CreateSpaceRequest.newBuilder().setName(name)
                    .setDescription(description).build()));
        } catch (PhaseRequestException e) {
            if (e.code() == Status.Code.ALREADY_EXISTS) {
                throw ProblemException.conflict("The " + phase.id() + " phase already has a space '" + name
                        + "' (made outside the gateway, e.g. by an evaluation). Choose another name.");
            }
            throw e;
        }
        SpaceEntity e = register(name, phase, description, createdBy);
        return out(e, created);
    }

    @Transactional
    void ensureFree(String name) {
        SpaceEntity existing = spaces.findById(name);
        if (existing != null) {
            throw ProblemException.conflict("Space '" + name + "' already exists (phase " + existing.phase
                    + "). Space names are unique across phases; choose another name.");
        }
    }

    @Transactional
    SpaceEntity register(String name, PhaseName phase, String description, String createdBy) {
        SpaceEntity e = new SpaceEntity();
        e.name = name;
        e.phase = phase.id();
        e.description = description;
        e.createdBy = createdBy;
        e.createdAt = OffsetDateTime.now();
        spaces.persist(e);
        return e;
    }

    @Transactional
    public List<SpaceEntity> registered() {
        return spaces.listAll(io.quarkus.panache.common.Sort.by("name"));
    }

    /** Every registered space with its live state from its phase (when that phase answers). */
    public SpaceJson.SpaceListJson list() {
        List<SpaceEntity> all = registered();
        Map<PhaseName, Map<String, Space>> live = new EnumMap<>(PhaseName.class);
        List<String> down = new ArrayList<>();
        for (PhaseName p : PhaseName.values()) {
            if (all.stream().noneMatch(s -> s.phase.equals(p.id()))) {
                continue;
            }
            try {
                Map<String, Space> m = new HashMap<>();
                phases.call(p, c -> c.listSpaces()).getSpacesList().forEach(s -> m.put(s.getName(), s));
                live.put(p, m);
            } catch (PhaseUnavailableException e) {
                down.add(p.id());
            }
        }
        List<SpaceJson.SpaceOutJson> out = new ArrayList<>();
        for (SpaceEntity s : all) {
            Map<String, Space> m = live.get(PhaseName.parse(s.phase, "phase"));
            out.add(out(s, m == null ? null : m.get(s.name)));
        }
        return new SpaceJson.SpaceListJson(out, down);
    }

    /** Deletes the space in its phase and from the registry; returns the discarded ledger size. */
    public long delete(String name) {
        PhaseName phase = phaseOf(name, null);
        if (BASE.equals(name)) {
            throw ProblemException.conflict("'base' cannot be deleted.");
        }
        long discarded = 0;
        try {
            DeleteSpaceResponse r = phases.call(phase, c -> c.deleteSpace(DeleteSpaceRequest.newBuilder().setName(name).build()));
            discarded = r.getEditsDiscarded();
        } catch (PhaseRequestException e) {
            if (e.code() != Status.Code.NOT_FOUND) {
                throw e;
            }
        }
        unregister(name);
        return discarded;
    }

    @Transactional
    void unregister(String name) {
        spaces.deleteById(name);
    }

    static SpaceJson.SpaceOutJson out(SpaceEntity e, Space live) {
        if (live == null) {
            return new SpaceJson.SpaceOutJson(e.name, e.phase, e.description, null, null, null,
                    e.createdAt == null ? null : e.createdAt.toInstant().toString(), null, "unavailable");
        }
        return new SpaceJson.SpaceOutJson(e.name, e.phase, e.description, ProtoMapper.version(live.getModelVersion()),
                live.getLiveEdits(), live.getReadOnly(), e.createdAt == null ? null : e.createdAt.toInstant().toString(),
                ProtoMapper.time(live.getUpdatedAt()), "available");
    }
}
