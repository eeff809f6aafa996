package dev.emend.core;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

class EngineSmokeTest {
    @Test
    void pytorchEngineRunsOffline() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3});
            assertEquals(14f, a.mul(a).sum().getFloat(), 1e-6);
            assertEquals("PyTorch", m.getEngine().getEngineName());
        }
    }
}
