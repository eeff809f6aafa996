package dev.emend.mastery.mend;

import dev.emend.core.edit.EditException;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.safetensors.SafetensorsFile;
import dev.emend.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trained MEND editor on disk: one safetensors file holding the networks' parameters, the running
 * statistics (float32) and the learned edit learning rates; its metadata holds the model fingerprint
 * ({@link LanguageModel#fingerprint()}, the one {@code Checkpoints} computes), the structural hparams,
 * the training steps taken and what it was trained on. The default place is
 * {@code <model-dir>/mend/<name>.safetensors} (the checkpoint fingerprint only reads the directory's own
 * {@code *.safetensors}, so the subdirectory does not change it). Writes go to a temporary sibling
 * that is then moved into place, so an interrupted training never leaves a truncated editor.
 */
public final class MendEditorFile {
    public static final String KIND = "emend.mend_editor/1";
    /** The command that makes an editor, for error messages. */
    public static final String TRAIN_COMMAND = "./emend train-mend";

    private MendEditorFile() {
    }

    /** Where the editor called {@code editor} lives: a path when it contains a separator or ends in .safetensors. */
    public static Path resolve(LanguageModel lm, String editor) {
        if (editor.contains("/") || editor.contains("\\") || editor.endsWith(".safetensors")) {
            return Path.of(editor).toAbsolutePath().normalize();
        }
        return lm.directory().resolve("mend").resolve(editor + ".safetensors");
    }

    /** Writes the editor with {@code info} (training notes) in its metadata. */
    public static void write(Path file, LanguageModel lm, MendNetwork net, Map<String, String> info) {
        write(file, lm.fingerprint(), lm.directory().getFileName().toString(), net, info);
    }

    /** Writes the editor as trained for the model with {@code fingerprint} (tests write mismatched ones). */
    static void write(Path file, String fingerprint, String modelDir, MendNetwork net, Map<String, String> info) {
        Map<String, SafetensorsWriter.FloatTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : net.params().entrySet()) {
            tensors.put(e.getKey(), new SafetensorsWriter.FloatTensor(e.getValue(), net.shape(e.getKey())));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("kind", KIND);
        meta.put("fingerprint", fingerprint);
        meta.put("model_dir", modelDir);
        meta.putAll(net.hyperParams().structure());
        meta.put("steps", Long.toString(net.steps()));
        for (int g = 0; g < net.groups(); g++) {
            MendNetwork.Stats s = net.stats(g);
            meta.put("g" + g + ".k", Long.toString(s.k));
            tensors.put("g" + g + ".u_mean", vector(s.uMean));
            tensors.put("g" + g + ".u_s", vector(s.uS));
            tensors.put("g" + g + ".v_mean", vector(s.vMean));
            tensors.put("g" + g + ".v_s", vector(s.vS));
        }
        meta.putAll(info);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            // The writer writes a temporary sibling and moves it into place (atomic where the file system allows).
            SafetensorsWriter.writeFloats(file, tensors, meta, SafetensorsWriter.Precision.F32);
            readableByAll(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the MEND editor: " + e.getMessage(), e);
        }
    }

    /** The temporary file is created owner-only; a service running as another user must be able to read the editor. */
    private static void readableByAll(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its default permissions apply
        }
    }

    private static SafetensorsWriter.FloatTensor vector(double[] d) {
        return new SafetensorsWriter.FloatTensor(MendNetwork.toFloat(d), new long[] {d.length});
    }

    /**
     * Reads the editor at {@code file} for {@code lm} with structure {@code hp}: FAILED_PRECONDITION
     * (naming the command that trains one) when it is missing, was trained for another model, or with
     * other structural hparams.
     */
    public static MendNetwork read(Path file, LanguageModel lm, MendHyperParams hp) {
        String retrain = TRAIN_COMMAND + " --model " + lm.directory() + (file.equals(resolve(lm, "default")) ? ""
                : " --out " + file);
        if (!Files.isRegularFile(file)) {
            throw EditException.precondition("hparams.editor", "no trained MEND editor at " + file
                    + ": MEND edits with a network trained for this model; train it with `" + retrain + "`");
        }
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            Map<String, String> meta = sf.metadata();
            if (!KIND.equals(meta.get("kind"))) {
                throw EditException.precondition("hparams.editor", file + " is not a MEND editor (kind '" + meta.get("kind")
                        + "'); retrain with `" + retrain + "`");
            }
            if (!lm.fingerprint().equals(meta.get("fingerprint"))) {
                throw EditException.precondition("hparams.editor", "the MEND editor " + file + " was trained for model "
                        + meta.get("fingerprint") + " (" + meta.get("model_dir") + ") but the served model is "
                        + lm.fingerprint() + ": retrain it with `" + retrain + "`");
            }
            for (Map.Entry<String, String> e : hp.structure().entrySet()) {
                if (!e.getValue().equals(meta.get(e.getKey()))) {
                    throw EditException.precondition("hparams." + e.getKey(), "the MEND editor " + file + " was trained with "
                            + e.getKey() + " = " + meta.get(e.getKey()) + ", not " + e.getValue() + ": pass "
                            + e.getKey() + " = " + meta.get(e.getKey()) + " or retrain with `" + retrain + "`");
                }
            }
            MendNetwork net = MendNetwork.layout(lm.model(), hp);
            for (String name : MendNetwork.initial(lm.model(), withRank1(hp)).params().keySet()) {
                if (!sf.names().contains(name)) {
                    throw EditException.precondition("hparams.editor", file + " lacks tensor '" + name + "'; retrain with `"
                            + retrain + "`");
                }
                net.put(name, sf.loadFloats(name), sf.info(name).shape());
            }
            for (int g = 0; g < net.groups(); g++) {
                MendNetwork.Stats s = net.stats(g);
                s.k = Long.parseLong(meta.getOrDefault("g" + g + ".k", "0"));
                copy(sf.loadFloats("g" + g + ".u_mean"), s.uMean);
                copy(sf.loadFloats("g" + g + ".u_s"), s.uS);
                copy(sf.loadFloats("g" + g + ".v_mean"), s.vMean);
                copy(sf.loadFloats("g" + g + ".v_s"), s.vS);
            }
            net.steps(Long.parseLong(meta.getOrDefault("steps", "0")));
            return net;
        } catch (IOException e) {
            throw EditException.precondition("hparams.editor", file + ": unreadable MEND editor (" + e.getMessage()
                    + "); retrain with `" + retrain + "`");
        }
    }

    /** The metadata of an editor file (for reports). */
    public static Map<String, String> metadata(Path file) {
        try (SafetensorsFile sf = SafetensorsFile.open(file)) {
            return sf.metadata();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Same structure with rank 1: cheap to build, used only for the parameter names. */
    private static MendHyperParams withRank1(MendHyperParams hp) {
        return new MendHyperParams(hp.layers(), hp.projections(), hp.nHidden(), 1, hp.init(), hp.norm(), hp.shared(),
                hp.editLr(), hp.lr(), hp.lrLr(), hp.lrScale(), hp.cedit(), hp.cloc(), hp.maxIters(), hp.accumulateBs(),
                hp.gradClip(), hp.seed(), hp.valInterval(), hp.valSteps(), hp.editor());
    }

    private static void copy(float[] from, double[] to) {
        if (from.length != to.length) {
            throw new IllegalStateException("statistics of length " + from.length + ", expected " + to.length);
        }
        for (int i = 0; i < to.length; i++) {
            to[i] = from[i];
        }
    }
}
