package dev.emend.core.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.tokenizer.ReferenceTokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Peak resident memory of scoring one 3,000-token text (2,000 prompt + 1,000 target tokens) with
 * Llama-3's 128,256-id vocabulary on a hidden-16 Llama, in a fresh JVM per mode:
 * {@code full} is the scoring before the target-only LM head (logits and log-softmax of every
 * position, as LanguageModel.scoreIds did), {@code targets} is {@link LanguageModel#scoreIds} now.
 * Run from editing-core after {@code test-compile} (command in editing-core/README.md).
 */
public final class ScoringMemoryProbe {
    private ScoringMemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "targets";
        Path root = Path.of(args.length > 1 ? args[1] : "target/scoring-memory-probe");
        Path ckpt = root.resolve("llama3-vocab-h16");
        if (!Files.isRegularFile(ckpt.resolve("model.safetensors"))) {
            Files.createDirectories(root);
            RealVocabCheckpoints.build(ckpt, ReferenceTokenizers.directory(Files.createTempDirectory(root, "tok"), "llama3"),
                    SpecialTokensRuntimeTest.VOCAB, 3);
        }
        try (LanguageModel lm = Checkpoints.load(ckpt)) {
            int[][] pair = SpecialTokensRuntimeTest.longPair(lm, 2000, 1000);
            long loaded = ProcStatus.kb("VmHWM");
            double sum = score(lm, pair, mode);
            long first = ProcStatus.kb("VmHWM");
            // Second call: the peak reset to the current resident size, so it shows what one
            // scoring call needs once the JVM heap and the native allocator have grown.
            System.gc();
            ProcStatus.resetPeak();
            long before = ProcStatus.kb("VmRSS");
            score(lm, pair, mode);
            long second = ProcStatus.kb("VmHWM");
            System.out.printf("mode=%s vocab=%d tokens=%d scored=%d: peak RSS after load %d MB, after the first scoring %d MB (+%d MB); "
                    + "second scoring from %d MB peaks at %d MB (+%d MB); sum log-prob %.3f%n",
                    mode, lm.config().vocabSize(), pair[0].length + pair[1].length, pair[1].length,
                    loaded / 1024, first / 1024, (first - loaded) / 1024, before / 1024, second / 1024,
                    (second - before) / 1024, sum);
        }
    }

    private static double score(LanguageModel lm, int[][] pair, String mode) {
        double sum = 0;
        if (mode.equals("full")) {
            int len = pair[0].length + pair[1].length;
            long[] ids = new long[len];
            long[] next = new long[len];
            for (int i = 0; i < len; i++) {
                ids[i] = i < pair[0].length ? pair[0][i] : pair[1][i - pair[0].length];
            }
            for (int i = 0; i + 1 < len; i++) {
                next[i] = ids[i + 1];
            }
            try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                NDArray logits = lm.model().forward(m, lm.baseView().weights(), ForwardInput.of(ids), lm.baseView().hooks(), null).logits();
                float[] lp = logits.logSoftmax(-1).gather(m.create(next, new Shape(1, len, 1)), 2).toFloatArray();
                logits.argMax(-1).toLongArray();
                for (int j = 0; j < pair[1].length; j++) {
                    sum += lp[pair[0].length - 1 + j];
                }
            }
        } else {
            sum = lm.scoreIds(lm.baseView(), List.<int[][]>of(pair)).get(0).sumLogProb();
        }
        return sum;
    }
}
