package dev.emend.association.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.emend.association.engine.AdapterTarget;
import dev.emend.association.engine.AdapterTraining;
import dev.emend.association.engine.TargetBatch;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.List;
import java.util.Random;

/**
 * Trains one LoRA adapter for a ledger unit (one request or a batch) over the space's current
 * state (earlier adapters and memories stay frozen in the forward): A drawn like PEFT's
 * Kaiming-uniform (bound 1/√in, seeded), B = 0, then {@link AdapterTraining} (Adam, {@code lr},
 * at most {@code num_steps} steps, stop once the loss is below 1e-2) on FT-M's objective.
 * Targets are EasyEdit's {@code target_modules} names in {@code layers} (empty = every layer).
 *
 * <p>Deviations: no dropout on the adapter input (lora_dropout is not offered: edits must be
 * reproducible); AdaLoRA's adaptive rank (EasyEdit's gpt2-xl {@code lora_type}) is the separate
 * AdaLoRA method.
 */
public final class LoraEditor {
    private final LanguageModel lm;

    public LoraEditor(LanguageModel lm) {
        this.lm = lm;
    }

    /** The targets named by the hparams, validated against the model. */
    public List<AdapterTarget> targets(Hparams hp) {
        return AdapterTarget.resolve(lm, hp.getIntList("layers"), hp.getStringList("target_modules"));
    }

    /** Trains the adapter for {@code requests} on {@code view}; returns its payload bytes. */
    public byte[] compute(ModelView view, Hparams hp, List<EditRequest> requests, double[] diagnostics) {
        List<AdapterTarget> targets = targets(hp);
        int rank = hp.getInt("rank");
        double scale = hp.getDouble("lora_alpha") / rank;
        int nt = targets.size();
        float[][] params = new float[2 * nt][];
        Random rnd = new Random(hp.getInt("seed"));
        for (int i = 0; i < nt; i++) {
            AdapterTarget t = targets.get(i);
            float[] a = new float[t.in() * rank];
            double bound = 1 / Math.sqrt(t.in());
            for (int k = 0; k < a.length; k++) {
                a[k] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
            }
            params[2 * i] = a;
            params[2 * i + 1] = new float[rank * t.out()];
        }
        AdapterTraining.Parametrisation lora = new AdapterTraining.Parametrisation() {
            @Override
            public float[][] parameters() {
                return params;
            }

            @Override
            public Shape shape(int k) {
                AdapterTarget t = targets.get(k / 2);
                return k % 2 == 0 ? new Shape(t.in(), rank) : new Shape(rank, t.out());
            }

            @Override
            public NDArray delta(int t, NDArray x, NDArray[] p) {
                return LoraAdapter.delta(x, p[2 * t], p[2 * t + 1], scale);
            }
        };
        AdapterTraining.train(lm, view, targets, TargetBatch.ofRequests(lm, requests), lora,
                hp.getDouble("lr"), hp.getInt("num_steps"), "LoRA").into(diagnostics);
        float[][] a = new float[nt][];
        float[][] b = new float[nt][];
        for (int i = 0; i < nt; i++) {
            a[i] = params[2 * i];
            b[i] = params[2 * i + 1];
        }
        return LoraAdapter.pack(targets, a, b, rank, scale).toBytes();
    }
}
