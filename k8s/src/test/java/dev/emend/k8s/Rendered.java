package dev.emend.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One overlay rendered by {@code kubectl kustomize k8s/overlays/<name>} (offline), every document
 * parsed into its typed fabric8 object. Rendered once per JVM and overlay.
 */
final class Rendered {

    private static final Map<String, Rendered> CACHE = new ConcurrentHashMap<>();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    final String overlay;
    final List<HasMetadata> objects;

    private Rendered(String overlay, List<HasMetadata> objects) {
        this.overlay = overlay;
        this.objects = List.copyOf(objects);
    }

    static Rendered overlay(String name) {
        return CACHE.computeIfAbsent(name, Rendered::render);
    }

    static Path repoRoot() {
        String prop = System.getProperty("emend.repo.root");
        Path root = prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("").toAbsolutePath().getParent();
        if (!Files.isDirectory(root.resolve("k8s/overlays"))) {
            // Run from the repository root (IDE) rather than from k8s/.
            Path cwd = Path.of("").toAbsolutePath();
            if (Files.isDirectory(cwd.resolve("k8s/overlays"))) {
                return cwd;
            }
            throw new IllegalStateException("Cannot find k8s/overlays under " + root
                    + ": set -Demend.repo.root to the repository root");
        }
        return root.toAbsolutePath().normalize();
    }

    /** kubectl from -Demend.kubectl, else $KUBECTL, else kubectl on the PATH. */
    static String kubectl() {
        String prop = System.getProperty("emend.kubectl");
        if (prop != null && !prop.isBlank()) {
            return prop;
        }
        String env = System.getenv("KUBECTL");
        return env != null && !env.isBlank() ? env : "kubectl";
    }

