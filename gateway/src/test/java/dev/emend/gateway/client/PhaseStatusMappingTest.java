package dev.emend.gateway.client;

import dev.emend.gateway.rest.Problem;
import dev.emend.gateway.rest.ProblemMappers;
import io.grpc.Status;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * evaluation-service's refusals of a data set path reach the client as 403 (outside the dataset
 * directories) and 400 (malformed), with the field its message names.
 */
class PhaseStatusMappingTest {
    private static Problem problem(Status status) {
        RuntimeException e = PhaseRequestException.from("evaluation", status.asRuntimeException());
        Response r = new ProblemMappers().phaseRefused((PhaseRequestException) e);
        return (Problem) r.getEntity();
    }

    @Test
    void datasetPathRefusalsAre403And400NamingTheField() {
        Problem outside = problem(Status.PERMISSION_DENIED.withDescription(
                "dataset.path: '/etc/passwd' is outside the data set directories [/srv/emend/benchmarks]"));
        assertEquals(403, outside.status());
        assertEquals("dataset.path", outside.field());
        assertEquals("evaluation", outside.phase());
        Problem malformed = problem(Status.INVALID_ARGUMENT.withDescription("dataset.path: contains the NUL character; give a file path"));
        assertEquals(400, malformed.status());
        assertEquals("dataset.path", malformed.field());
        assertEquals("requests[0].subject", problem(Status.INVALID_ARGUMENT.withDescription(
                "requests[0].subject: FT-M needs the subject of the fact")).field());
        assertNull(problem(Status.NOT_FOUND.withDescription("no run 'x' (ListRuns shows the runs)")).field());
    }
}
