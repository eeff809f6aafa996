package dev.emend.core.method;

import dev.emend.core.edit.EditException;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.edit.ModelDefaults;
import dev.emend.core.edit.Phase;
import dev.emend.core.edit.SpaceState;
import dev.emend.core.runtime.LanguageModel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Every editing method on the classpath, found with {@link ServiceLoader}
 * ({@code META-INF/services/dev.emend.core.method.EditingMethod}, one implementation class a
 * line): the one place that maps method names to methods and phases. Names are unique over all
 * phases, case-insensitively; a duplicate is a startup error naming both classes. A phase lists its
 * default method ({@link EditingMethod#phaseDefault}, at most one) first, the others in discovery
 * order (the order of the lines, jar by jar in classpath order).
 */
public final class MethodRegistry {
    private final Map<String, EditingMethod<?, ?>> byName = new LinkedHashMap<>();

    private MethodRegistry(List<? extends EditingMethod<?, ?>> methods) {
        List<EditingMethod<?, ?>> ordered = new ArrayList<>(methods);
        ordered.sort(Comparator.comparing((EditingMethod<?, ?> m) -> !m.phaseDefault())); // stable: defaults first
        for (EditingMethod<?, ?> m : ordered) {
            if (m.name() == null || m.name().isBlank() || m.phase() == null) {
                throw new IllegalStateException(m.getClass().getName() + " has no name or phase");
            }
            EditingMethod<?, ?> before = byName.putIfAbsent(key(m.name()), m);
            if (before != null && before.getClass() != m.getClass()) {
                throw new IllegalStateException("two editing methods are called '" + m.name() + "': "
                        + before.getClass().getName() + " and " + m.getClass().getName() + "; rename one");
            }
        }
        for (Phase phase : Phase.values()) {
            List<String> defaults = ofPhase(phase).stream().filter(EditingMethod::phaseDefault).map(EditingMethod::name).toList();
            if (defaults.size() > 1) {
                throw new IllegalStateException("the " + phase.name().toLowerCase(Locale.ROOT)
                        + " phase has more than one default method: " + defaults);
            }
        }
    }

    /** The method a phase uses when a caller names none (listed first), if it declares one. */
    public Optional<EditingMethod<?, ?>> defaultOf(Phase phase) {
        return ofPhase(phase).stream().filter(EditingMethod::phaseDefault).findFirst();
    }

    /** The methods visible to the thread's context class loader (in Quarkus: the application's), else to this class's. */
    public static MethodRegistry load() {
        ClassLoader tccl = Thread.currentThread().getContextClassLoader();
        return load(tccl != null ? tccl : MethodRegistry.class.getClassLoader());
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static MethodRegistry load(ClassLoader loader) {
        List<EditingMethod<?, ?>> found = new ArrayList<>();
        for (EditingMethod m : ServiceLoader.load(EditingMethod.class, loader)) {
            found.add(m);
        }
        return new MethodRegistry(found);
    }

    /** A registry of exactly these methods (tests, tools). */
    public static MethodRegistry of(List<? extends EditingMethod<?, ?>> methods) {
        return new MethodRegistry(methods);
    }

    private static String key(String name) {
        return name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
    }

    public List<EditingMethod<?, ?>> all() {
        return List.copyOf(byName.values());
    }

    public List<EditingMethod<?, ?>> ofPhase(Phase phase) {
        return byName.values().stream().filter(m -> m.phase() == phase).toList();
    }

    /** The names of a phase's methods, in discovery order. */
    public List<String> names(Phase phase) {
        return ofPhase(phase).stream().map(EditingMethod::name).toList();
    }

    /** A method by name, case-insensitive, of any phase. */
    public Optional<EditingMethod<?, ?>> find(String name) {
        return Optional.ofNullable(byName.get(key(name)));
    }

    /** The phase of a method, if it is known. */
    public Optional<Phase> phaseOf(String name) {
        return find(name).map(EditingMethod::phase);
    }

    /**
     * A method of {@code phase} by name (case-insensitive), or INVALID_ARGUMENT on {@code method}
     * listing that phase's methods.
     */
    public EditingMethod<?, ?> get(Phase phase, String name) {
        return find(name).filter(m -> m.phase() == phase).orElseThrow(() -> unknown(phase, name, names(phase)));
    }

    static EditException unknown(Phase phase, String name, List<String> known) {
        return EditException.invalid("method", "unknown " + phase.name().toLowerCase(Locale.ROOT) + " method '" + name
                + "'; known: " + known);
    }

    /**
     * The method's descriptor on {@code lm} with the per-model defaults {@link ModelDefaults} chooses
     * from the {@code hparams/<name>/<model>.yaml} files beside the method's class (EasyEdit's files
     * scaled by depth, under an override file named after {@code modelName}).
     */
    public static MethodDescriptor describe(EditingMethod<?, ?> method, LanguageModel lm, String modelName) {
        MethodDescriptor d = method.describe(lm);
        if (!d.name().equals(method.name())) {
            throw new IllegalStateException(method.getClass().getName() + " is called '" + method.name()
                    + "' but describes itself as '" + d.name() + "'");
        }
        return ModelDefaults.withDefaults(d, method.getClass().getClassLoader(), modelName, ModelDefaults.Shape.of(lm));
    }

    /**
     * The methods of {@code phase} typed for an engine that provides {@code context} and
     * {@code state}; a method that needs another context or state type is a startup error.
     */
    @SuppressWarnings("unchecked")
    public <C, S extends SpaceState> PhaseMethods<C, S> phase(Phase phase, Class<C> context, Class<S> state) {
        List<EditingMethod<C, S>> typed = new ArrayList<>();
        for (EditingMethod<?, ?> m : ofPhase(phase)) {
            if (!m.contextType().isAssignableFrom(context) || !state.isAssignableFrom(m.stateType())) {
                throw new IllegalStateException(m.getClass().getName() + " (" + m.name() + ") needs context "
                        + m.contextType().getName() + " and state " + m.stateType().getName() + ", but the "
                        + phase.name().toLowerCase(Locale.ROOT) + " engine provides " + context.getName() + " and "
                        + state.getName());
            }
            typed.add((EditingMethod<C, S>) m);
        }
        return new PhaseMethods<>(phase, typed);
    }
}
