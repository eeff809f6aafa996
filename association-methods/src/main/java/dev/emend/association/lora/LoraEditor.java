package dev.emend.association.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.association.engine.TargetBatch;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.grad.Adam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Trains one LoRA adapter for a ledger unit (one request or a batch) over the space's current
 * state (earlier adapters and memories stay frozen in the forward): A drawn like PEFT's
 * Kaiming-uniform (bound 1/√in, seeded), B = 0, Adam ({@code lr}, at most {@code num_steps} steps,
 * stop once the loss is below 1e-2) on FT-M's objective, the teacher-forced cross-entropy over the
 * target tokens only. Targets are EasyEdit's {@code target_modules} names in {@code layers}
 * (empty = every layer).
 *
 * <p>Deviations: no dropout on the adapter input (lora_dropout is not offered: edits must be
 * reproducible); plain LoRA, not AdaLoRA's adaptive rank (EasyEdit's gpt2-xl default).
 */
public final class LoraEditor {
    static final double STOP_LOSS = 1e-2;

    private final LanguageModel lm;

    public LoraEditor(LanguageModel lm) {
        this.lm = lm;
    }

    /**
     * Maps an EasyEdit/PEFT module name (short, as {@code DecoderModel.shortModuleNames()} lists,
     * or full, as {@code DecoderModel.moduleName}) to a module of this model, by its family.
     */
    public ModuleRef module(String module) {
        try {
            return lm.model().resolveModule(module);
        } catch (IllegalArgumentException e) {
            throw EditException.invalid("hparams.target_modules", "unknown module: " + e.getMessage());
        }
    }

    /** The (layer, projection, ref) targets named by the hparams, validated against the model. */
    public List<Object[]> targets(Hparams hp) {
        List<Integer> layers = hp.getIntList("layers");
        int numLayers = lm.config().numLayers();
        List<Integer> ls = new ArrayList<>();
        if (layers.isEmpty()) {
            for (int l = 0; l < numLayers; l++) {
                ls.add(l);
            }
        } else {
            for (int i = 0; i < layers.size(); i++) {
                if (layers.get(i) >= numLayers) {
                    throw EditException.invalid("hparams.layers[" + i + "]", "layer " + layers.get(i) + " does not exist: the model has layers 0.."
                            + (numLayers - 1));
                }
                ls.add(layers.get(i));
            }
        }
        List<String> modules = hp.getStringList("target_modules");
        if (modules.isEmpty()) {
            throw EditException.invalid("hparams.target_modules", "name at least one module, e.g. "
                    + List.of(lm.model().shortModuleName(Projection.MLP_UP), lm.model().shortModuleName(Projection.MLP_DOWN)));
        }
        List<Object[]> out = new ArrayList<>();
        for (int l : ls) {
            for (String mod : modules) {
                ModuleRef named = module(mod);
                if (named.layer() >= 0 && named.layer() != l) {
                    continue; // a full module name targets its own layer only
                }
                Projection p = named.projection();
                LinearRef ref;
                try {
                    ref = lm.model().linear(l, p);
                } catch (IllegalArgumentException e) {
                    throw EditException.invalid("hparams.target_modules", "'" + mod + "': " + e.getMessage());
                }
                out.add(new Object[] {l, p, ref});
            }
        }
        if (out.isEmpty()) {
            throw EditException.invalid("hparams.target_modules", "the named modules " + modules + " lie outside hparams.layers " + ls);
        }
        return out;
    }

