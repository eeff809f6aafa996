package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.safetensors.SafetensorsFile;
import dev.emend.core.safetensors.SafetensorsWriter;
import dev.emend.core.safetensors.SafetensorsWriter.FloatTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Weights stay in the checkpoint's dtype and are converted per use. A bf16 checkpoint computed in
 * float32 must give exactly the numbers of a float32 checkpoint holding the same (bf16-rounded)
 * values, the way the load-time widening used to; half-precision compute must stay finite and
 * close, padding included; passes with hooks or under a gradient session compute in float32.
 */
class StoredDtypeTest {
    @TempDir
    Path tmp;

    private static final ComputeSettings CPU_AUTO = new ComputeSettings(Device.cpu(), "auto");

    /** The tiny checkpoint of {@code family} as bf16 ({@code bf16/}) and its exact float32 widening ({@code f32/}). */
    private Path[] pair(String family) throws IOException {
        return pair(family, null);
    }

    /** As {@link #pair(String)}, with {@code mlpWidth} (when not null) as the MLP's inner width. */
    private Path[] pair(String family, Integer mlpWidth) throws IOException {
        Path original = tmp.resolve(family + "-orig");
        try (NDManager m = NDManager.newBaseManager()) {
            TinyCheckpoints.build(original, family, 21, m);
            if (mlpWidth != null) {
                // Rebuild with a wide MLP: the same tokenizer and config otherwise.
                com.google.gson.JsonObject cfg = TinyCheckpoints.config(family,
                        TinyCheckpoints.vocabSize(original.resolveSibling(original.getFileName() + "-tok")));
                cfg.addProperty(family.equals("gpt2") ? "n_inner" : "intermediate_size", mlpWidth);
                var fam = dev.emend.core.model.ModelFamilies.forModelType(family);
                var config = fam.parseConfig(cfg);
                Checkpoints.save(original, fam, config, fam.create(config).initialise(m, 22), null);
            }
        }
        Path bf16 = copyDir(original, tmp.resolve(family + "-bf16"));
        Path f32 = copyDir(original, tmp.resolve(family + "-f32"));
        Map<String, FloatTensor> values = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(original.resolve("model.safetensors"))) {
            for (String name : f.names()) {
                values.put(name, new FloatTensor(f.loadFloats(name), f.info(name).shape()));
            }
        }
        SafetensorsWriter.writeFloats(bf16.resolve("model.safetensors"), values, Map.of(), SafetensorsWriter.Precision.BF16);
        Map<String, FloatTensor> rounded = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(bf16.resolve("model.safetensors"))) {
            for (String name : f.names()) {
                rounded.put(name, new FloatTensor(f.loadFloats(name), f.info(name).shape()));
            }
        }
        SafetensorsWriter.writeFloats(f32.resolve("model.safetensors"), rounded, Map.of(), SafetensorsWriter.Precision.F32);
        // The values exactly as held once loaded (bf16 held as float16; see SafetensorsFile).
        Path held = copyDir(original, tmp.resolve(family + "-held"));
        Map<String, FloatTensor> asHeld = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(bf16.resolve("model.safetensors")); NDManager m = NDManager.newBaseManager()) {
            for (String name : f.names()) {
                asHeld.put(name, new FloatTensor(f.load(name, m).toType(DataType.FLOAT32, false).toFloatArray(), f.info(name).shape()));
            }
        }
        SafetensorsWriter.writeFloats(held.resolve("model.safetensors"), asHeld, Map.of(), SafetensorsWriter.Precision.F32);
        return new Path[] {bf16, f32, held};
    }

    private static Path copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            s.forEach(p -> {
                try {
                    Files.copy(p, to.resolve(p.getFileName()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return to;
    }

    /** Two left-padded rows of different lengths. */
    private static ForwardInput paddedBatch(LanguageModel lm) {
        long[] a = lm.tokenizer().encodeLong("The capital of Chile is Santiago.");
        long[] b = lm.tokenizer().encodeLong("Paris");
        int len = a.length;
        long[][] ids = new long[2][len];
        int[][] mask = new int[2][len];
        for (int t = 0; t < len; t++) {
            ids[0][t] = a[t];
            mask[0][t] = 1;
            int j = t - (len - b.length);
            ids[1][t] = j >= 0 ? b[j] : 0;
            mask[1][t] = j >= 0 ? 1 : 0;
        }
        return new ForwardInput(ids, mask);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void bf16WeightsComputedInFloat32EqualTheWidenedCheckpoint(String family) throws IOException {
        Path[] dirs = pair(family);
        try (LanguageModel bf = Checkpoints.load(dirs[0], CPU_AUTO);
             LanguageModel f32 = Checkpoints.load(dirs[1], CPU_AUTO);
             LanguageModel held = Checkpoints.load(dirs[2], CPU_AUTO)) {
            for (String name : bf.weights().names()) {
                assertEquals(DataType.FLOAT16, bf.weights().get(name).getDataType(), name);
            }
            assertEquals(DataType.FLOAT16, Checkpoints.storedType(bf.weights()));
            assertEquals(DataType.FLOAT32, bf.model().computeType());
            ForwardInput in = paddedBatch(bf);
            float[] got = bf.logits(bf.baseView(), in);
            // Per-use conversion is exact: the numbers of a float32 checkpoint of the held values.
            assertArrayEquals(held.logits(held.baseView(), in), got, 0f);
            // And within 1e-5 of the bf16 values widened (only weights under 2^-17 round, by <= 2^-25).
            assertArrayEquals(f32.logits(f32.baseView(), in), got, 1e-5f);
            GenerationOptions greedy = GenerationOptions.greedy(6).withoutEos();
            int[] prompt = bf.encodePrompt("The capital of");
            assertArrayEquals(f32.generateIds(f32.baseView(), prompt, greedy), bf.generateIds(bf.baseView(), prompt, greedy));
        }
    }

    /**
     * An MLP matrix of 140,000 x 32 (4.5M elements) is converted in two pieces of output features
     * (see DecoderModel#convertedProduct), in both layouts (GPT-2's [in, out], Llama's [out, in]).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void weightsConvertedInPiecesGiveTheSameLogits(String family) throws IOException {
        Path[] dirs = pair(family, 140_000);
        try (LanguageModel bf = Checkpoints.load(dirs[0], CPU_AUTO);
             LanguageModel held = Checkpoints.load(dirs[2], CPU_AUTO)) {
            ForwardInput in = paddedBatch(bf);
            float[] ref = held.logits(held.baseView(), in);
            float[] got = bf.logits(bf.baseView(), in);
            double max = 0;
            for (float v : ref) {
                max = Math.max(max, Math.abs(v));
            }
            // Only a BLAS's summation order may differ between the whole matrix and its pieces.
            assertArrayEquals(ref, got, (float) (1e-5 * Math.max(1, max)));
            // The pieces are converted into one reused buffer per thread: a second pass over the
            // same weights (the buffer now holding the last piece of the last matrix) is identical.
            assertArrayEquals(got, bf.logits(bf.baseView(), in), 0f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"float16"})
    void halfPrecisionComputeIsFiniteAndCloseWithPadding(String dtype) throws IOException {
        for (String family : new String[] {"gpt2", "llama"}) {
            Path[] dirs = pair(family);
            try (LanguageModel half = Checkpoints.load(dirs[0], new ComputeSettings(Device.cpu(), dtype));
                 LanguageModel f32 = Checkpoints.load(dirs[1], CPU_AUTO)) {
                assertEquals(DataType.FLOAT16, half.model().computeType());
                ForwardInput in = paddedBatch(half);
                float[] h = half.logits(half.baseView(), in);
                float[] ref = f32.logits(f32.baseView(), in);
                float[] heldRef;
                try (LanguageModel held = Checkpoints.load(dirs[2], CPU_AUTO)) {
                    heldRef = held.logits(held.baseView(), in);
                }
                double maxRef = 0;
                double maxDiff = 0;
                for (int i = 0; i < ref.length; i++) {
                    assertTrue(Float.isFinite(h[i]), family + " " + dtype + ": logit " + i + " is " + h[i]);
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - h[i]));
                }
                // Half-precision activations carry 3 (bf16) or 4 (fp16) significant digits.
                assertTrue(maxDiff < 0.05 * maxRef + 0.05, family + " " + dtype + ": max |diff| " + maxDiff + " vs max |logit| " + maxRef);

                // Editing passes compute in float32 whatever the setting: with hooks, and under a gradient session.
                LayerHook identity = new LayerHook() {
                    @Override
                    public NDArray blockOutput(int layer, NDArray x, HookContext ctx) {
                        return x;
                    }
                };
                assertArrayEquals(heldRef, half.logits(half.baseView().withHooks(Hooks.of(identity)), in), 0f);
                try (GradientSession s = GradientSession.open()) {
                    assertEquals(DataType.FLOAT32, half.model().computeTypeFor(Hooks.NONE));
                    assertArrayEquals(heldRef, half.logits(half.baseView(), in), 0f);
                }
                assertEquals(half.model().computeType(), half.model().computeTypeFor(Hooks.NONE));
            }
        }
    }

    @Test
    void overlayOnBf16WeightsKeepsTheWeightsDtype() throws IOException {
        Path[] dirs = pair("llama");
        try (LanguageModel lm = Checkpoints.load(dirs[0], CPU_AUTO);
             OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager());
             NDManager m = lm.manager().newSubManager()) {
            String name = lm.model().mlpDown(0).weight();
            NDArray base = lm.weights().get(name);
            // An update computed in float32, added to the weight in float32, stored rounded once to the weight's dtype.
            NDArray delta = m.full(base.getShape(), 0.01f);
            NDArray sum = OverlayWeights.sumInFloat32(delta, base);
            assertEquals(DataType.FLOAT32, sum.getDataType());
            assertArrayEquals(base.toType(DataType.FLOAT32, false).add(0.01f).toFloatArray(), sum.toFloatArray(), 0f);
            overlay.replace(name, sum);
            NDArray stored = overlay.get(name);
            assertEquals(DataType.FLOAT16, stored.getDataType());
            assertArrayEquals(sum.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).toFloatArray(),
                    stored.toType(DataType.FLOAT32, false).toFloatArray(), 0f);
            float[] before = lm.logits(lm.baseView(), ForwardInput.of(lm.tokenizer().encodeLong("Paris is")));
            float[] after = lm.logits(new ModelView(overlay, Hooks.NONE), ForwardInput.of(lm.tokenizer().encodeLong("Paris is")));
            assertTrue(!java.util.Arrays.equals(before, after), "the edit must change the logits");
        }
    }

    @Test
    void settingsParseAndRejectClearly() {
        assertEquals(DataType.FLOAT32, CPU_AUTO.computeType(DataType.FLOAT16, false));
        ComputeSettings gpuAuto = new ComputeSettings(Device.gpu(0), "auto");
        assertEquals(DataType.FLOAT16, gpuAuto.computeType(DataType.FLOAT16, false));
        assertEquals(DataType.FLOAT32, gpuAuto.computeType(DataType.FLOAT16, true));
        assertEquals(DataType.FLOAT32, gpuAuto.computeType(DataType.FLOAT32, false));
        assertEquals(DataType.FLOAT16, new ComputeSettings(Device.cpu(), "float16").computeType(DataType.FLOAT32, false));
        IllegalArgumentException bf = assertThrows(IllegalArgumentException.class, () -> new ComputeSettings(Device.cpu(), "bfloat16"));
        assertTrue(bf.getMessage().startsWith("EMEND_DTYPE=bfloat16: the PyTorch engine of DJL 0.36 has no bfloat16"), bf.getMessage());
        assertEquals(Device.gpu(3), ComputeSettings.parseDevice("cuda:3"));
        assertEquals(Device.cpu(), ComputeSettings.from(Map.<String, String>of()::get).device());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ComputeSettings.parseDevice("tpu"));
        assertEquals("EMEND_DEVICE=tpu is not a device: use cpu, cuda or cuda:N", bad.getMessage());
        IllegalArgumentException dt = assertThrows(IllegalArgumentException.class, () -> new ComputeSettings(Device.cpu(), "int8"));
        assertEquals("EMEND_DTYPE=int8 is not a dtype: use auto, float32, bfloat16 or float16", dt.getMessage());
    }

    /** This build machine has no GPU and the CPU engine: asking for cuda must fail at startup, naming the fix. */
    @Test
    void cudaWithoutACudaEngineIsAStartupError() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ComputeSettings.from(Map.of("EMEND_DEVICE", "cuda")::get));
        assertTrue(e.getMessage().startsWith("EMEND_DEVICE=cuda asks for a GPU, but the loaded PyTorch"), e.getMessage());
        assertTrue(e.getMessage().contains("PYTORCH_LIBRARY_PATH=<that>/lib PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128"),
                e.getMessage());
    }
}
