package dev.emend.core.trace;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;

/**
 * Attribution of p(answer) to the MLP neurons, on the clean prompt. A neuron is one unit of an
 * MLP's hidden layer (the d_ff "keys" k entering the down-projection W_out). Its attribution is
 * the first-order estimate of what p(answer) loses when the neuron is silenced, summed over the
 * prompt's positions:
 *
 * <pre>  attr(l, i) = Σ_t  k_{l,t,i} · ∂p(answer | prompt) / ∂k_{l,t,i}</pre>
 *
 * (activation × gradient, "attribution patching" against a zero baseline). One forward and one
 * backward pass per prompt, inside a {@link GradientSession}. The gradient is taken through a zero
 * tensor added to the keys, so the weights never need gradients.
 */
public final class NeuronAttribution {
    private NeuronAttribution() {
    }

    /** {@code [layer][neuron]} attributions for {@code ids} with {@code answer} read at the last position. */
    public static float[][] attribute(LanguageModel lm, ModelView view, int[] ids, int answer) {
        int layers = lm.config().numLayers();
        int len = ids.length;
        long[] row = new long[len];
        for (int i = 0; i < len; i++) {
            row[i] = ids[i];
        }
        float[][] out = new float[layers][];
        try (GradientSession g = GradientSession.open();
             NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray[] zeros = new NDArray[layers];
            NDArray[] keys = new NDArray[layers];
            LayerHook probe = new LayerHook() {
                @Override
                public NDArray mlpKeys(int layer, NDArray k, HookContext ctx) {
                    NDArray z = m.zeros(k.getShape(), k.getDataType());
                    z.setRequiresGradient(true);
                    zeros[layer] = z;
                    keys[layer] = k.stopGradient();
                    return k.add(z);
                }
            };
            NDArray logits = lm.model().forward(m, view.weights(), ForwardInput.of(row), view.hooks().with(probe), null)
                    .logits();
            NDArray p = logits.get(0, len - 1).softmax(-1).get(answer);
            g.backward(p);
            for (int l = 0; l < layers; l++) {
                NDArray a = keys[l].mul(zeros[l].getGradient()).sum(new int[] {0, 1});
                out[l] = a.toFloatArray();
            }
        }
        return out;
    }

    /** Shape check helper for callers: {@code [layers][d_ff]}. */
    static Shape shape(float[][] a) {
        return new Shape(a.length, a.length == 0 ? 0 : a[0].length);
    }
}
