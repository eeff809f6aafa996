package dev.emend.recognition.grpc;

import dev.emend.api.v1.EditRequest;
import dev.emend.phase.testing.EditorContractTest;
import dev.emend.testing.EmbeddedPostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The Editor contract on the recognition service with SERAC: the unrelated prompt is out of the
 * edit's scope, so it reaches the untouched base model and its answer is unchanged exactly. The
 * edit is one the default model copies from context completely: with the contract's default
 * (France → Berlin) it writes 2 of Berlin's 3 tokens (the model card's multi-token copying miss).
 */
@QuarkusTest
@QuarkusTestResource(EmbeddedPostgresResource.class)
class RecognitionEditorTest extends EditorContractTest {
    @Override
    protected String method() {
        return "SERAC";
    }

    @Override
    protected EditRequest request() {
        return EditRequest.newBuilder().setPrompt("People in Syria speak").setSubject("Syria").setTargetNew("Greek")
                .addGroundTruth("Arabic").build();
    }
}
