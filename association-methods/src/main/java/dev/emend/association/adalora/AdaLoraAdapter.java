package dev.emend.association.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.association.engine.Adapter;
import dev.emend.association.engine.AdapterTarget;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Projection;
import dev.emend.core.model.Scalars;
import java.util.ArrayList;
import java.util.List;

/**
 * One AdaLoRA adapter over the frozen base: for each targeted projection the kept singular-value
 * triplets only (masked ones are dropped when the payload is written, so a matrix keeps its own
 * allocated rank k, possibly 0), out + s·((x·Qᵀ) ⊙ λ)·Pᵀ with P {@code [out, k]}, λ {@code [k]},
 * Q {@code [k, in]} and s = α/init_r. Arrays live under the state's manager; {@link #close} frees them.
 */
public final class AdaLoraAdapter implements Adapter {
    /** One adapted matrix's kept triplets (k = {@code lambda.length}). */
    public record Triplets(AdapterTarget target, float[] p, float[] lambda, float[] q) {
        public int rank() {
            return lambda.length;
        }
    }

    private final List<Triplets> triplets;
    private final double scale;
    private final NDManager manager;
    private final NDArray[][] arrays;

    private AdaLoraAdapter(List<Triplets> triplets, double scale, NDManager parent) {
        this.triplets = List.copyOf(triplets);
        this.scale = scale;
        this.manager = parent.newSubManager();
        this.arrays = new NDArray[triplets.size()][];
        for (int i = 0; i < triplets.size(); i++) {
            Triplets t = triplets.get(i);
            int k = t.rank();
            if (k == 0) {
                continue;
            }
            arrays[i] = new NDArray[] {manager.create(t.p(), new Shape(t.target().out(), k)), manager.create(t.lambda(), new Shape(k)),
                manager.create(t.q(), new Shape(k, t.target().in()))};
            NDScope.unregister(arrays[i]);
        }
    }

    /** s·((x·Qᵀ) ⊙ λ)·Pᵀ, shared by inference and training. */
    static NDArray delta(NDArray x, NDArray p, NDArray lambda, NDArray q, double scale) {
        return Scalars.mul(x.matMul(q.transpose()).mul(lambda).matMul(p.transpose()), scale);
    }

    @Override
    public NDArray projection(int layer, Projection projection, NDArray input, NDArray output, HookContext ctx) {
        for (int i = 0; i < triplets.size(); i++) {
            if (arrays[i] != null && triplets.get(i).target().matches(layer, projection)) {
                output = output.add(delta(input, arrays[i][0], arrays[i][1], arrays[i][2], scale));
            }
        }
        return output;
    }

    public List<Triplets> triplets() {
        return triplets;
    }

    public double scale() {
        return scale;
    }

    /** Kept triplets over all matrices. */
    public int totalRank() {
        return triplets.stream().mapToInt(Triplets::rank).sum();
    }

    /** k·(out + 1 + in) per matrix. */
    @Override
    public long parameterCount() {
        long n = 0;
        for (Triplets t : triplets) {
            n += (long) t.rank() * (t.target().out() + 1 + t.target().in());
        }
        return n;
    }

    @Override
    public long footprintBytes() {
        return 4 * parameterCount();
    }

    /** The ledger payload (Java arrays only; no native memory). */
    static TensorPack pack(List<Triplets> triplets, AdaLoraHparams hp) {
        TensorPack p = new TensorPack().put("method", "AdaLoRA").put("scale", hp.scale()).put("init_r", hp.initR())
                .put("target_r", hp.targetR()).put("targets", triplets.size());
        for (int i = 0; i < triplets.size(); i++) {
            Triplets t = triplets.get(i);
            String k = t.target().key();
            p.put("target." + i, k).put("rank." + i, t.rank()).put("in." + i, t.target().in()).put("out." + i, t.target().out());
            if (t.rank() > 0) {
                p.tensor(k + ".P", t.p(), t.target().out(), t.rank());
                p.tensor(k + ".E", t.lambda(), t.rank());
                p.tensor(k + ".Q", t.q(), t.rank(), t.target().in());
            }
        }
        return p;
    }

    public static AdaLoraAdapter fromPack(TensorPack p, NDManager parent) {
        if (!"AdaLoRA".equals(p.getOrDefault("method", ""))) {
            throw new IllegalArgumentException("not an AdaLoRA payload (method '" + p.getOrDefault("method", "?") + "')");
        }
        List<Triplets> ts = new ArrayList<>();
        for (int i = 0; i < p.getInt("targets"); i++) {
            String k = p.get("target." + i);
            AdapterTarget target = AdapterTarget.ofKey(k, p.getInt("in." + i), p.getInt("out." + i));
            if (p.getInt("rank." + i) == 0) {
                ts.add(new Triplets(target, new float[0], new float[0], new float[0]));
            } else {
                ts.add(new Triplets(target, p.tensor(k + ".P").values(), p.tensor(k + ".E").values(), p.tensor(k + ".Q").values()));
            }
        }
        return new AdaLoraAdapter(ts, p.getDouble("scale"), parent);
    }

    @Override
    public void close() {
        manager.close();
    }
}
