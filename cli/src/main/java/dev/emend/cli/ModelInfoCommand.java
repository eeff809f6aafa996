package dev.emend.cli;

import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.runtime.LanguageModel;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "model-info", mixinStandardHelpOptions = true,
        description = "Load a checkpoint and print its architecture, size, fingerprint and tokenizer.")
final class ModelInfoCommand implements Callable<Integer> {
    @Mixin
    ModelOption modelOption;

    @Spec
    CommandSpec spec;

    /** Unique parameters: the family's tensors minus those tied to another (GPT-2's lm_head). */
    static long parameterCount(LanguageModel lm) {
        Map<String, String> tied = lm.model().tiedParameters();
        long n = 0;
        for (Map.Entry<String, Shape> e : lm.model().parameterShapes().entrySet()) {
            if (!tied.containsKey(e.getKey())) {
                n += e.getValue().size();
            }
        }
        return n;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LanguageModel lm = modelOption.load()) {
            ModelConfig c = lm.config();
            String eos;
            try {
                int id = lm.tokenizer().eosId();
                eos = id + " (" + lm.tokenizer().token(id) + ")";
            } catch (IllegalStateException e) {
                eos = "none";
            }
            row(out, "family", lm.family().name());
            row(out, "model_type", c.modelType());
            row(out, "layers", c.numLayers());
            row(out, "d_model", c.hiddenSize());
            row(out, "heads", c.numHeads() + " (kv heads " + c.numKvHeads() + ", head dim " + c.headDim() + ")");
            row(out, "d_ff", c.intermediateSize());
            row(out, "context", c.maxPositions());
            row(out, "vocab", c.vocabSize() + " (tokenizer " + lm.tokenizer().vocabSize() + " ids)");
            row(out, "tied embeddings", c.tieWordEmbeddings());
            row(out, "parameters", String.format(Locale.ROOT, "%,d", parameterCount(lm)));
            row(out, "weights", dev.emend.core.runtime.Checkpoints.storedType(lm.weights()) + " (computed in "
                    + lm.model().computeType() + ", device " + lm.manager().getDevice() + ")");
            row(out, "fingerprint", lm.fingerprint());
            row(out, "eos id", eos);
            row(out, "directory", lm.directory().toAbsolutePath());
        }
        out.flush();
        return 0;
    }

    private static void row(PrintWriter out, String key, Object value) {
        out.printf(Locale.ROOT, "%-16s %s%n", key + ":", value);
    }
}