    /** Trains the adapter for {@code requests} on {@code view}; returns its payload bytes. */
    public byte[] compute(ModelView view, Hparams hp, List<EditRequest> requests, double[] diagnostics) {
        List<Object[]> targets = targets(hp);
        int rank = hp.getInt("rank");
        double scale = hp.getDouble("lora_alpha") / rank;
        List<String[]> pairs = new ArrayList<>();
        for (EditRequest r : requests) {
            pairs.add(new String[] {r.prompt(), r.targetNew()});
        }
        TargetBatch batch = TargetBatch.of(lm, pairs, List.of());
        int nt = targets.size();
        float[][] a = new float[nt][];
        float[][] b = new float[nt][];
        int[] ins = new int[nt];
        int[] outs = new int[nt];
        Random rnd = new Random(hp.getInt("seed"));
        Adam[] adamA = new Adam[nt];
        Adam[] adamB = new Adam[nt];
        for (int i = 0; i < nt; i++) {
            LinearRef ref = (LinearRef) targets.get(i)[2];
            ins[i] = ref.inFeatures();
            outs[i] = ref.outFeatures();
            a[i] = new float[ins[i] * rank];
            double bound = 1 / Math.sqrt(ins[i]);
            for (int k = 0; k < a[i].length; k++) {
                a[i][k] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
            b[i] = new float[rank * outs[i]];
            adamA[i] = new Adam(a[i].length, hp.getDouble("lr"));
            adamB[i] = new Adam(b[i].length, hp.getDouble("lr"));
        }
        int steps = 0;
        double first = Double.NaN;
        double last = Double.NaN;
        try (GradientSession g = GradientSession.open()) {
            for (int it = 0; it < hp.getInt("num_steps"); it++) {
                float[][] ga = new float[nt][];
                float[][] gb = new float[nt][];
                try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                    NDArray[] la = new NDArray[nt];
                    NDArray[] lb = new NDArray[nt];
                    for (int i = 0; i < nt; i++) {
                        la[i] = m.create(a[i], new Shape(ins[i], rank));
                        lb[i] = m.create(b[i], new Shape(rank, outs[i]));
                        la[i].setRequiresGradient(true);
                        lb[i].setRequiresGradient(true);
                    }
                    LayerHook train = new LayerHook() {
                        @Override
                        public NDArray projection(int layer, Projection p, NDArray in, NDArray out, HookContext ctx) {
                            for (int i = 0; i < nt; i++) {
                                if ((int) targets.get(i)[0] == layer && targets.get(i)[1] == p) {
                                    out = out.add(LoraAdapter.delta(in, la[i], lb[i], scale));
                                }
                            }
                            return out;
                        }
                    };
                    NDArray logits = lm.model().forward(m, view.weights(), batch.input(), view.hooks().with(train), null).logits();
                    NDArray loss = batch.targetLoss(m, logits);
                    double lv = loss.getFloat();
                    if (!Double.isFinite(lv)) {
                        throw new IllegalStateException("LoRA training diverged (loss " + lv + "); lower lr");
                    }
                    if (it == 0) {
                        first = lv;
                    }
                    last = lv;
                    if (lv < STOP_LOSS) {
                        break;
                    }
                    g.zeroGradients();
                    g.backward(loss);
                    for (int i = 0; i < nt; i++) {
                        ga[i] = la[i].getGradient().toFloatArray();
                        gb[i] = lb[i].getGradient().toFloatArray();
                    }
                }
                for (int i = 0; i < nt; i++) {
                    adamA[i].step(a[i], ga[i]);
                    adamB[i].step(b[i], gb[i]);
                }
                steps++;
            }
        }
        if (diagnostics != null) {
            diagnostics[0] = steps;
            diagnostics[1] = first;
            diagnostics[2] = last;
        }
        List<LoraAdapter.Target> ts = new ArrayList<>();
        for (int i = 0; i < nt; i++) {
            ts.add(new LoraAdapter.Target((int) targets.get(i)[0], (Projection) targets.get(i)[1], a[i], b[i], ins[i], outs[i]));
        }
        // The pack is built from Java arrays only; no native memory is held here.
        dev.emend.association.engine.TensorPack p = new dev.emend.association.engine.TensorPack().put("method", "LoRA")
                .put("rank", rank).put("scale", scale).put("targets", nt);
        for (int i = 0; i < nt; i++) {
            LoraAdapter.Target t = ts.get(i);
            String k = t.layer() + "." + t.projection().name();
            p.put("target." + i, k);
            p.tensor(k + ".A", t.a(), t.in(), rank);
            p.tensor(k + ".B", t.b(), rank, t.out());
        }
        return p.toBytes();
    }
}
