package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An ordered registry of {@link LayerHook}s applied in turn at every hook point. A space keeps its
 * adapters and interceptors here; a request may add temporary ones with {@link #with}. Immutable:
 * adding returns a new registry, so concurrent readers never see a half-built list.
 */
public final class Hooks {
    public static final Hooks NONE = new Hooks(List.of());

    private final List<LayerHook> hooks;

    private Hooks(List<LayerHook> hooks) {
        this.hooks = hooks;
    }

    public static Hooks of(LayerHook... hooks) {
        return new Hooks(List.of(hooks));
    }

    public Hooks with(LayerHook hook) {
        List<LayerHook> copy = new ArrayList<>(hooks);
        copy.add(hook);
        return new Hooks(Collections.unmodifiableList(copy));
    }

    public Hooks with(Hooks other) {
        List<LayerHook> copy = new ArrayList<>(hooks);
        copy.addAll(other.hooks);
        return new Hooks(Collections.unmodifiableList(copy));
    }

    public boolean isEmpty() {
        return hooks.isEmpty();
    }

    public List<LayerHook> list() {
        return hooks;
    }

    public NDArray embeddings(NDArray x, HookContext c) {
        for (LayerHook h : hooks) {
            x = h.embeddings(x, c);
        }
        return x;
    }

    public NDArray attentionOutput(int l, NDArray x, HookContext c) {
        for (LayerHook h : hooks) {
            x = h.attentionOutput(l, x, c);
        }
        return x;
    }

    public NDArray mlpKeys(int l, NDArray x, HookContext c) {
        for (LayerHook h : hooks) {
            x = h.mlpKeys(l, x, c);
        }
        return x;
    }

    public NDArray mlpOutput(int l, NDArray keys, NDArray x, HookContext c) {
        for (LayerHook h : hooks) {
            x = h.mlpOutput(l, keys, x, c);
        }
        return x;
    }

    public NDArray blockOutput(int l, NDArray x, HookContext c) {
        for (LayerHook h : hooks) {
            x = h.blockOutput(l, x, c);
        }
        return x;
    }

    public NDArray projection(int l, Projection p, NDArray in, NDArray out, HookContext c) {
        for (LayerHook h : hooks) {
            out = h.projection(l, p, in, out, c);
        }
        return out;
    }
}
