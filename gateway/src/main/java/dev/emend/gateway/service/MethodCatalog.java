package dev.emend.gateway.service;

import dev.emend.api.v1.DescribeResponse;
import dev.emend.api.v1.HparamSpec;
import dev.emend.api.v1.MethodInfo;
import dev.emend.gateway.client.PhaseName;
import dev.emend.gateway.client.PhaseUnavailableException;
import dev.emend.gateway.client.Phases;
import dev.emend.gateway.mapping.ProtoMapper;
import dev.emend.gateway.mapping.SpaceJson;
import dev.emend.gateway.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The methods catalogue, aggregated from every phase's Describe and cached for 30 s (a phase that
 * goes down keeps its last known description until it answers again). The method decides the
 * phase.
 */
@ApplicationScoped
public class MethodCatalog {
    private static final long TTL_NANOS = 30_000_000_000L;

    @Inject
    Phases phases;

    private record Entry(DescribeResponse describe, long at) {
    }

    private final Map<PhaseName, Entry> cache = new EnumMap<>(PhaseName.class);

    /** The phase's description, or a PhaseUnavailableException if it was never reachable. */
    public DescribeResponse describe(PhaseName phase) {
        Entry e;
        synchronized (cache) {
            e = cache.get(phase);
        }
        if (e != null && System.nanoTime() - e.at < TTL_NANOS) {
            return e.describe;
        }
        try {
            DescribeResponse d = phases.call(phase, EditorClient -> EditorClient.describe());
            synchronized (cache) {
                cache.put(phase, new Entry(d, System.nanoTime()));
            }
            return d;
        } catch (PhaseUnavailableException ex) {
            if (e != null) {
                return e.describe;
            }
            throw ex;
        }
    }

    /** The method of this phase with this name (case-insensitive), or a 400 that says where it lives. */
    public MethodInfo method(PhaseName phase, String name, String field) {
        if (name == null || name.isBlank()) {
            throw ProblemException.badRequest(field, "'" + field + "' is required: a method name such as FT-M or ROME "
                    + "(GET /v1/methods lists them).");
        }
        Optional<MethodInfo> m = describe(phase).getMethodsList().stream().filter(x -> x.getName().equalsIgnoreCase(name)).findFirst();
        if (m.isPresent()) {
            return m.get();
        }
        for (PhaseName other : PhaseName.values()) {
            if (other != phase && knows(other, name)) {
                throw ProblemException.badRequest(field, "Method '" + name + "' belongs to the " + other.id()
                        + " phase, but this space is in the " + phase.id() + " phase. Use a space of the " + other.id()
                        + " phase, or one of this phase's methods: " + names(phase) + ".");
            }
        }
        throw ProblemException.badRequest(field, "Unknown method '" + name + "' in the " + phase.id() + " phase; it offers "
                + names(phase) + ".");
    }

    /** The phase whose service offers {@code name}, among the phases that answer. */
    public PhaseName phaseOfMethod(String name, String field) {
        List<String> down = new ArrayList<>();
        for (PhaseName p : PhaseName.values()) {
            try {
                if (knows(p, name)) {
                    return p;
                }
            } catch (PhaseUnavailableException e) {
                down.add(p.id());
            }
        }
        throw ProblemException.badRequest(field, "Unknown method '" + name + "'. GET /v1/methods lists the methods"
                + (down.isEmpty() ? "." : "; phases not answering now: " + down + " (their methods cannot be checked)."));
    }

    private boolean knows(PhaseName p, String name) {
        try {
            return describe(p).getMethodsList().stream().anyMatch(x -> x.getName().equalsIgnoreCase(name));
        } catch (PhaseUnavailableException e) {
            return false;
        }
    }

    private String names(PhaseName p) {
        return describe(p).getMethodsList().stream().map(MethodInfo::getName).toList().toString();
    }

    /** A method that needs training (MethodInfo.trainable), with its phase; else a 400 listing the trainable ones. */
    public record Trainable(PhaseName phase, MethodInfo method) {
    }

    public Trainable trainable(String name, String field) {
        PhaseName phase = phaseOfMethod(name, field);
        MethodInfo m = method(phase, name, field);
        if (!m.getTrainable()) {
            List<String> trainable = new ArrayList<>();
            for (PhaseName p : PhaseName.values()) {
                try {
                    describe(p).getMethodsList().stream().filter(MethodInfo::getTrainable).forEach(x -> trainable.add(x.getName()));
                } catch (PhaseUnavailableException e) {
                    // a phase that does not answer lists nothing
                }
            }
            throw ProblemException.badRequest(field, "Method '" + m.getName() + "' needs no training; the trainable methods "
                    + "are " + trainable + ".");
        }
        return new Trainable(phase, m);
    }

    /** Every method of every phase that answers, plus each phase's status. */
    public SpaceJson.MethodListJson catalogue() {
        List<SpaceJson.MethodJson> methods = new ArrayList<>();
        List<SpaceJson.PhaseStatusJson> status = new ArrayList<>();
        for (PhaseName p : PhaseName.values()) {
            DescribeResponse d;
            try {
                d = describe(p);
            } catch (PhaseUnavailableException e) {
                status.add(new SpaceJson.PhaseStatusJson(p.id(), "unavailable", null, null, e.getMessage()));
                continue;
            }
            Map<String, Object> model = new LinkedHashMap<>();
            model.put("family", d.getModel().getFamily());
            model.put("name", d.getModel().getName());
            model.put("fingerprint", d.getModel().getFingerprint());
            model.put("num_layers", d.getModel().getNumLayers());
            model.put("context_length", d.getModel().getContextLength());
            status.add(new SpaceJson.PhaseStatusJson(p.id(), "available", d.getServiceVersion(), model, null));
            for (MethodInfo m : d.getMethodsList()) {
                methods.add(new SpaceJson.MethodJson(m.getName(), p.id(), d.getModel().getFamily(), m.getDescription(),
                        m.getSupportedModesList().stream().map(x -> ProtoMapper.enumName(x, "EDIT_MODE_")).toList(),
                        m.getMaxBatchSize(), m.getExactRollback(), m.getHparamsSource(),
                        m.getHparamsList().stream().map(MethodCatalog::hparam).toList(), m.getTrainable()));
            }
        }
        return new SpaceJson.MethodListJson(methods, status);
    }

    private static SpaceJson.HparamJson hparam(HparamSpec h) {
        return new SpaceJson.HparamJson(h.getName(), ProtoMapper.enumName(h.getType(), "HPARAM_TYPE_"),
                h.hasDefaultValue() ? ProtoMapper.plain(h.getDefaultValue()) : null, h.hasMin() ? h.getMin() : null,
                h.hasMax() ? h.getMax() : null, h.getAllowedValuesList().isEmpty() ? null : h.getAllowedValuesList(),
                h.getDescription());
    }
}
