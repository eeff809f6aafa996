package dev.emend.core.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Both Adams against torch.optim.Adam's trajectory (golden/adam/torch-adam.json, written by
 * src/test/reference/adam_reference.py): the host {@link Adam} against torch's float64 run, the
 * device {@link DeviceAdam} against its float32 run, step by step.
 */
class AdamGoldenTest {
    private static JsonObject golden;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = AdamGoldenTest.class.getResourceAsStream("/golden/adam/torch-adam.json")) {
            golden = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        }
    }

    private static double[] row(JsonArray a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).getAsDouble();
        }
        return d;
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void hostAdamFollowsTorchsFloat64Trajectory() {
        double[] w = row(golden.getAsJsonArray("start"));
        Adam adam = new Adam(w.length, golden.get("lr").getAsDouble());
        JsonArray grads = golden.getAsJsonArray("grads");
        JsonArray expected = golden.getAsJsonArray("float64");
        for (int s = 0; s < grads.size(); s++) {
            adam.step(w, row(grads.get(s).getAsJsonArray()));
            double[] e = row(expected.get(s).getAsJsonArray());
            for (int i = 0; i < w.length; i++) {
                assertEquals(e[i], w[i], 1e-12, "step " + (s + 1) + ", entry " + i);
            }
        }
    }

    @Test
    void deviceAdamFollowsTorchsFloat32Trajectory() {
        JsonArray shapeJson = golden.getAsJsonArray("shape");
        Shape shape = new Shape(shapeJson.get(0).getAsLong(), shapeJson.get(1).getAsLong());
        try (NDManager root = NDManager.newBaseManager();
                TrainedTensor p = TrainedTensor.of(root, floats(row(golden.getAsJsonArray("start"))), shape)) {
            DeviceAdam adam = new DeviceAdam(p, golden.get("lr").getAsDouble());
            JsonArray grads = golden.getAsJsonArray("grads");
            JsonArray expected = golden.getAsJsonArray("float32");
            for (int s = 0; s < grads.size(); s++) {
                try (NDManager step = root.newSubManager()) {
                    adam.step(step.create(floats(row(grads.get(s).getAsJsonArray())), shape));
                }
                float[] w = p.toFloatArray();
                double[] e = row(expected.get(s).getAsJsonArray());
                for (int i = 0; i < w.length; i++) {
                    assertEquals(e[i], w[i], 2e-6, "step " + (s + 1) + ", entry " + i);
                }
            }
            assertEquals(grads.size(), adam.steps());
            try (NDManager m = root.newSubManager()) {
                NDArray wrong = m.zeros(new Shape(4, 3));
                assertThrows(IllegalArgumentException.class, () -> adam.step(wrong));
            }
            assertThrows(IllegalArgumentException.class, () -> new DeviceAdam(p, Double.NaN));
        }
    }
}
