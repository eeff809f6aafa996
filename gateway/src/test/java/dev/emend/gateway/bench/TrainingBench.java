package dev.emend.gateway.bench;

import dev.emend.testing.ServiceProcess;
import io.restassured.path.json.JsonPath;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * MEND's editor trained through the API (a command, not a test): starts embedded PostgreSQL, the
 * packaged mastery-service and the packaged gateway as processes, sends {@code POST
 * /v1/methods/MEND/training} (the model's default MEND hparams, an editor of the given name,
 * overwrite), follows the operation once a second, then edits with the new editor. Prints the wall
 * time from the POST to {@code succeeded}, the service's own training seconds, mastery-service's
 * peak resident memory (VmHWM, /proc) before and after, the largest VmRSS sampled while training,
 * the editor file's size and the last progress line.
 * Usage: {@code TrainingBench [editor=api-bench] [max_iters=the model's default]}.
 */
public final class TrainingBench {
    private static final String KEY = BenchStack.KEY;

    public static void main(String[] args) throws Exception {
        String editor = args.length > 0 ? args[0] : "api-bench";
        String hparams = "\"editor\": \"" + editor + "\"" + (args.length > 1 ? ", \"max_iters\": " + Integer.parseInt(args[1]) : "");
        try (BenchStack stack = BenchStack.start()) {
            ServiceProcess mastery = stack.mastery();
            ServiceProcess gateway = stack.gateway();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://localhost:" + gateway.port();
            long hwmBefore = memoryKb(mastery.pid(), "VmHWM");
            long t0 = System.nanoTime();
            HttpResponse<String> accepted = GatewayLoadBench.post(http, base + "/v1/methods/MEND/training",
                    "{\"hparams\": {" + hparams + "}, \"overwrite\": true}", KEY);
            if (accepted.statusCode() != 202) {
                throw new IllegalStateException("training refused: " + accepted.statusCode() + " " + accepted.body());
            }
            String id = JsonPath.from(accepted.body()).getString("id");
            long peakRss = 0;
            JsonPath op;
            String lastStage = "";
            while (true) {
                op = JsonPath.from(GatewayLoadBench.post(http, base + "/v1/operations/" + id, null, KEY).body());
                peakRss = Math.max(peakRss, memoryKb(mastery.pid(), "VmRSS"));
                String stage = op.getString("progress.stage");
                if (!stage.equals(lastStage) && op.getDouble("progress.fraction") * 10 % 1 < 0.02) {
                    System.err.printf(Locale.ROOT, "%s %.0f%%%n", stage, 100 * op.getDouble("progress.fraction"));
                }
                lastStage = stage;
                if (op.getString("status").matches("succeeded|failed|cancelled")) {
                    break;
                }
                Thread.sleep(1000);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            if (!"succeeded".equals(op.getString("status"))) {
                throw new IllegalStateException("training " + op.getString("status") + ": " + op.getString("error.detail"));
            }
            long hwmAfter = memoryKb(mastery.pid(), "VmHWM");
            Path file = Path.of(op.getString("trained.file"));
            GatewayLoadBench.post(http, base + "/v1/spaces", "{\"name\": \"bench\", \"phase\": \"mastery\"}", KEY);
            HttpResponse<String> edit = GatewayLoadBench.post(http, base + "/v1/spaces/bench/edits", "{\"method\": \"MEND\", "
                    + "\"hparams\": {\"editor\": \"" + editor + "\"}, \"requests\": [{\"prompt\": \"The capital of France is\", "
                    + "\"subject\": \"France\", \"target_new\": \"Berlin\"}]}", KEY);
            System.out.println("| | |");
            System.out.println("|---|---|");
            System.out.printf(Locale.ROOT, "| wall time, POST to succeeded | %.1f s |%n", wall);
            System.out.printf(Locale.ROOT, "| training in mastery-service (trained.seconds) | %.1f s |%n", op.getDouble("trained.seconds"));
            System.out.printf(Locale.ROOT, "| mastery-service VmHWM before / after | %,d KB / %,d KB |%n", hwmBefore, hwmAfter);
            System.out.printf(Locale.ROOT, "| largest VmRSS sampled while training | %,d KB |%n", peakRss);
            System.out.printf(Locale.ROOT, "| editor file | %s, %,d bytes |%n", file, Files.size(file));
            System.out.printf("| last progress line | %s |%n", op.getString("trained.summary"));
            System.out.printf("| MEND edit with it afterwards | HTTP %d |%n", edit.statusCode());
        }
    }

    /** A {@code Vm*} line of /proc/PID/status, in kB. */
    private static long memoryKb(long pid, String field) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " for process " + pid);
    }
}
