package dev.emend.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Libraries apart from applications (issue 16): read from every module's {@code pom.xml}, no
 * application (a service, the gateway, the CLI) depends on another application, and no service
 * depends on fact-world, directly or through a library. Test-scoped {@code type=pom} dependencies
 * only order the build (a test starts a packaged service as a process) and do not count. The
 * {@code bench} module (probe and benchmark mains, a developer tool) is used by no module at all.
 */
class ModuleBoundariesTest {
    static final Set<String> SERVICES = Set.of("mastery-service", "association-service", "recognition-service",
            "evaluation-service", "gateway");
    static final Set<String> APPLICATIONS = union(SERVICES, Set.of("cli"));
    static final Set<String> METHOD_LIBRARIES = Set.of("mastery-methods", "association-methods", "recognition-methods");

    /** Module → the Emend modules it uses at compile or run time. */
    static Map<String, Set<String>> graph;
    /** Module → every Emend module its pom names, in any scope and of any type. */
    static Map<String, Set<String>> named;

    @BeforeAll
    static void readPoms() throws Exception {
        Path root = Path.of(System.getProperty("emend.repo.root", "..")).toAbsolutePath().normalize();
        graph = new TreeMap<>();
        named = new TreeMap<>();
        for (Element m : children(parse(root.resolve("pom.xml")).getDocumentElement(), "modules", "module")) {
            String dir = m.getTextContent().trim();
            Path pom = root.resolve(dir).resolve("pom.xml");
            assertTrue(Files.isRegularFile(pom), "module " + dir + " has no pom.xml at " + pom);
            Element project = parse(pom).getDocumentElement();
            Set<String> uses = new LinkedHashSet<>();
            Set<String> any = new LinkedHashSet<>();
            for (Element d : children(project, "dependencies", "dependency")) {
                String scope = text(d, "scope");
                if ("dev.emend".equals(text(d, "groupId"))) {
                    any.add(text(d, "artifactId"));
                    if (!"test".equals(scope) && !"pom".equals(text(d, "type"))) {
                        uses.add(text(d, "artifactId"));
                    }
                }
            }
            graph.put(text(project, "artifactId"), uses);
            named.put(text(project, "artifactId"), any);
        }
    }

    @Test
    void thePomsAreReadAsTheBuildSeesThem() {
        assertTrue(graph.keySet().containsAll(union(APPLICATIONS, Set.of("editing-core", "knowedit", "fact-world", "bench"))), graph.toString());
        assertTrue(graph.keySet().containsAll(METHOD_LIBRARIES), graph.toString());
        assertTrue(graph.get("cli").contains("knowedit"), "cli → knowedit: " + graph.get("cli"));
        assertTrue(graph.get("cli").containsAll(METHOD_LIBRARIES), "cli → the method libraries (model-info): " + graph.get("cli"));
        assertTrue(graph.get("mastery-service").contains("mastery-methods"), graph.get("mastery-service").toString());
        assertTrue(graph.get("bench").containsAll(METHOD_LIBRARIES), graph.get("bench").toString());
        assertTrue(graph.get("evaluation-service").contains("knowedit"), graph.get("evaluation-service").toString());
        assertTrue(graph.get("fact-world").contains("editing-core"), graph.get("fact-world").toString());
    }

    @Test
    void noApplicationDependsOnAnother() {
        List<String> found = new ArrayList<>();
        for (String app : APPLICATIONS) {
            for (String dep : closure(app)) {
                if (APPLICATIONS.contains(dep)) {
                    found.add(app + " → " + dep);
                }
            }
        }
        assertEquals(List.of(), found, "applications must depend on libraries only: move what they share into a library");
    }

    @Test
    void noModuleDependsOnTheBenchTools() {
        List<String> found = new ArrayList<>();
        named.forEach((module, deps) -> {
            if (deps.contains("bench")) {
                found.add(module + " → bench");
            }
        });
        assertEquals(List.of(), found, "bench holds probe and benchmark mains, a developer tool: nothing may depend on it,"
                + " in any scope (what a module needs from it belongs in a library)");
    }

    @Test
    void theMethodLibrariesDependOnNoApplication() {
        for (String lib : METHOD_LIBRARIES) {
            for (String dep : closure(lib)) {
                assertTrue(!APPLICATIONS.contains(dep) && !"bench".equals(dep) && !"fact-world".equals(dep),
                        lib + " → " + dep + ": a method library builds on editing-core only");
            }
        }
    }

    @Test
    void noServiceDependsOnTheDemoWorld() {
        for (String service : SERVICES) {
            assertTrue(!closure(service).contains("fact-world"), service + " reaches fact-world: " + closure(service)
                    + "; what it needs belongs in a library (e.g. the prompt framing in editing-core)");
        }
    }

    /** Every Emend module {@code module} reaches; other applications are reported, not entered. */
    static Set<String> closure(String module) {
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(graph.getOrDefault(module, Set.of()));
        while (!todo.isEmpty()) {
            String m = todo.pop();
            if (seen.add(m) && !APPLICATIONS.contains(m)) {
                todo.addAll(graph.getOrDefault(m, Set.of()));
            }
        }
        return seen;
    }

    private static Document parse(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    /** The {@code child} elements of {@code parent}'s direct {@code list} element. */
    private static List<Element> children(Element parent, String list, String child) {
        List<Element> out = new ArrayList<>();
        Element l = direct(parent, list);
        if (l != null) {
            NodeList nodes = l.getChildNodes();
            for (int i = 0; i < nodes.getLength(); i++) {
                if (nodes.item(i) instanceof Element e && e.getTagName().equals(child)) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    private static Element direct(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static String text(Element parent, String name) {
        Element e = direct(parent, name);
        return e == null ? null : e.getTextContent().trim();
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new LinkedHashSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }
}
