package dev.emend.mastery.grpc;

import dev.emend.phase.testing.EditorContractTest;
import dev.emend.testing.EmbeddedPostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The Editor contract on the mastery service with FT-M (fast, and exact on the default model). */
@QuarkusTest
@QuarkusTestResource(EmbeddedPostgresResource.class)
class MasteryEditorTest extends EditorContractTest {
    @Override
    protected String method() {
        return "FT-M";
    }
}
