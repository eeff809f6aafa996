package dev.emend.k8s;

import dev.emend.k8s.Rendered.Workload;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Evaluates the rendered NetworkPolicies the way the API defines them (a pod selected by any
 * Ingress policy accepts only what some rule of those policies allows) and checks who can reach
 * whom: only the gateway from outside; the phases only from the gateway and the evaluation
 * service; the evaluation service only from the gateway; the database only from the services.
 */
class NetworkPolicyTest {

    static final String OUTSIDE = "<outside the namespace>";

    /** For one target workload: source (workload name or OUTSIDE) -> allowed ports ("*" = all). */
    static Map<String, Set<String>> allowedSources(Rendered r, Workload target) {
        Map<String, Set<String>> out = new TreeMap<>();
        boolean isolated = false;
        for (NetworkPolicy np : r.all(NetworkPolicy.class)) {
            if (!Rendered.matches(np.getSpec().getPodSelector(), target.podLabels())) {
                continue;
            }
            List<String> types = np.getSpec().getPolicyTypes();
            boolean ingress = types == null || types.isEmpty() ? true : types.contains("Ingress");
            if (!ingress) {
                continue;
            }
            isolated = true;
            for (NetworkPolicyIngressRule rule : np.getSpec().getIngress() == null ? List.<NetworkPolicyIngressRule>of() : np.getSpec().getIngress()) {
                Set<String> ports = new TreeSet<>();
                if (rule.getPorts() == null || rule.getPorts().isEmpty()) {
                    ports.add("*");
                } else {
                    for (NetworkPolicyPort p : rule.getPorts()) {
                        IntOrString port = p.getPort();
                        ports.add(port == null ? "*" : port.getIntVal() != null ? String.valueOf(port.getIntVal()) : port.getStrVal());
                    }
                }
                List<String> sources = new ArrayList<>();
                if (rule.getFrom() == null || rule.getFrom().isEmpty()) {
                    sources.add(OUTSIDE);
                    r.workloads().forEach(w -> sources.add(w.name()));
                } else {
                    for (NetworkPolicyPeer peer : rule.getFrom()) {
                        if (peer.getIpBlock() != null || peer.getNamespaceSelector() != null) {
                            sources.add(OUTSIDE);
                        }
                        if (peer.getPodSelector() != null && peer.getNamespaceSelector() == null) {
                            r.workloads().stream().filter(w -> Rendered.matches(peer.getPodSelector(), w.podLabels()))
                                    .forEach(w -> sources.add(w.name()));
                        }
                    }
                }
                for (String s : sources) {
                    out.computeIfAbsent(s, k -> new TreeSet<>()).addAll(ports);
                }
            }
        }
        if (!isolated) {
            out.put(OUTSIDE, Set.of("*"));
            r.workloads().forEach(w -> out.put(w.name(), Set.of("*")));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void onlyTheGatewayIsReachableFromOutside(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        for (Workload w : r.workloads()) {
            boolean outside = allowedSources(r, w).containsKey(OUTSIDE);
            assertEquals(w.name().equals("gateway"), outside, overlay + ": " + w.id() + " reachable from outside: " + outside);
        }
        Set<String> gatewayPorts = allowedSources(r, r.workload("gateway")).get(OUTSIDE);
        assertEquals(Set.of(String.valueOf(ServiceSpec.of("gateway").port())), gatewayPorts,
                overlay + ": the gateway is open from outside on its REST port only");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void servicesAreReachableOnlyFromTheirClientsOnTheirPort(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        Map<String, Set<String>> expected = new TreeMap<>();
        for (String phase : ServiceSpec.PHASES) {
            expected.put(phase, Set.of("gateway", "evaluation-service"));
        }
        expected.put("evaluation-service", Set.of("gateway"));
        if (r.find(io.fabric8.kubernetes.api.model.apps.StatefulSet.class, "postgres").isPresent()) {
            expected.put("postgres", new TreeSet<>(ServiceSpec.NAMES));
        }
        for (Map.Entry<String, Set<String>> e : expected.entrySet()) {
            Workload target = r.workload(e.getKey());
            Map<String, Set<String>> allowed = allowedSources(r, target);
            assertEquals(e.getValue(), allowed.keySet(), overlay + ": who may reach " + e.getKey());
            String port = String.valueOf(target.containers().get(0).getPorts().get(0).getContainerPort());
            String portName = target.containers().get(0).getPorts().get(0).getName();
            for (Map.Entry<String, Set<String>> src : allowed.entrySet()) {
                assertTrue(src.getValue().contains(port) || src.getValue().contains(portName),
                        overlay + ": " + src.getKey() + " may reach " + e.getKey() + " only on " + src.getValue()
                                + ", not on its port " + port);
                assertTrue(!src.getValue().contains("*"), overlay + ": " + e.getKey() + " is open on every port to " + src.getKey());
            }
        }
    }
}
