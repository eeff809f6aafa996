package dev.emend.association.lora;

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
 * One low-rank adapter (Hu et al. 2021) over the frozen base: for each targeted projection,
 * out + (α/r)·(x·A)·B with A {@code [in, r]} and B {@code [r, out]} (math orientation, whatever
 * the checkpoint's layout). Its arrays live under the state's manager; {@link #close} frees them
 * (rollback = the space is rebuilt without this adapter).
 */
public final class LoraAdapter implements Adapter {
    private final List<AdapterTarget> targets;
    private final int rank;
    private final double scale;
    private final NDArray[] as;
    private final NDArray[] bs;
    private final NDManager manager;

    private LoraAdapter(List<AdapterTarget> targets, float[][] a, float[][] b, int rank, double scale, NDManager parent) {
        this.targets = List.copyOf(targets);
        this.rank = rank;
        this.scale = scale;
        this.manager = parent.newSubManager();
        this.as = new NDArray[targets.size()];
        this.bs = new NDArray[targets.size()];
        for (int i = 0; i < targets.size(); i++) {
            AdapterTarget t = targets.get(i);
            as[i] = manager.create(a[i], new Shape(t.in(), rank));
            bs[i] = manager.create(b[i], new Shape(rank, t.out()));
            NDScope.unregister(as[i], bs[i]);
        }
    }

    /** The (x·A)·B·scale term, shared by inference and training. */
    static NDArray delta(NDArray x, NDArray a, NDArray b, double scale) {
        return Scalars.mul(x.matMul(a).matMul(b), scale);
    }

    @Override
    public NDArray projection(int layer, Projection projection, NDArray input, NDArray output, HookContext ctx) {
        for (int i = 0; i < targets.size(); i++) {
            if (targets.get(i).matches(layer, projection)) {
                output = output.add(delta(input, as[i], bs[i], scale));
            }
        }
        return output;
    }

    public List<AdapterTarget> targets() {
        return targets;
    }

    public int rank() {
        return rank;
    }

    public double scale() {
        return scale;
    }

    @Override
    public long parameterCount() {
        return parameterCount(targets, rank);
    }

    /** r·(in + out) per target: the parameters of a rank-r LoRA over {@code targets}. */
    public static long parameterCount(List<AdapterTarget> targets, int rank) {
        long n = 0;
        for (AdapterTarget t : targets) {
            n += (long) (t.in() + t.out()) * rank;
        }
        return n;
    }

    @Override
    public long footprintBytes() {
        return 4 * parameterCount();
    }

    /** The ledger payload of a trained adapter (Java arrays only; no native memory). */
    static TensorPack pack(List<AdapterTarget> targets, float[][] a, float[][] b, int rank, double scale) {
        TensorPack p = new TensorPack().put("method", "LoRA").put("rank", rank).put("scale", scale).put("targets", targets.size());
        for (int i = 0; i < targets.size(); i++) {
            AdapterTarget t = targets.get(i);
            p.put("target." + i, t.key());
            p.tensor(t.key() + ".A", a[i], t.in(), rank);
            p.tensor(t.key() + ".B", b[i], rank, t.out());
        }
        return p;
    }

    public static LoraAdapter fromPack(TensorPack p, NDManager parent) {
        int rank = p.getInt("rank");
        int n = p.getInt("targets");
        List<AdapterTarget> ts = new ArrayList<>();
        float[][] a = new float[n][];
        float[][] b = new float[n][];
        for (int i = 0; i < n; i++) {
            String k = p.get("target." + i);
            TensorPack.Tensor ta = p.tensor(k + ".A");
            TensorPack.Tensor tb = p.tensor(k + ".B");
            ts.add(AdapterTarget.ofKey(k, ta.shape()[0], tb.shape()[1]));
            a[i] = ta.values();
            b[i] = tb.values();
        }
        return new LoraAdapter(ts, a, b, rank, p.getDouble("scale"), parent);
    }

    @Override
    public void close() {
        manager.close();
    }
}
