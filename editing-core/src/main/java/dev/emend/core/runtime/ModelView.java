package dev.emend.core.runtime;

import dev.emend.core.model.Hooks;
import dev.emend.core.model.Weights;

/**
 * What one forward pass runs on: a weight view (base or a space's overlay) and the hooks of
 * that space (adapters, codebooks) plus any the request adds.
 */
public record ModelView(Weights weights, Hooks hooks) {
    public ModelView withHooks(Hooks extra) {
        return new ModelView(weights, hooks.with(extra));
    }
}
