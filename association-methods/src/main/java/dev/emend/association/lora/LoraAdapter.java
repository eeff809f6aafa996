package dev.emend.association.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
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
public final class LoraAdapter implements LayerHook, AutoCloseable {
    /** One adapted projection. */
    public record Target(int layer, Projection projection, float[] a, float[] b, int in, int out) {}

    private final List<Target> targets;
    private final int rank;
    private final double scale;
    private final NDArray[] as;
    private final NDArray[] bs;
    private final NDManager manager;

    public LoraAdapter(List<Target> targets, int rank, double scale, NDManager parent) {
        this.targets = List.copyOf(targets);
        this.rank = rank;
        this.scale = scale;
        this.manager = parent.newSubManager();
        this.as = new NDArray[targets.size()];
        this.bs = new NDArray[targets.size()];
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            as[i] = manager.create(t.a(), new Shape(t.in(), rank));
            bs[i] = manager.create(t.b(), new Shape(rank, t.out()));
            ai.djl.ndarray.NDScope.unregister(as[i], bs[i]);
        }
    }

    /** The (x·A)·B·scale term, shared by inference and training. */
    static NDArray delta(NDArray x, NDArray a, NDArray b, double scale) {
        return Scalars.mul(x.matMul(a).matMul(b), scale);
    }

    @Override
    public NDArray projection(int layer, Projection projection, NDArray input, NDArray output, HookContext ctx) {
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            if (t.layer() == layer && t.projection() == projection) {
                output = output.add(delta(input, as[i], bs[i], scale));
            }
        }
        return output;
    }

    public List<Target> targets() {
        return targets;
    }

    public int rank() {
        return rank;
    }

    public double scale() {
        return scale;
    }

    public long footprintBytes() {
        long n = 0;
        for (Target t : targets) {
            n += (long) (t.in() + t.out()) * rank;
        }
        return 4 * n;
    }

    public TensorPack toPack() {
        TensorPack p = new TensorPack().put("method", "LoRA").put("rank", rank).put("scale", scale).put("targets", targets.size());
        for (int i = 0; i < targets.size(); i++) {
            Target t = targets.get(i);
            String k = t.layer() + "." + t.projection().name();
            p.put("target." + i, k);
            p.tensor(k + ".A", t.a(), t.in(), rank);
            p.tensor(k + ".B", t.b(), rank, t.out());
        }
        return p;
    }

    public static LoraAdapter fromPack(TensorPack p, NDManager parent) {
        int rank = p.getInt("rank");
        double scale = p.getDouble("scale");
        List<Target> ts = new ArrayList<>();
        for (int i = 0; i < p.getInt("targets"); i++) {
            String k = p.get("target." + i);
            int dot = k.indexOf('.');
            TensorPack.Tensor a = p.tensor(k + ".A");
            TensorPack.Tensor b = p.tensor(k + ".B");
            ts.add(new Target(Integer.parseInt(k.substring(0, dot)), Projection.valueOf(k.substring(dot + 1)), a.values(), b.values(),
                    a.shape()[0], b.shape()[1]));
        }
        return new LoraAdapter(ts, rank, scale, parent);
    }

    @Override
    public void close() {
        manager.close();
    }
}
