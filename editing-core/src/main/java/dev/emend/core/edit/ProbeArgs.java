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
 */
public record ProbeArgs(List<String> positional, Map<String, String> options) {
    public ProbeArgs {
        positional = List.copyOf(positional);
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /**
     * Splits {@code args}; prints {@code usage: <usage>} and exits with 2 unless exactly
     * {@code positional} values were given.
     */
    public static ProbeArgs parse(String[] args, int positional, String usage) {
        return parse(args, positional, positional, usage);
    }

    /**
     * Splits {@code args}; prints {@code usage: <usage>} and exits with 2 unless between
     * {@code min} and {@code max} positional values (inclusive) were given.
     */
    public static ProbeArgs parse(String[] args, int min, int max, String usage) {
        ProbeArgs parsed = split(args);
        int n = parsed.positional().size();
        if (n < min || n > max) {
            exitWithUsage(usage);
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

    /** Prints {@code usage: <usage>} to stderr and exits the JVM with status 2. */
    public static void exitWithUsage(String usage) {
        System.err.println("usage: " + usage);
        System.exit(2);
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
