package dev.emend.k8s;

import dev.emend.k8s.Rendered.Workload;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Rules every Deployment and StatefulSet of both overlays must meet. Each test lists all violations. */
class WorkloadRulesTest {

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyServiceHasItsDeployment(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        for (String name : ServiceSpec.NAMES) {
            Workload w = r.workload(name);
            assertEquals("Deployment", w.kind(), overlay + ": " + name);
            assertEquals(1, w.containers().size(), overlay + ": " + name + " runs one container");
            assertTrue(Rendered.matches(w.selector(), w.podLabels()),
                    overlay + ": the selector of " + name + " does not match its own pod labels");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyContainerHasReadinessAndLivenessProbesOnADeclaredPort(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Workload w : Rendered.overlay(overlay).workloads()) {
            for (Container c : w.containers()) {
                check(problems, w, c, "readinessProbe", c.getReadinessProbe(), "/q/health/ready");
                check(problems, w, c, "livenessProbe", c.getLivenessProbe(), "/q/health/live");
                if (c.getStartupProbe() != null) {
                    check(problems, w, c, "startupProbe", c.getStartupProbe(), null);
                }
            }
        }
        assertTrue(problems.isEmpty(), overlay + ":\n" + String.join("\n", problems));
    }

    private static void check(List<String> problems, Workload w, Container c, String what, Probe p, String quarkusPath) {
        String where = w.id() + " container " + c.getName() + " " + what;
        if (p == null) {
            problems.add(where + ": missing");
            return;
        }
        if (p.getHttpGet() != null) {
            if (!declaresPort(c, p.getHttpGet().getPort().getStrVal(), p.getHttpGet().getPort().getIntVal())) {
                problems.add(where + ": port " + p.getHttpGet().getPort() + " is not a declared container port");
            }
            if (quarkusPath != null && !quarkusPath.equals(p.getHttpGet().getPath())) {
                problems.add(where + ": path " + p.getHttpGet().getPath() + ", expected SmallRye Health " + quarkusPath);
            }
        } else if (p.getExec() == null && p.getTcpSocket() == null && p.getGrpc() == null) {
            problems.add(where + ": no handler");
        } else if (ServiceSpec.NAMES.contains(w.name())) {
            problems.add(where + ": a Quarkus service is probed over HTTP on SmallRye Health");
        }
    }

    static boolean declaresPort(Container c, String name, Integer number) {
        return c.getPorts() != null && c.getPorts().stream().anyMatch(p ->
                name != null ? name.equals(p.getName()) : Objects.equals(number, p.getContainerPort()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyContainerHasCpuAndMemoryRequestsWithinLimits(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Workload w : Rendered.overlay(overlay).workloads()) {
            for (Container c : w.containers()) {
                String where = w.id() + " container " + c.getName();
                if (c.getResources() == null) {
                    problems.add(where + ": no resources");
                    continue;
                }
                Map<String, Quantity> req = c.getResources().getRequests();
                Map<String, Quantity> lim = c.getResources().getLimits();
                for (String res : List.of("cpu", "memory")) {
                    if (req == null || !req.containsKey(res)) {
                        problems.add(where + ": no " + res + " request");
                    } else if (lim == null || !lim.containsKey(res)) {
                        problems.add(where + ": no " + res + " limit");
                    } else if (amount(req.get(res)).compareTo(amount(lim.get(res))) > 0) {
                        problems.add(where + ": " + res + " request " + req.get(res) + " above its limit " + lim.get(res));
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), overlay + ":\n" + String.join("\n", problems));
    }

    static BigDecimal amount(Quantity q) {
        return Quantity.getAmountInBytes(q);
    }

    /** The phase services hold the model and its edits; their memory sizes come from a measurement. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void modelServicesHaveRoomForTheMeasuredMemory(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        BigDecimal mib = BigDecimal.valueOf(1024L * 1024);
        for (String name : ServiceSpec.PHASES) {
            Container c = r.workload(name).containers().get(0);
            BigDecimal limit = amount(c.getResources().getLimits().get("memory"));
            // ~365 MB RSS measured at start with the default model; mastery up to ~1.5 GB with edits in flight.
            BigDecimal floor = BigDecimal.valueOf(name.equals("mastery-service") ? 1536 : 730).multiply(mib);
            assertTrue(limit.compareTo(floor) >= 0, overlay + ": " + name + " memory limit " + limit.divide(mib)
                    + " MiB is below the measured need of " + floor.divide(mib) + " MiB");
            // PyTorch sizes its thread pool to OMP_NUM_THREADS; more threads than CPUs only contend.
            String threads = r.envValue(c, "OMP_NUM_THREADS").orElseThrow();
            BigDecimal cpus = amount(c.getResources().getLimits().get("cpu"));
            assertTrue(new BigDecimal(threads).compareTo(cpus) <= 0,
                    overlay + ": " + name + " OMP_NUM_THREADS " + threads + " exceeds its CPU limit " + cpus);
            // The packaged default model is float32: the malloc settings ./emend up gives such a
            // checkpoint (editing-core's MallocSettings), both of them, or glibc faults as before.
            assertEquals(Optional.of("268435456"), r.envValue(c, "MALLOC_MMAP_THRESHOLD_"), overlay + ": " + name);
            assertEquals(Optional.of("1073741824"), r.envValue(c, "MALLOC_TRIM_THRESHOLD_"), overlay + ": " + name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyContainerRunsNonRootReadOnlyWithoutPrivilegeOrCapabilities(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Workload w : Rendered.overlay(overlay).workloads()) {
            PodSecurityContext pod = w.template().getSpec().getSecurityContext();
            if (!Boolean.FALSE.equals(w.template().getSpec().getAutomountServiceAccountToken())) {
                problems.add(w.id() + ": mounts a service account token it does not use");
            }
            for (Container c : w.containers()) {
                String where = w.id() + " container " + c.getName();
                SecurityContext sc = c.getSecurityContext();
                if (sc == null) {
                    problems.add(where + ": no securityContext");
                    continue;
                }
                Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : pod == null ? null : pod.getRunAsNonRoot();
                Long uid = sc.getRunAsUser() != null ? sc.getRunAsUser() : pod == null ? null : pod.getRunAsUser();
                if (!Boolean.TRUE.equals(nonRoot)) {
                    problems.add(where + ": runAsNonRoot is not true");
                }
                if (uid == null || uid == 0) {
                    problems.add(where + ": no non-zero runAsUser (the image's USER must then be numeric)");
                }
                if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
                    problems.add(where + ": allowPrivilegeEscalation is not false");
                }
                if (Boolean.TRUE.equals(sc.getPrivileged())) {
                    problems.add(where + ": privileged");
                }
                if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
                    problems.add(where + ": readOnlyRootFilesystem is not true");
                }
                if (sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null
                        || !sc.getCapabilities().getDrop().contains("ALL")) {
                    problems.add(where + ": does not drop ALL capabilities");
                } else if (sc.getCapabilities().getAdd() != null && !sc.getCapabilities().getAdd().isEmpty()) {
                    problems.add(where + ": adds capabilities " + sc.getCapabilities().getAdd());
                }
                String seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType()
                        : pod != null && pod.getSeccompProfile() != null ? pod.getSeccompProfile().getType() : null;
                if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
                    problems.add(where + ": no RuntimeDefault seccomp profile");
                }
            }
        }
        assertTrue(problems.isEmpty(), overlay + ":\n" + String.join("\n", problems));
    }

    /** With a read-only root filesystem, every place a service writes must be a writable volume. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void mountsReferToVolumesAndWritableOnesAreScratchOrClaims(String overlay) {
        List<String> problems = new ArrayList<>();
        for (Workload w : Rendered.overlay(overlay).workloads()) {
            Map<String, Volume> volumes = w.template().getSpec().getVolumes() == null ? Map.of()
                    : w.template().getSpec().getVolumes().stream().collect(Collectors.toMap(Volume::getName, v -> v));
            Set<String> claimTemplates = Set.of();
            if (w.kind().equals("StatefulSet")) {
                claimTemplates = Rendered.overlay(overlay).find(io.fabric8.kubernetes.api.model.apps.StatefulSet.class, w.name())
                        .orElseThrow().getSpec().getVolumeClaimTemplates().stream()
                        .map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
            }
            for (Container c : w.containers()) {
                boolean tmp = false;
                for (VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
                    String where = w.id() + " container " + c.getName() + " mount " + m.getName() + " at " + m.getMountPath();
                    Volume v = volumes.get(m.getName());
                    if (v == null && !claimTemplates.contains(m.getName())) {
                        problems.add(where + ": no such volume");
                        continue;
                    }
                    boolean writable = !Boolean.TRUE.equals(m.getReadOnly());
                    if (writable && v != null && v.getEmptyDir() == null && v.getPersistentVolumeClaim() == null) {
                        problems.add(where + ": writable, but neither an emptyDir nor a claim");
                    }
                    if (v != null && v.getPersistentVolumeClaim() != null && Boolean.TRUE.equals(v.getPersistentVolumeClaim().getReadOnly()) && writable) {
                        problems.add(where + ": a read-only claim mounted writable");
                    }
                    tmp |= m.getMountPath().equals("/tmp") && writable;
                }
                if (!tmp) {
                    problems.add(w.id() + " container " + c.getName() + ": no writable /tmp (the root filesystem is read-only)");
                }
            }
            long sources = volumes.values().stream().filter(v -> v.getEmptyDir() != null && v.getHostPath() != null
                    || v.getEmptyDir() != null && v.getPersistentVolumeClaim() != null).count();
            if (sources > 0) {
                problems.add(w.id() + ": a volume with two sources (an overlay patch left the base's emptyDir)");
            }
        }
        if (!problems.isEmpty()) {
            fail(overlay + ":\n" + String.join("\n", problems));
        }
    }
}
