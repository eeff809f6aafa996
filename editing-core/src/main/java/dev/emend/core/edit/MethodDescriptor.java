package dev.emend.core.edit;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * An editing method as a phase service offers it (mirrors emend.v1.MethodInfo).
 *
 * @param exactRollback whether rolling back any edit of this method restores exactly the state
 *                      the remaining edits would give had it never been applied (false when later
 *                      edits are computed against earlier ones, e.g. ROME/MEMIT/AlphaEdit)
 * @param hparamsSource where the defaults came from, e.g. {@code hparams/ROME/emend-facts.yaml}
 */
public record MethodDescriptor(String name, String description, List<HparamSpec> hparams, Set<EditMode> modes,
                               int maxBatchSize, boolean exactRollback, String hparamsSource) {
    public MethodDescriptor {
        hparams = List.copyOf(hparams);
        modes = Set.copyOf(modes);
    }

    public Optional<HparamSpec> hparam(String name) {
        return hparams.stream().filter(h -> h.name().equals(name)).findFirst();
    }

    /** Case-insensitive lookup of a method by name in a list. */
    public static Optional<MethodDescriptor> find(List<MethodDescriptor> methods, String name) {
        String wanted = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
        return methods.stream().filter(m -> m.name().toUpperCase(Locale.ROOT).equals(wanted)).findFirst();
    }
}
