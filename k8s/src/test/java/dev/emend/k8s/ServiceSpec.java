package dev.emend.k8s;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What each service expects from its environment: the table of issue 8 (port, env, model or not),
 * refined by the service's own {@code src/main/resources/application.properties} where the module
 * has one (its {@code quarkus.http.port} and every {@code ${ENV:default}} it reads).
 */
record ServiceSpec(String name, int port, boolean loadsModel, Set<String> requiredEnv, Optional<AppProperties> properties) {

    static final List<String> PHASES = List.of("recognition-service", "association-service", "mastery-service");
    static final List<String> NAMES = List.of("gateway", "recognition-service", "association-service",
            "mastery-service", "evaluation-service");

    private static final Set<String> DB = Set.of("EMEND_DB_URL", "EMEND_DB_USER", "EMEND_DB_PASSWORD", "EMEND_PORT");
    private static final Set<String> PHASE_ENDPOINTS = Set.of(
            "EMEND_PHASES_RECOGNITION_HOST", "EMEND_PHASES_RECOGNITION_PORT",
            "EMEND_PHASES_ASSOCIATION_HOST", "EMEND_PHASES_ASSOCIATION_PORT",
            "EMEND_PHASES_MASTERY_HOST", "EMEND_PHASES_MASTERY_PORT");

    /** The table (issue 8 and the lead's brief); the fallback where a module has no properties yet. */
    private static ServiceSpec fromTable(String name) {
        return switch (name) {
            case "gateway" -> new ServiceSpec(name, 8080, false, union(DB, PHASE_ENDPOINTS,
                    Set.of("EMEND_EVALUATION_HOST", "EMEND_EVALUATION_PORT", "EMEND_GATEWAY_BOOTSTRAP_ADMIN_KEY")), Optional.empty());
            case "recognition-service" -> new ServiceSpec(name, 8081, true, union(DB, Set.of("EMEND_MODEL", "EMEND_CACHE")), Optional.empty());
            case "association-service" -> new ServiceSpec(name, 8082, true, union(DB, Set.of("EMEND_MODEL", "EMEND_CACHE")), Optional.empty());
            case "mastery-service" -> new ServiceSpec(name, 8083, true, union(DB, Set.of("EMEND_MODEL", "EMEND_CACHE")), Optional.empty());
            case "evaluation-service" -> new ServiceSpec(name, 8084, false, union(DB, PHASE_ENDPOINTS), Optional.empty());
            default -> throw new IllegalArgumentException(name);
        };
    }

    static ServiceSpec of(String name) {
        ServiceSpec table = fromTable(name);
        Path file = Rendered.repoRoot().resolve(name).resolve("src/main/resources/application.properties");
        if (!Files.isRegularFile(file)) {
            return table;
        }
        AppProperties props = AppProperties.read(file);
        int port = props.httpPort().orElse(table.port());
        return new ServiceSpec(name, port, table.loadsModel(), table.requiredEnv(), Optional.of(props));
    }

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        Set<String> out = new TreeSet<>();
        for (Set<String> s : sets) {
            out.addAll(s);
        }
        return out;
    }

    /** The environment variables an application.properties reads, with their defaults (null: none). */
    record AppProperties(Path file, Map<String, String> env, Optional<String> portEnv, Optional<Integer> httpPort) {
        private static final Pattern REF = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::([^}]*))?}");

        static AppProperties read(Path file) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalStateException("Cannot read " + file, e);
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith("%")) {
                    continue; // profile-specific (%test, %dev): not what runs in a cluster
                }
                // SmallRye Config also maps an env var onto a property by name: emend.model.name <- EMEND_MODEL_NAME.
                String mapped = key.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
                if (mapped.startsWith("EMEND_")) {
                    env.putIfAbsent(mapped, p.getProperty(key));
                }
                Matcher m = REF.matcher(p.getProperty(key));
                while (m.find()) {
                    env.put(m.group(1), m.group(2));
                }
            }
            Optional<String> portEnv = Optional.empty();
            Optional<Integer> port = Optional.empty();
            String portValue = p.getProperty("quarkus.http.port");
            if (portValue != null) {
                Matcher m = REF.matcher(portValue.trim());
                if (m.matches()) {
                    portEnv = Optional.of(m.group(1));
                    port = Optional.ofNullable(m.group(2)).map(Integer::valueOf);
                } else {
                    port = Optional.of(Integer.valueOf(portValue.trim()));
                }
            }
            return new AppProperties(file, env, portEnv, port);
        }
    }
}