    private static Rendered render(String overlay) {
        Path dir = repoRoot().resolve("k8s/overlays").resolve(overlay);
        Process process;
        try {
            process = new ProcessBuilder(kubectl(), "kustomize", dir.toString()).start();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run '" + kubectl() + " kustomize': kubectl is needed to render"
                    + " k8s/overlays. Install Debian's package (apt-get install kubernetes-client) or put kubectl"
                    + " on the PATH (or pass -Demend.kubectl=/path/to/kubectl).", e);
        }
        try {
            process.getOutputStream().close();
            // Read stderr on a thread so a chatty kubectl cannot block on a full pipe.
            StringBuilder err = new StringBuilder();
            Thread errReader = new Thread(() -> {
                try {
                    err.append(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the exit status tells
                }
            });
            errReader.start();
            String yaml = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("kubectl kustomize " + dir + " did not finish in 120 s");
            }
            errReader.join();
            if (process.exitValue() != 0) {
                throw new IllegalStateException("kubectl kustomize " + dir + " failed (exit " + process.exitValue()
                        + "):\n" + err);
            }
            return new Rendered(overlay, parse(yaml));
        } catch (IOException e) {
            throw new IllegalStateException("Reading the output of kubectl kustomize " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every YAML document as its typed object; a document of an unknown kind, or with a misspelt field, fails. */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                String where = doc.path("kind").asString("?") + "/" + doc.path("metadata").path("name").asString("?");
                Object typed = SERIALIZATION.unmarshal(doc.toString());
                if (!(typed instanceof HasMetadata h) || typed.getClass().getName().endsWith("GenericKubernetesResource")) {
                    throw new AssertionError(where + ": not a known Kubernetes kind (" + doc.path("apiVersion").asString("")
                            + "), parsed as " + typed.getClass().getSimpleName());
                }
                List<String> unknown = new ArrayList<>();
                unknownFields(typed, where, unknown, new IdentityHashMap<>());
                if (!unknown.isEmpty()) {
                    throw new AssertionError("Fields the Kubernetes schema does not have (misspelt?): " + unknown);
                }
                out.add(h);
            }
        }
        return out;
    }

    /** Collects fields that fabric8 put in additionalProperties, i.e. that are not part of the schema. */
    private static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), out, seen);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getName().equals("getClass")) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
                continue;
            }
            String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            unknownFields(value, path + "." + field, out, seen);
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    /** A workload: a Deployment or a StatefulSet, by its pod template. */
    record Workload(String kind, String name, Integer replicas, LabelSelector selector, PodTemplateSpec template) {
        Map<String, String> podLabels() {
            return template.getMetadata().getLabels() == null ? Map.of() : template.getMetadata().getLabels();
        }

        List<Container> containers() {
            return template.getSpec().getContainers();
        }

        String id() {
            return kind + "/" + name;
        }
    }

    List<Workload> workloads() {
        List<Workload> out = new ArrayList<>();
        for (Deployment d : all(Deployment.class)) {
            out.add(new Workload("Deployment", d.getMetadata().getName(), d.getSpec().getReplicas(),
                    d.getSpec().getSelector(), d.getSpec().getTemplate()));
        }
        for (StatefulSet s : all(StatefulSet.class)) {
            out.add(new Workload("StatefulSet", s.getMetadata().getName(), s.getSpec().getReplicas(),
                    s.getSpec().getSelector(), s.getSpec().getTemplate()));
        }
        return out;
    }

    Workload workload(String name) {
        return workloads().stream().filter(w -> w.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(overlay + ": no Deployment or StatefulSet named " + name));
    }

    /** Workloads whose pod labels the Service's selector matches. */
    List<Workload> selectedBy(Service service) {
        Map<String, String> selector = service.getSpec().getSelector();
        if (selector == null || selector.isEmpty()) {
            return List.of();
        }
        return workloads().stream().filter(w -> w.podLabels().entrySet().containsAll(selector.entrySet())).toList();
    }

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        if (selector.getMatchLabels() != null && !labels.entrySet().containsAll(selector.getMatchLabels().entrySet())) {
            return false;
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = labels.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> v != null && r.getValues().contains(v);
                    case "NotIn" -> v == null || !r.getValues().contains(v);
                    case "Exists" -> v != null;
                    case "DoesNotExist" -> v == null;
                    default -> throw new AssertionError("Unknown selector operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The value a container's env var has at run time: a literal, or the key of a ConfigMap or Secret
     * in the rendering. Empty when it comes from a ConfigMap/Secret that is not rendered (prod's
     * operator-created Secrets); the caller checks those names.
     */
    Optional<String> envValue(Container c, String name) {
        EnvVar var = env(c, name).orElseThrow(() -> new AssertionError(
                overlay + ": container " + c.getName() + " has no env " + name));
        if (var.getValueFrom() == null) {
            return Optional.ofNullable(var.getValue());
        }
        if (var.getValueFrom().getConfigMapKeyRef() != null) {
            var ref = var.getValueFrom().getConfigMapKeyRef();
            return find(ConfigMap.class, ref.getName()).map(cm -> {
                String v = cm.getData() == null ? null : cm.getData().get(ref.getKey());
                if (v == null) {
                    throw new AssertionError(overlay + ": ConfigMap " + ref.getName() + " has no key " + ref.getKey()
                            + " (env " + name + " of " + c.getName() + ")");
                }
                return v;
            });
        }
        if (var.getValueFrom().getSecretKeyRef() != null) {
            var ref = var.getValueFrom().getSecretKeyRef();
            return find(Secret.class, ref.getName()).map(s -> {
                if (s.getStringData() != null && s.getStringData().containsKey(ref.getKey())) {
                    return s.getStringData().get(ref.getKey());
                }
                if (s.getData() != null && s.getData().containsKey(ref.getKey())) {
                    return new String(Base64.getDecoder().decode(s.getData().get(ref.getKey())), StandardCharsets.UTF_8);
                }
                throw new AssertionError(overlay + ": Secret " + ref.getName() + " has no key " + ref.getKey()
                        + " (env " + name + " of " + c.getName() + ")");
            });
        }
        throw new AssertionError(overlay + ": env " + name + " of " + c.getName() + " uses an unsupported valueFrom");
    }

    static Optional<EnvVar> env(Container c, String name) {
        return c.getEnv() == null ? Optional.empty()
                : c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    /** Names of the ConfigMaps and Secrets the workloads refer to (env, envFrom, volumes). */
    Map<String, Set<String>> referencedConfig() {
        Map<String, Set<String>> refs = new LinkedHashMap<>();
        refs.put("ConfigMap", new java.util.TreeSet<>());
        refs.put("Secret", new java.util.TreeSet<>());
        for (Workload w : workloads()) {
            for (Container c : w.containers()) {
                if (c.getEnv() != null) {
                    for (EnvVar e : c.getEnv()) {
                        if (e.getValueFrom() != null && e.getValueFrom().getConfigMapKeyRef() != null) {
                            refs.get("ConfigMap").add(e.getValueFrom().getConfigMapKeyRef().getName());
                        }
                        if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                            refs.get("Secret").add(e.getValueFrom().getSecretKeyRef().getName());
                        }
                    }
                }
                if (c.getEnvFrom() != null) {
                    c.getEnvFrom().forEach(ef -> {
                        if (ef.getConfigMapRef() != null) {
                            refs.get("ConfigMap").add(ef.getConfigMapRef().getName());
                        }
                        if (ef.getSecretRef() != null) {
                            refs.get("Secret").add(ef.getSecretRef().getName());
                        }
                    });
                }
            }
            if (w.template().getSpec().getVolumes() != null) {
                w.template().getSpec().getVolumes().forEach(v -> {
                    if (v.getConfigMap() != null) {
                        refs.get("ConfigMap").add(v.getConfigMap().getName());
                    }
                    if (v.getSecret() != null) {
                        refs.get("Secret").add(v.getSecret().getSecretName());
                    }
                });
            }
        }
        return refs;
    }
}
