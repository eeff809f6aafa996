package dev.emend.mastery.rome;

import dev.emend.core.model.WeightLayout;

/**
 * A ROME edit in compact form. In math orientation (W maps a key k of size d_ff to a value of
 * size d_model) the edit is ΔW = right · leftᵀ, so the edited layer gives
 * W' k = W k + right · (left · k). {@code left} is the unit vector u/‖u‖ with u = C⁻¹k* (key
 * space, d_ff); {@code right} is ((v₀+δ) − (W k + b)) / (k · left) (value space, d_model), with
 * k = {@link #key}. Storage: GPT-2's Conv1D keeps W as [d_ff, d_model] ({@code IN_OUT}), so the
 * stored delta is left ⊗ right; Llama's Linear keeps [d_model, d_ff] ({@code OUT_IN}), right ⊗ left.
 *
 * @param key the key the update is solved for: the bare prompt's (ROME) or the prefix average (R-ROME)
 * @param targetValue v₀ + δ: what the edited layer outputs (bias included) for {@link #key}
 * @param steps δ optimisation iterations run
 * @param finalLoss NLL + KL + weight decay at the last iteration
 * @param targetProbability mean probability of the target over the rewriting prompts at the end
 */
public record RomeUpdate(String method, int layer, String weightName, WeightLayout layout, float[] left, float[] right,
                         float[] key, float[] targetValue, double deltaNorm, double valueNorm, int steps,
                         double finalLoss, double targetProbability) {}
