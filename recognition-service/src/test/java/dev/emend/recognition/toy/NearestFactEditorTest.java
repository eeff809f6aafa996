package dev.emend.recognition.toy;

import dev.emend.api.v1.EditRequest;
import dev.emend.phase.testing.EditorContractTest;
import dev.emend.testing.EmbeddedPostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The done-when of method plug-ins (issue 16): a method added as one test class plus its
 * {@code META-INF/services} line is offered by Describe and passes the whole Editor contract
 * (apply, score, generate, exact rollback, replay from the ledger, refusals) with no other file
 * touched.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedPostgresResource.class)
class NearestFactEditorTest extends EditorContractTest {
    @Override
    protected String method() {
        return "NEAREST";
    }

    @Override
    protected EditRequest request() {
        return EditRequest.newBuilder().setPrompt("People in Syria speak").setSubject("Syria").setTargetNew("Greek")
                .addGroundTruth("Arabic").build();
    }
}
