package dev.emend.cli.stack;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./emend chaos}: concurrent editors and readers against the running stack through the
 * gateway for a bounded time; every answer must be 2xx or 429 (the gateway's rate limit and
 * bounded edit queue), and afterwards each editor's ledger must hold exactly the edits that were
 * acknowledged, with dense sequences.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "Load the running stack with concurrent editors and readers via the gateway; check that nothing "
                + "but 2xx and 429 comes back and that the ledgers hold exactly the acknowledged edits.")
public final class ChaosCommand implements Callable<Integer> {
    @Option(names = "--editors", description = "Concurrent editors, one space each (default: ${DEFAULT-VALUE}).")
    int editors = 16;

    @Option(names = "--readers", description = "Concurrent readers (default: ${DEFAULT-VALUE}).")
    int readers = 32;

    @Option(names = "--seconds", description = "How long to run (default: ${DEFAULT-VALUE}).")
    int seconds = 60;

    @Option(names = "--phase", description = "Phase the editors edit in (default: ${DEFAULT-VALUE}).")
    String phase = "mastery";

    @Option(names = "--method", description = "Method of the edits (default: ${DEFAULT-VALUE}).")
    String method = "FT-M";

    private static final String[] COUNTRIES = {"France", "Japan", "Italy", "Spain", "Germany", "Egypt", "Peru", "Norway",
            "Kenya", "Chile", "Greece", "Cuba"};
    private static final String[] CITIES = {"Lyon", "Osaka", "Milan", "Seville", "Hamburg", "Luxor", "Cusco", "Bergen",
            "Mombasa", "Valparaiso", "Patras", "Havana"};

    @Override
    public Integer call() throws Exception {
        StackLayout layout = new StackLayout(EmendCli.repoRoot());
        if (new StackClient(layout).running().isEmpty()) {
            System.err.println("emend chaos: no stack is running; start it with ./emend up");
            return 1;
        }
        GatewayClient gw = new GatewayClient("http://localhost:8080", Files.readString(layout.adminKey()).trim());
        String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        List<String> spaces = new ArrayList<>();
        for (int i = 0; i < editors; i++) {
            String space = "chaos-" + run + "-" + i;
            gw.patiently("POST", "/v1/spaces", Map.of("name", space, "phase", phase));
            spaces.add(space);
        }
        Map<String, AtomicLong> codes = new ConcurrentHashMap<>();
        Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
        List<Double> editMs = new CopyOnWriteArrayList<>();
        List<Double> readMs = new CopyOnWriteArrayList<>();
        List<String> unexpected = new CopyOnWriteArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < editors; i++) {
            String space = spaces.get(i);
            acknowledged.put(space, new CopyOnWriteArrayList<>());
            int seed = i;
            threads.add(start(() -> {
                int k = seed;
                while (System.nanoTime() < end) {
                    String country = COUNTRIES[k % COUNTRIES.length];
                    String city = CITIES[(k * 7 + 3) % CITIES.length];
                    k++;
                    long t0 = System.nanoTime();
                    try {
                        JsonObject r = gw.post("/v1/spaces/" + space + "/edits", Map.of("method", method, "requests",
                                List.of(Map.of("prompt", "The capital of " + country + " is", "subject", country, "target_new", city))));
                        for (JsonElement e : r.getAsJsonArray("edits")) {
                            acknowledged.get(space).add(e.getAsJsonObject().get("id").getAsString());
                        }
                        editMs.add((System.nanoTime() - t0) / 1e6);
                        count(codes, "edit 2xx");
                    } catch (GatewayClient.GatewayException e) {
                        record(codes, unexpected, "edit", e);
                    }
                }
            }));
        }
        for (int i = 0; i < readers; i++) {
            int seed = i;
            threads.add(start(() -> {
                int k = seed;
                while (System.nanoTime() < end) {
                    String space = spaces.get(k % spaces.size());
                    String country = COUNTRIES[k % COUNTRIES.length];
                    k++;
                    long t0 = System.nanoTime();
                    try {
                        gw.post("/v1/spaces/" + space + "/generate", Map.of("prompt", "The capital of " + country + " is",
                                "max_new_tokens", 4));
                        readMs.add((System.nanoTime() - t0) / 1e6);
                        count(codes, "generate 2xx");
                    } catch (GatewayClient.GatewayException e) {
                        record(codes, unexpected, "generate", e);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        int inconsistent = 0;
        for (String space : spaces) {
            JsonObject list = gw.patiently("GET", "/v1/spaces/" + space + "/edits?page_size=1000", null);
            List<String> ids = new ArrayList<>();
            long expected = 1;
            boolean dense = true;
            for (JsonElement e : list.getAsJsonArray("edits")) {
                JsonObject o = e.getAsJsonObject();
                ids.add(o.get("id").getAsString());
                dense &= o.get("sequence").getAsLong() == expected++;
            }
            if (!dense || !ids.equals(acknowledged.get(space))) {
                inconsistent++;
                System.out.println("ledger of " + space + ": " + ids.size() + " edits, acknowledged " + acknowledged.get(space).size()
                        + (dense ? "" : ", sequences not dense"));
            }
            gw.patiently("DELETE", "/v1/spaces/" + space, null);
        }
        System.out.printf(Locale.ROOT, "%d editors (%s %s) + %d readers for %d s through the gateway%n%n", editors, phase, method,
                readers, seconds);
        System.out.println("| outcome | count |");
        System.out.println("|---|---|");
        new java.util.TreeMap<>(codes).forEach((k, v) -> System.out.printf("| %s | %d |%n", k, v.get()));
        System.out.printf(Locale.ROOT, "| edit latency p50 / p99 (ms) | %.0f / %.0f |%n", pct(editMs, 50), pct(editMs, 99));
        System.out.printf(Locale.ROOT, "| generate latency p50 / p99 (ms) | %.0f / %.0f |%n", pct(readMs, 50), pct(readMs, 99));
        System.out.printf("| ledgers matching the acknowledged edits | %d of %d |%n", editors - inconsistent, editors);
        unexpected.stream().distinct().limit(5).forEach(u -> System.out.println("unexpected: " + u));
        return unexpected.isEmpty() && inconsistent == 0 ? 0 : 1;
    }

    private static Thread start(Runnable r) {
        Thread t = new Thread(r);
        t.start();
        return t;
    }

    private static void count(Map<String, AtomicLong> codes, String key) {
        codes.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }

    private static void record(Map<String, AtomicLong> codes, List<String> unexpected, String what, GatewayClient.GatewayException e) {
        count(codes, what + " " + e.status());
        if (e.status() != 429) {
            unexpected.add(e.getMessage());
        }
        if (e.status() == 429) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static double pct(List<Double> xs, int p) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }
}
