package dev.emend.evaluation.grpc;

import dev.emend.api.v1.EvaluationGrpc;
import dev.emend.api.v1.Metrics;
import dev.emend.api.v1.Run;
import dev.emend.api.v1.RunStatus;
import dev.emend.api.v1.TargetResult;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Throughput probe, not a test: off unless -Demend.throughput.cases=N. Evaluates each method alone
 * (single edits, full protocol incl. fluency and generated exact match) on the first N counterfact
 * cases against the real mastery-service process and prints cases per minute. Command:
 * {@code ./mvnw -o -pl evaluation-service verify -Dtest=ThroughputProbeTest -Demend.throughput.cases=20 -Dsurefire.failIfNoSpecifiedTests=false}
 * (optionally -Demend.throughput.methods=FT-M,ROME).
 */
@QuarkusTest
@QuarkusTestResource(value = EvaluationTestResource.class, restrictToAnnotatedClass = true)
@EnabledIfSystemProperty(named = "emend.throughput.cases", matches = "\\d+")
class ThroughputProbeTest {
    @Test
    void casesPerMinute() throws Exception {
        int n = Integer.getInteger("emend.throughput.cases");
        List<String> methods = List.of(System.getProperty("emend.throughput.methods", "FT-M,ROME").split(","));
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        StringBuilder table = new StringBuilder("\n| Method | cases | wall s | cases/min | s/edit | Edit Succ | Gen. | Port. | Loc. | Fluency | Gen. EM |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        try {
            EvaluationGrpc.EvaluationBlockingStub evaluation = EvaluationGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.HOURS);
            // Warm-up: one case per method (loads covariance statistics, JIT), not counted.
            evaluation.evaluate(EvaluationServiceTest.counterfact(1, methods.toArray(String[]::new)).build()).forEachRemaining(e -> { });
            for (String m : methods) {
                long t0 = System.nanoTime();
                Run run = null;
                var it = evaluation.evaluate(EvaluationServiceTest.counterfact(n, m).build());
                while (it.hasNext()) {
                    var e = it.next();
                    if (e.hasResult()) {
                        run = e.getResult();
                    }
                }
                double wall = (System.nanoTime() - t0) / 1e9;
                assertEquals(RunStatus.RUN_STATUS_SUCCEEDED, run.getStatus(), run.getStatusReason());
                TargetResult r = run.getResults(0);
                Metrics x = r.getMetrics();
                table.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |%n", m, x.getCases(),
                        wall, x.getCases() / wall * 60, r.getSecondsPerEdit(), x.getEditSucc(), x.getGeneralization(), x.getPortability(),
                        x.getLocality(), x.getFluency(), x.getEditSuccExactMatch()));
            }
        } finally {
            channel.shutdownNow();
        }
        System.out.println(table);
    }
}
