package dev.emend.core.grad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class TrainedTensorTest {
    private static final Shape SHAPE = new Shape(2, 3);

    @Test
    void theLeafCarriesTheGradientAndTheUpdateLandsInTheValue() {
        // loss = Σ (w ⊙ x): dloss/dw = x; one SGD step with a mask moves only the open entries.
        try (NDManager root = NDManager.newBaseManager();
                TrainedTensor p = TrainedTensor.of(root, new float[] {1, 2, 3, 4, 5, 6}, SHAPE);
                GradientSession g = GradientSession.open()) {
            for (int step = 0; step < 2; step++) {
                try (NDManager m = root.newSubManager(); NDScope scope = new NDScope()) {
                    NDArray leaf = p.leaf();
                    NDArray x = m.create(new float[] {1, -1, 2, -2, 0.5f, 0}, SHAPE);
                    NDArray loss = leaf.mul(x).sum();
                    g.zeroGradients();
                    g.backward(loss);
                    NDArray mask = m.create(new float[] {1, 1, 0, 1, 1, 1}, SHAPE);
                    p.sgdStep(leaf.getGradient(), 0.5, mask);
                }
            }
            assertArrayEquals(new float[] {0, 3, 3, 6, 4.5f, 6}, p.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void clipsToScalarsAndToAnElementwiseBox() {
        try (NDManager root = NDManager.newBaseManager();
                TrainedTensor p = TrainedTensor.of(root, new float[] {-3, -1, 0, 1, 2, 9}, SHAPE)) {
            p.clip(-2, 1.5);
            assertArrayEquals(new float[] {-2, -1, 0, 1, 1.5f, 1.5f}, p.toFloatArray());
            try (NDManager m = root.newSubManager()) {
                NDArray lo = m.create(new float[] {-1, -1, 0.5f, 0, 0, 0}, SHAPE);
                NDArray hi = m.create(new float[] {0, 0, 1, 0.5f, 2, 2}, SHAPE);
                p.clip(lo, hi);
                assertArrayEquals(new float[] {-1, -1, 0.5f, 0.5f, 1.5f, 1.5f}, p.toFloatArray());
                assertArrayEquals(new float[] {-1, -1, 0.5f, 0.5f, 1.5f, 1.5f}, p.minusToHost(m.zeros(SHAPE)));
                assertThrows(IllegalArgumentException.class, () -> p.clip(m.zeros(new Shape(3, 2)), hi));
            }
        }
    }

    @Test
    void aCopyIsFloat32AndIndependentOfItsSource() {
        try (NDManager root = NDManager.newBaseManager()) {
            NDArray source = root.create(new double[] {1, 2, 3, 4, 5, 6}, SHAPE);
            try (TrainedTensor p = TrainedTensor.copyOf(root, source)) {
                p.clip(0, 2);
                assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, p.value().getDataType());
                assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, source.toDoubleArray());
                assertArrayEquals(new float[] {1, 2, 2, 2, 2, 2}, p.toFloatArray());
            }
            NDArray f32 = root.create(new float[] {1, 2, 3, 4, 5, 6}, SHAPE);
            try (TrainedTensor q = TrainedTensor.copyOf(root, f32)) {
                // an in-place step on the copy must not reach the source (same dtype: no aliasing)
                q.sgdStep(root.ones(SHAPE), 1, null);
                assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, f32.toFloatArray());
                assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, q.toFloatArray());
            }
            assertThrows(IllegalArgumentException.class, () -> TrainedTensor.of(root, new float[5], SHAPE));
        }
    }
}
