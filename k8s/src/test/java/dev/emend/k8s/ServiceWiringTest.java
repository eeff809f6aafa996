package dev.emend.k8s;

import dev.emend.k8s.Rendered.Workload;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Services, env and the objects that point at workloads agree with each other and with the services' configuration. */
class ServiceWiringTest {

    /** Secrets the prod overlay leaves to the operator (k8s/README.md says how to create each). */
    static final Set<String> PROD_EXTERNAL_SECRETS = Set.of("emend-db-credentials", "emend-gateway-bootstrap", "emend-gateway-tls");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyServiceSelectsOneWorkloadAndTargetsADeclaredContainerPort(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Service s : r.all(Service.class)) {
            String where = "Service " + s.getMetadata().getName();
            List<Workload> selected = r.selectedBy(s);
            if (selected.size() != 1) {
                problems.add(where + ": selects " + selected.stream().map(Workload::id).toList() + ", expected one workload");
                continue;
            }
            Workload w = selected.get(0);
            for (ServicePort p : s.getSpec().getPorts()) {
                IntOrString target = p.getTargetPort() != null ? p.getTargetPort() : new IntOrString(p.getPort());
                boolean declared = w.containers().stream().anyMatch(c ->
                        WorkloadRulesTest.declaresPort(c, target.getStrVal(), target.getIntVal()));
                if (!declared) {
                    problems.add(where + " port " + p.getName() + ": targetPort " + target + " is not a container port of " + w.id());
                }
            }
            String type = s.getSpec().getType() == null ? "ClusterIP" : s.getSpec().getType();
            if (!type.equals("ClusterIP")) {
                problems.add(where + ": type " + type + "; only the gateway's Ingress leads in from outside");
            }
        }
        for (String name : ServiceSpec.NAMES) {
            Service s = r.find(Service.class, name).orElse(null);
            if (s == null || r.selectedBy(s).stream().noneMatch(w -> w.name().equals(name))) {
                problems.add("no Service " + name + " in front of Deployment " + name);
            }
        }
        assertTrue(problems.isEmpty(), overlay + ":\n" + String.join("\n", problems));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void portsAndEnvMatchEachServicesConfiguration(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (String name : ServiceSpec.NAMES) {
            ServiceSpec spec = ServiceSpec.of(name);
            Container c = r.workload(name).containers().get(0);
            String where = overlay + " " + name;

            var http = c.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst();
            if (http.isEmpty() || http.get().getContainerPort() != spec.port()) {
                problems.add(where + ": container port 'http' is " + http.map(p -> p.getContainerPort()).orElse(null)
                        + ", the service listens on " + spec.port()
                        + spec.properties().map(p -> " (" + p.file() + ")").orElse(" (issue 8 table)"));
            }
            String portEnv = spec.properties().flatMap(ServiceSpec.AppProperties::portEnv).orElse("EMEND_PORT");
            if (Rendered.env(c, portEnv).isPresent()
                    && !String.valueOf(spec.port()).equals(r.envValue(c, portEnv).orElse(null))) {
                problems.add(where + ": " + portEnv + "=" + r.envValue(c, portEnv).orElse(null) + " but the container port is " + spec.port());
            }
            for (String required : spec.requiredEnv()) {
                if (Rendered.env(c, required).isEmpty()) {
                    problems.add(where + ": env " + required + " is not set");
                }
            }
            spec.properties().ifPresent(props -> {
                for (Map.Entry<String, String> e : props.env().entrySet()) {
                    if (e.getValue() == null && Rendered.env(c, e.getKey()).isEmpty()) {
                        problems.add(where + ": " + props.file() + " needs env " + e.getKey() + " (no default), not set");
                    }
                }
                for (EnvVar e : c.getEnv()) {
                    if (e.getName().startsWith("EMEND_") && !props.env().containsKey(e.getName())
                            && !spec.requiredEnv().contains(e.getName())) {
                        problems.add(where + ": env " + e.getName() + " is set but " + props.file() + " never reads it (misspelt?)");
                    }
                }
            });
            if (spec.properties().isEmpty()) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getName().startsWith("EMEND_") && !spec.requiredEnv().contains(e.getName())) {
                        problems.add(where + ": env " + e.getName() + " is not in the issue 8 table for this service");
                    }
                }
            }
            for (String secretOnly : List.of("EMEND_DB_PASSWORD", "EMEND_GATEWAY_BOOTSTRAP_ADMIN_KEY")) {
                Rendered.env(c, secretOnly).ifPresent(e -> {
                    if (e.getValueFrom() == null || e.getValueFrom().getSecretKeyRef() == null) {
                        problems.add(where + ": " + secretOnly + " must come from a Secret");
                    }
                });
            }
            String url = r.envValue(c, "EMEND_DB_URL").orElse("");
            if (!url.startsWith("jdbc:postgresql://")) {
                problems.add(where + ": EMEND_DB_URL '" + url + "' is not a PostgreSQL JDBC URL");
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    /** The gateway and the evaluation service reach each phase through a Service that leads to it. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void endpointsLeadToTheRightServiceAndPort(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        List<String> problems = new ArrayList<>();
        Map<String, String> targets = Map.of("EMEND_PHASES_RECOGNITION", "recognition-service",
                "EMEND_PHASES_ASSOCIATION", "association-service", "EMEND_PHASES_MASTERY", "mastery-service",
                "EMEND_EVALUATION", "evaluation-service");
        for (String client : List.of("gateway", "evaluation-service")) {
            Container c = r.workload(client).containers().get(0);
            for (Map.Entry<String, String> t : targets.entrySet()) {
                if (Rendered.env(c, t.getKey() + "_HOST").isEmpty()) {
                    if (!(client.equals("evaluation-service") && t.getValue().equals("evaluation-service"))) {
                        problems.add(client + ": no " + t.getKey() + "_HOST");
                    }
                    continue;
                }
                String host = r.envValue(c, t.getKey() + "_HOST").orElseThrow();
                int port = Integer.parseInt(r.envValue(c, t.getKey() + "_PORT").orElseThrow());
                Optional<Service> s = r.find(Service.class, host);
                if (s.isEmpty()) {
                    problems.add(client + ": " + t.getKey() + "_HOST=" + host + " is not a Service");
                    continue;
                }
                if (r.selectedBy(s.get()).stream().noneMatch(w -> w.name().equals(t.getValue()))) {
                    problems.add(client + ": Service " + host + " does not lead to " + t.getValue());
                }
                if (s.get().getSpec().getPorts().stream().noneMatch(p -> p.getPort() == port)) {
                    problems.add(client + ": " + t.getKey() + "_PORT=" + port + " is not a port of Service " + host);
                }
            }
        }
        assertTrue(problems.isEmpty(), overlay + ":\n" + String.join("\n", problems));
    }

    /** The model services find their cache on a writable volume and their model in the image or on the model volume. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void modelAndCachePathsAreOnTheRightVolumes(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (String name : ServiceSpec.PHASES) {
            Workload w = r.workload(name);
            Container c = w.containers().get(0);
            String cache = r.envValue(c, "EMEND_CACHE").orElseThrow();
            String djl = r.envValue(c, "DJL_CACHE_DIR").orElseThrow();
            String model = r.envValue(c, "EMEND_MODEL").orElseThrow();
            Optional<VolumeMount> cacheMount = mountUnder(c, cache);
            if (cacheMount.isEmpty() || Boolean.TRUE.equals(cacheMount.get().getReadOnly())) {
                problems.add(name + ": EMEND_CACHE " + cache + " is not on a writable volume");
            }
            if (!(djl + "/").startsWith(cache + "/")) {
                problems.add(name + ": DJL_CACHE_DIR " + djl + " is outside EMEND_CACHE " + cache);
            }
            Optional<VolumeMount> modelMount = mountUnder(c, model);
            Set<String> baked = Dockerfiles.of(name).copiedTo();
            if (modelMount.isEmpty() && !baked.contains(model)) {
                problems.add(name + ": EMEND_MODEL " + model + " is neither baked into the image " + baked + " nor on a volume");
            }
            if (modelMount.isPresent() && !Boolean.TRUE.equals(modelMount.get().getReadOnly())) {
                problems.add(name + ": the model volume is mounted writable");
            }
            boolean hasModelVolume = c.getVolumeMounts().stream().anyMatch(m -> m.getName().equals("model")
                    && Boolean.TRUE.equals(m.getReadOnly()));
            if (!hasModelVolume) {
                problems.add(name + ": no read-only 'model' volume for a real checkpoint");
            }
        }
        for (String name : List.of("gateway", "evaluation-service")) {
            Container c = r.workload(name).containers().get(0);
            if (Rendered.env(c, "EMEND_MODEL").isPresent()) {
                problems.add(name + ": loads no model but has EMEND_MODEL");
            }
        }
        assertTrue(problems.isEmpty(), overlay + ":\n" + String.join("\n", problems));
    }

    private static Optional<VolumeMount> mountUnder(Container c, String path) {
        return c.getVolumeMounts().stream()
                .filter(m -> (path + "/").startsWith(m.getMountPath().replaceAll("/$", "") + "/"))
                .max((a, b) -> Integer.compare(a.getMountPath().length(), b.getMountPath().length()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void autoscalersBudgetsAndIngressPointAtExistingObjects(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        List<HorizontalPodAutoscaler> hpas = r.all(HorizontalPodAutoscaler.class);
        assertEquals(List.of("gateway"), hpas.stream().map(h -> h.getSpec().getScaleTargetRef().getName()).toList(),
                overlay + ": one HorizontalPodAutoscaler, for the gateway");
        for (HorizontalPodAutoscaler h : hpas) {
            assertEquals("Deployment", h.getSpec().getScaleTargetRef().getKind());
            Deployment d = r.find(Deployment.class, h.getSpec().getScaleTargetRef().getName()).orElseThrow();
            assertTrue(h.getSpec().getMinReplicas() >= 1 && h.getSpec().getMinReplicas() <= h.getSpec().getMaxReplicas());
            assertTrue(d.getSpec().getTemplate().getSpec().getContainers().get(0).getResources().getRequests().containsKey("cpu"),
                    "CPU utilisation needs a CPU request on " + d.getMetadata().getName());
            assertEquals(null, d.getSpec().getReplicas(),
                    overlay + ": the gateway Deployment sets replicas, which would fight its autoscaler on every apply");
        }
        for (PodDisruptionBudget pdb : r.all(PodDisruptionBudget.class)) {
            long n = r.workloads().stream().filter(w -> Rendered.matches(pdb.getSpec().getSelector(), w.podLabels())).count();
            assertEquals(1, n, overlay + ": PodDisruptionBudget " + pdb.getMetadata().getName() + " selects " + n + " workloads");
        }
        Set<String> backends = new TreeSet<>();
        for (Ingress ing : r.all(Ingress.class)) {
            ing.getSpec().getRules().forEach(rule -> rule.getHttp().getPaths().forEach(p -> {
                String svc = p.getBackend().getService().getName();
                backends.add(svc);
                Service s = r.find(Service.class, svc).orElseThrow(() -> new AssertionError("Ingress backend " + svc + " is not a Service"));
                String port = p.getBackend().getService().getPort().getName();
                assertTrue(s.getSpec().getPorts().stream().anyMatch(sp -> sp.getName().equals(port)),
                        "Ingress backend port " + port + " is not a port of Service " + svc);
            }));
        }
        assertTrue(backends.isEmpty() || backends.equals(Set.of("gateway")), overlay + ": Ingress leads to " + backends);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyReferencedConfigMapAndSecretExistsOrIsLeftToTheOperator(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        Map<String, Set<String>> refs = r.referencedConfig();
        Set<String> missingConfigMaps = new TreeSet<>(refs.get("ConfigMap"));
        missingConfigMaps.removeIf(n -> r.find(ConfigMap.class, n).isPresent());
        assertTrue(missingConfigMaps.isEmpty(), overlay + ": ConfigMaps referenced but not rendered: " + missingConfigMaps);

        Set<String> missingSecrets = new TreeSet<>(refs.get("Secret"));
        r.all(Ingress.class).forEach(i -> i.getSpec().getTls().forEach(t -> missingSecrets.add(t.getSecretName())));
        missingSecrets.removeIf(n -> r.find(Secret.class, n).isPresent());
        if (overlay.equals("dev")) {
            assertTrue(missingSecrets.isEmpty(), "dev must run as it is; Secrets missing: " + missingSecrets);
        } else {
            assertEquals(new TreeSet<>(PROD_EXTERNAL_SECRETS), missingSecrets,
                    "prod: the Secrets left to the operator (documented in k8s/README.md)");
            assertFalse(r.all(Secret.class).stream().findAny().isPresent(), "prod ships no Secret values in git");
        }
    }

    static URI jdbcUri(String jdbcUrl) {
        return URI.create(jdbcUrl.substring("jdbc:".length()));
    }
}
