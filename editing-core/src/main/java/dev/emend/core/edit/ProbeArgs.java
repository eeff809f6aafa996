package dev.emend.core.edit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line arguments of a probe: positional values and {@code --key[=value]} options
 * ({@code --key} alone means {@code true}; a repeated key keeps its last value). Options keep the
 * order they were given in.
 *
 * <p>Wrong arguments throw {@link UsageException}; this library never exits the JVM. A probe's
 * {@code main} runs its body through {@link #run} and exits with status 2 when that returns false:
 * <pre>
 * public static void main(String[] args) throws IOException {
 *     if (!ProbeArgs.run(args, MyProbe::probe)) {
 *         System.exit(2);
 *     }
 * }
 *
 * static void probe(String[] args) throws IOException { ... ProbeArgs.parse(args, 2, "MyProbe A B") ... }
 * </pre>
 */
public record ProbeArgs(List<String> positional, Map<String, String> options) {
    public ProbeArgs {
        positional = List.copyOf(positional);
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** Wrong command-line arguments; the message is {@code usage: <usage>}. */
    public static final class UsageException extends IllegalArgumentException {
        public UsageException(String usage) {
            super("usage: " + usage);
        }
    }

    /** A probe's body, given the command-line arguments. */
    @FunctionalInterface
    public interface Body<E extends Exception> {
        void run(String[] args) throws E;
    }

    /**
     * Runs {@code body}; returns false, after printing the usage line to stderr, when it threw
     * {@link UsageException}, true when it finished. Any other exception propagates.
     */
    public static <E extends Exception> boolean run(String[] args, Body<E> body) throws E {
        try {
            body.run(args);
            return true;
        } catch (UsageException e) {
            System.err.println(e.getMessage());
            return false;
        }
    }

    /**
     * Splits {@code args}; throws {@link UsageException} unless exactly {@code positional} values
     * were given.
     */
    public static ProbeArgs parse(String[] args, int positional, String usage) {
        return parse(args, positional, positional, usage);
    }

    /**
     * Splits {@code args}; throws {@link UsageException} unless between {@code min} and {@code max}
     * positional values (inclusive) were given.
     */
    public static ProbeArgs parse(String[] args, int min, int max, String usage) {
        ProbeArgs parsed = split(args);
        int n = parsed.positional().size();
        if (n < min || n > max) {
            throw new UsageException(usage);
        }
        return parsed;
    }

    /** Splits {@code args} into positional values and options, without checking their count. */
    public static ProbeArgs split(String[] args) {
        List<String> pos = new ArrayList<>();
        Map<String, String> opt = new LinkedHashMap<>();
        for (String a : args) {
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                opt.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "true" : a.substring(eq + 1));
            } else {
                pos.add(a);
            }
        }
        return new ProbeArgs(pos, opt);
    }

    /**
     * Hparam overrides written {@code name=value;name=value} (a probe's {@code --set}): integers,
     * decimals, true/false and {@code [a,b]} lists are typed, anything else is a string; the values
     * are then checked against the method's specs by {@link Hparams#resolve}.
     */
    public static Map<String, Object> hparams(String spec) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String part : spec.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("hparam override '" + part + "' is not name=value");
            }
            out.put(part.substring(0, eq).trim(), hparamValue(part.substring(eq + 1).trim()));
        }
        return out;
    }

    private static Object hparamValue(String v) {
        if (v.startsWith("[") && v.endsWith("]")) {
            List<Object> l = new ArrayList<>();
            for (String s : v.substring(1, v.length() - 1).split(",")) {
                if (!s.isBlank()) {
                    l.add(hparamValue(s.trim()));
                }
            }
            return l;
        }
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            return v.matches("-?\\d+") ? (Object) Integer.parseInt(v) : (Object) Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

    /** The {@code i}-th positional value. */
    public String get(int i) {
        return positional.get(i);
    }

    /** Option {@code key}, or {@code dflt} when it was not given. */
    public String option(String key, String dflt) {
        return options.getOrDefault(key, dflt);
    }
}
