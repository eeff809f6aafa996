package dev.emend.k8s;

import dev.emend.k8s.Rendered.Workload;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Docker is not available to the build, so the images are not built here; their Dockerfiles are
 * checked against the manifests that run them (user, port, paths, DJL offline flag).
 */
class DockerfileTest {

    static List<String> services() {
        return ServiceSpec.NAMES;
    }

    @ParameterizedTest
    @MethodSource("services")
    void dockerfileAgreesWithTheManifest(String service) {
        Dockerfiles d = Dockerfiles.of(service);
        Workload w = Rendered.overlay("dev").workload(service);
        Container c = w.containers().get(0);
        PodSecurityContext pod = w.template().getSpec().getSecurityContext();
        String where = d.file().toString();

        assertNotNull(d.from(), where + ": no FROM");
        assertTrue(d.from().startsWith("eclipse-temurin:17") && d.from().contains("jre"), where + ": base image " + d.from()
                + ", expected an eclipse-temurin 17 JRE");
        assertEquals(pod.getRunAsUser() + ":" + pod.getRunAsGroup(), d.user(),
                where + ": USER must be the numeric uid:gid the pod runs as (runAsNonRoot needs a numeric user)");
        assertEquals(List.of(ServiceSpec.of(service).port()), d.exposed(), where + ": EXPOSE");
        assertEquals(List.of(c.getPorts().get(0).getContainerPort()), d.exposed(), where + ": EXPOSE vs containerPort");
        assertTrue(d.copiedFrom().stream().anyMatch(f -> f.startsWith("target/quarkus-app/")),
                where + ": does not copy the fast-jar from target/quarkus-app");
        assertNotNull(d.entrypoint(), where + ": no ENTRYPOINT");
        assertTrue(d.entrypoint().contains("/deployments/quarkus-run.jar") && d.copiedTo().contains("/deployments"),
                where + ": must run the copied /deployments/quarkus-run.jar");
        assertTrue(d.env().getOrDefault("JAVA_OPTS", "").contains("-Djava.io.tmpdir=/tmp")
                && c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")), where + ": tmpdir on the /tmp volume");

        Rendered r = Rendered.overlay("dev");
        if (ServiceSpec.PHASES.contains(service)) {
            assertTrue(d.env().getOrDefault("JAVA_OPTS", "").contains("-Dai.djl.offline=true"),
                    where + ": a model-loading service must run DJL offline (-Dai.djl.offline=true in JAVA_OPTS)");
            for (String var : List.of("EMEND_CACHE", "DJL_CACHE_DIR")) {
                assertEquals(r.envValue(c, var).orElseThrow(), d.env().get(var), where + ": " + var + " differs from the manifest");
            }
            String model = d.env().get("EMEND_MODEL");
            assertEquals(r.envValue(c, "EMEND_MODEL").orElseThrow(), model, where + ": default EMEND_MODEL differs from the ConfigMap");
            assertTrue(d.copiedTo().contains(model) && d.copiedFrom().contains("models:emend-facts/"),
                    where + ": the default model is not copied to " + model);
            assertTrue(ServiceSpec.of(service).requiredEnv().contains("EMEND_MODEL"));
        } else {
            assertTrue(!d.env().containsKey("EMEND_MODEL") && !d.copiedTo().stream().anyMatch(p -> p.startsWith("/models")),
                    where + ": " + service + " loads no model");
        }
    }
}
