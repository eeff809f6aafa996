package dev.emend.gateway.bench;

import dev.emend.api.v1.EditorGrpc;
import dev.emend.api.v1.GenerateRequest;
import dev.emend.testing.ServiceProcess;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load benchmark of the gateway (a command, not a test). Starts embedded PostgreSQL, the packaged
 * mastery-service and the packaged gateway as separate processes, then measures
 * <ol>
 *   <li>the gateway's overhead per generate call: N sequential greedy generate calls straight to
 *       mastery-service over gRPC, then N through the gateway (REST, key check, rate limit,
 *       routing), same prompt and length;</li>
 *   <li>requests/s of POST /v1/experiments/{id}/generate with C concurrent clients for D seconds
 *       (two arms, 1:1, random callers), counting every non-200 answer as an error.</li>
 * </ol>
 * A third run sends the same concurrent load straight to mastery-service, the ceiling the model sets.
 * Usage: {@code GatewayLoadBench [N=200] [D seconds=30] [C clients=16] [max_new_tokens=8]}.
 * Prints Markdown tables.
 */
public final class GatewayLoadBench {
    private static final String KEY = BenchStack.KEY;
    private static final String PROMPT = "The capital of France is";

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int clients = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 8;

        try (BenchStack stack = BenchStack.start()) {
            ServiceProcess mastery = stack.mastery();
            ServiceProcess gateway = stack.gateway();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://localhost:" + gateway.port();
            ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", mastery.port()).usePlaintext().build();
            EditorGrpc.EditorBlockingStub direct = EditorGrpc.newBlockingStub(channel);
            GenerateRequest grpcRequest = GenerateRequest.newBuilder().setSpace("base").setPrompt(PROMPT).setMaxNewTokens(tokens).build();
            String restBody = "{\"prompt\": \"" + PROMPT + "\", \"max_new_tokens\": " + tokens + "}";

            // Warm both paths (JIT, connection pools, the model's first forward).
            for (int i = 0; i < 30; i++) {
                direct.generate(grpcRequest);
                post(http, base + "/v1/spaces/base/generate", restBody, KEY);
            }
            double[] directMs = new double[n];
            double[] gatewayMs = new double[n];
            // Interleaved so that load from other jobs on the machine hits both paths alike.
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                direct.generate(grpcRequest);
                directMs[i] = (System.nanoTime() - t0) / 1e6;
                t0 = System.nanoTime();
                HttpResponse<String> r = post(http, base + "/v1/spaces/base/generate", restBody, KEY);
                gatewayMs[i] = (System.nanoTime() - t0) / 1e6;
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("gateway answered " + r.statusCode() + ": " + r.body());
                }
            }
            channel.shutdownNow();

            // Experiment: base vs an (unedited) space, weights 1:1; a reader key without a practical rate limit.
            post(http, base + "/v1/spaces", "{\"name\": \"bench-b\", \"phase\": \"mastery\"}", KEY);
            String exp = field(post(http, base + "/v1/experiments", "{\"name\": \"bench\", \"arms\": ["
                    + "{\"name\": \"a\", \"space\": \"base\", \"phase\": \"mastery\", \"weight\": 1},"
                    + "{\"name\": \"b\", \"space\": \"bench-b\", \"weight\": 1}]}", KEY).body(), "id");
            String reader = field(post(http, base + "/v1/keys", "{\"name\": \"bench-reader\", \"role\": \"reader\", "
                    + "\"requests_per_minute\": 1000000}", KEY).body(), "key");
            // Same load straight to mastery-service (gRPC, 16 clients): the ceiling the model sets.
            ManagedChannel loadChannel = ManagedChannelBuilder.forAddress("localhost", mastery.port()).usePlaintext().build();
            EditorGrpc.EditorBlockingStub loadStub = EditorGrpc.newBlockingStub(loadChannel);
            Load directLoad = load(clients, seconds, (client, i) -> {
                loadStub.generate(grpcRequest);
                return true;
            });
            loadChannel.shutdownNow();
            Load gatewayLoad = load(clients, seconds, (client, i) -> {
                String body = "{\"prompt\": \"" + PROMPT + "\", \"max_new_tokens\": " + tokens + ", \"caller\": \"c"
                        + client + "-" + i + "\"}";
                HttpResponse<String> r = post(http, base + "/v1/experiments/" + exp + "/generate", body, reader);
                if (r.statusCode() != 200) {
                    System.err.println("error " + r.statusCode() + ": " + r.body());
                }
                return r.statusCode() == 200;
            });
            String stats = post(http, base + "/v1/experiments/" + exp, null, KEY).body();

            System.out.printf("%n## Gateway overhead per generate call (N=%d sequential, greedy, max_new_tokens=%d, base space)%n%n", n, tokens);
            System.out.println("| path | mean ms | p50 ms | p90 ms | p99 ms |");
            System.out.println("|---|---|---|---|---|");
            row("mastery-service gRPC, direct", directMs);
            row("gateway REST -> mastery gRPC", gatewayMs);
            System.out.printf("| overhead (gateway - direct) | %.2f | %.2f | | |%n", mean(gatewayMs) - mean(directMs),
                    pct(gatewayMs, 50) - pct(directMs, 50));
            System.out.printf("%n## POST /v1/experiments/{id}/generate, %d concurrent clients, %d s%n%n", clients, seconds);
            System.out.println("| path | requests ok | errors | requests/s | p50 ms | p99 ms |");
            System.out.println("|---|---|---|---|---|---|");
            directLoad.row("mastery-service gRPC Generate, direct");
            gatewayLoad.row("gateway POST /v1/experiments/{id}/generate");
            System.out.println();
            System.out.println("experiment as the gateway reports it: " + stats);
        }
        System.exit(0);
    }

    /** One call of a load client; returns whether it succeeded. */
    private interface Call {
        boolean run(int client, int i) throws Exception;
    }

    /** Outcome of a load run. */
    private record Load(long ok, long errors, double seconds, double[] latencies) {
        void row(String name) {
            System.out.printf("| %s | %d | %d | %.1f | %.1f | %.1f |%n", name, ok, errors, ok / seconds, pct(latencies, 50),
                    pct(latencies, 99));
        }
    }

    private static Load load(int clients, int seconds, Call call) throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            int client = c;
            pool.submit(() -> {
                int i = 0;
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    try {
                        if (call.run(client, i++)) {
                            ok.incrementAndGet();
                            latencies.add((System.nanoTime() - t0) / 1e6);
                        } else {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                        System.err.println("error: " + e);
                    }
                }
                return null;
            });
        }
        pool.shutdown();
        pool.awaitTermination(seconds + 120L, TimeUnit.SECONDS);
        return new Load(ok.get(), errors.get(), (System.nanoTime() - start) / 1e9,
                latencies.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** A POST of {@code body} (or a GET when null) with the key; also used by {@link TrainingBench}. */
    static HttpResponse<String> post(HttpClient http, String url, String body, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json");
        b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }

    private static void row(String name, double[] ms) {
        System.out.printf("| %s | %.2f | %.2f | %.2f | %.2f |%n", name, mean(ms), pct(ms, 50), pct(ms, 90), pct(ms, 99));
    }

    private static double mean(double[] x) {
        return Arrays.stream(x).average().orElse(Double.NaN);
    }

    private static double pct(double[] x, double p) {
        if (x.length == 0) {
            return Double.NaN;
        }
        double[] s = x.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100 * s.length) - 1)];
    }
}
