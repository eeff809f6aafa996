package dev.emend.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The instructions of a service's src/main/docker/Dockerfile.jvm that the manifests depend on. */
record Dockerfiles(Path file, String from, String user, List<Integer> exposed, Map<String, String> env,
                   Set<String> copiedTo, List<String> copiedFrom, String entrypoint) {

    static Path path(String service) {
        return Rendered.repoRoot().resolve(service).resolve("src/main/docker/Dockerfile.jvm");
    }

    static Dockerfiles of(String service) {
        Path file = path(service);
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new AssertionError("Cannot read " + file + ": every service needs its Dockerfile.jvm", e);
        }
        // Join continuation lines, drop comments.
        List<String> instructions = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : lines) {
            String t = line.strip();
            if (t.startsWith("#") && cur.isEmpty()) {
                continue;
            }
            if (t.endsWith("\\")) {
                cur.append(t, 0, t.length() - 1).append(' ');
            } else {
                cur.append(t);
                if (!cur.toString().isBlank()) {
                    instructions.add(cur.toString().strip());
                }
                cur.setLength(0);
            }
        }
        String from = null, user = null, entrypoint = null;
        List<Integer> exposed = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        Set<String> copiedTo = new TreeSet<>();
        List<String> copiedFrom = new ArrayList<>();
        Pattern envPair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)");
        for (String ins : instructions) {
            String[] parts = ins.split("\\s+", 2);
            String op = parts[0].toUpperCase();
            String arg = parts.length > 1 ? parts[1] : "";
            switch (op) {
                case "FROM" -> from = arg;
                case "USER" -> user = arg;
                case "EXPOSE" -> {
                    for (String p : arg.split("\\s+")) {
                        exposed.add(Integer.valueOf(p.replace("/tcp", "")));
                    }
                }
                case "ENV" -> {
                    Matcher m = envPair.matcher(arg);
                    while (m.find()) {
                        env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
                    }
                }
                case "COPY" -> {
                    List<String> words = new ArrayList<>(List.of(arg.split("\\s+")));
                    words.removeIf(w -> w.startsWith("--") && !w.startsWith("--from"));
                    String fromContext = words.get(0).startsWith("--from=") ? words.remove(0).substring(7) + ":" : "";
                    String dest = words.remove(words.size() - 1);
                    copiedTo.add(dest.replaceAll("/$", ""));
                    words.forEach(w -> copiedFrom.add(fromContext + w));
                }
                case "ENTRYPOINT", "CMD" -> entrypoint = arg;
                default -> {
                }
            }
        }
        return new Dockerfiles(file, from, user, exposed, env, copiedTo, copiedFrom, entrypoint);
    }
}
