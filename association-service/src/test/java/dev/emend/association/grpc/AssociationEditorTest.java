package dev.emend.association.grpc;

import dev.emend.phase.testing.EditorContractTest;
import dev.emend.testing.EmbeddedPostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The Editor contract on the association service with GRACE (fast, and local by construction). */
@QuarkusTest
@QuarkusTestResource(EmbeddedPostgresResource.class)
class AssociationEditorTest extends EditorContractTest {
    @Override
    protected String method() {
        return "GRACE";
    }
}
