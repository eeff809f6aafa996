package dev.emend.k8s;

import dev.emend.k8s.Rendered.Workload;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each overlay changes: dev runs as it is on one node; prod uses external state and replicas. */
class OverlayTest {

    @Test
    void devRunsOneReplicaOfEachServiceAgainstItsOwnPostgres() {
        Rendered dev = Rendered.overlay("dev");
        for (String name : ServiceSpec.NAMES) {
            Integer replicas = dev.workload(name).replicas();
            assertEquals(1, replicas == null ? 1 : replicas, "dev: replicas of " + name);
        }
        StatefulSet pg = dev.find(StatefulSet.class, "postgres").orElseThrow(() -> new AssertionError("dev: no postgres StatefulSet"));
        assertEquals(1, pg.getSpec().getReplicas());
        assertEquals(List.of("data"), pg.getSpec().getVolumeClaimTemplates().stream().map(p -> p.getMetadata().getName()).toList(),
                "dev: postgres keeps its data on a PersistentVolumeClaim");
        assertTrue(pg.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts().stream()
                .anyMatch(m -> m.getName().equals("data") && m.getMountPath().equals("/var/lib/postgresql/data")));
        Service pgService = dev.find(Service.class, pg.getSpec().getServiceName())
                .orElseThrow(() -> new AssertionError("dev: no governing Service " + pg.getSpec().getServiceName()));

        // Every service's EMEND_DB_URL leads to that Service, database "emend"; the credentials are the database's own.
        Container pgContainer = pg.getSpec().getTemplate().getSpec().getContainers().get(0);
        for (String name : ServiceSpec.NAMES) {
            Container c = dev.workload(name).containers().get(0);
            URI url = ServiceWiringTest.jdbcUri(dev.envValue(c, "EMEND_DB_URL").orElseThrow());
            assertEquals(pgService.getMetadata().getName(), url.getHost(), "dev: database host of " + name);
            assertTrue(pgService.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == url.getPort()), "dev: database port of " + name);
            assertEquals("/" + dev.envValue(pgContainer, "POSTGRES_DB").orElseThrow(), url.getPath(), "dev: database name of " + name);
            assertEquals(dev.envValue(pgContainer, "POSTGRES_USER"), dev.envValue(c, "EMEND_DB_USER"), "dev: user of " + name);
            assertEquals(dev.envValue(pgContainer, "POSTGRES_PASSWORD"), dev.envValue(c, "EMEND_DB_PASSWORD"), "dev: password of " + name);
        }
        for (Secret s : dev.all(Secret.class)) {
            assertEquals("true", s.getMetadata().getAnnotations() == null ? null : s.getMetadata().getAnnotations().get("emend.dev/dev-only"),
                    "dev: Secret " + s.getMetadata().getName() + " is not marked dev-only");
        }
        for (String phase : ServiceSpec.PHASES) {
            Volume model = modelVolume(dev.workload(phase));
            assertNotNull(model.getHostPath(), "dev: the model volume of " + phase + " is a hostPath");
        }
        assertTrue(dev.all(HasMetadata.class).stream().allMatch(o -> o instanceof Namespace
                        || "emend".equals(o.getMetadata().getNamespace())), "dev: everything in namespace emend");
    }

    @Test
    void prodHasNoDatabaseOfItsOwnAndTwoReplicasOfEachPhase() {
        Rendered prod = Rendered.overlay("prod");
        assertTrue(prod.all(StatefulSet.class).isEmpty(), "prod: no StatefulSet (the database is external)");
        assertTrue(prod.find(Service.class, "postgres").isEmpty(), "prod: no postgres Service");
        for (String name : ServiceSpec.NAMES) {
            Container c = prod.workload(name).containers().get(0);
            URI url = ServiceWiringTest.jdbcUri(prod.envValue(c, "EMEND_DB_URL").orElseThrow());
            assertTrue(prod.find(Service.class, url.getHost()).isEmpty(),
                    "prod: " + name + " must use the external database, not in-cluster " + url.getHost());
        }
        for (String phase : ServiceSpec.PHASES) {
            assertEquals(2, prod.workload(phase).replicas(), "prod: replicas of " + phase
                    + " (they converge through the ledger's LISTEN/NOTIFY)");
            Volume model = modelVolume(prod.workload(phase));
            assertNotNull(model.getPersistentVolumeClaim(), "prod: the model volume of " + phase + " is a claim");
            String claim = model.getPersistentVolumeClaim().getClaimName();
            PersistentVolumeClaim pvc = prod.find(PersistentVolumeClaim.class, claim)
                    .orElseThrow(() -> new AssertionError("prod: claim " + claim + " not rendered"));
            assertTrue(pvc.getSpec().getAccessModes().contains("ReadOnlyMany"), "prod: the model claim is shared read-only");
        }
        HorizontalPodAutoscaler hpa = prod.find(HorizontalPodAutoscaler.class, "gateway").orElseThrow();
        assertTrue(hpa.getSpec().getMinReplicas() >= 2, "prod: at least 2 gateways");
    }

    @Test
    void prodRaisesEveryLimitAndPinsReleasedImages() {
        Rendered dev = Rendered.overlay("dev");
        Rendered prod = Rendered.overlay("prod");
        for (String name : ServiceSpec.NAMES) {
            Container d = dev.workload(name).containers().get(0);
            Container p = prod.workload(name).containers().get(0);
            for (String res : List.of("cpu", "memory")) {
                var dq = d.getResources().getLimits().get(res);
                var pq = p.getResources().getLimits().get(res);
                assertTrue(dq != null && pq != null, name + ": no " + res + " limit in dev or prod");
                BigDecimal dl = WorkloadRulesTest.amount(dq);
                BigDecimal pl = WorkloadRulesTest.amount(pq);
                assertTrue(pl.compareTo(dl) > 0, "prod: " + name + " " + res + " limit " + pl + " is not above dev's " + dl);
            }
            String image = p.getImage();
            int colon = image.lastIndexOf(':');
            assertTrue(colon > image.lastIndexOf('/'), "prod: image " + image + " has no tag");
            String tag = image.substring(colon + 1);
            assertFalse(tag.equals("latest") || tag.equals("dev") || tag.endsWith("SNAPSHOT"), "prod: image " + image + " is not a release");
            assertTrue(image.substring(0, image.indexOf('/')).contains("."), "prod: image " + image + " is not from a registry");
            assertTrue(image.endsWith("/" + name + ":" + tag), "prod: image " + image + " is not the " + name + " image");
            assertEquals("emend/" + name + ":dev", d.getImage(), "dev: the locally built image (Dockerfile.jvm)");
        }
    }

    @Test
    void prodMeetsPodSecurityRestricted() {
        Rendered prod = Rendered.overlay("prod");
        Namespace ns = prod.find(Namespace.class, "emend").orElseThrow();
        assertEquals("restricted", ns.getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"));
        for (Workload w : prod.workloads()) {
            for (Volume v : w.template().getSpec().getVolumes()) {
                assertTrue(v.getHostPath() == null, "prod: " + w.id() + " volume " + v.getName() + " is a hostPath");
            }
        }
    }

    @Test
    void readmeDocumentsApplyCheckpointAndTheOperatorsSecrets() throws IOException {
        String readme = Files.readString(Rendered.repoRoot().resolve("k8s/README.md"));
        assertTrue(readme.contains("kubectl apply -k k8s/overlays/dev"), "k8s/README.md: how to apply dev");
        assertTrue(readme.contains("/models/checkpoint"), "k8s/README.md: how to mount a real checkpoint");
        for (String secret : ServiceWiringTest.PROD_EXTERNAL_SECRETS) {
            assertTrue(readme.contains(secret), "k8s/README.md: how to create the prod Secret " + secret);
        }
    }

    private static Volume modelVolume(Workload w) {
        return w.template().getSpec().getVolumes().stream().filter(v -> v.getName().equals("model")).findFirst()
                .orElseThrow(() -> new AssertionError(w.id() + ": no model volume"));
    }
}
