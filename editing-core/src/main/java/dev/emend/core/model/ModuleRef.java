package dev.emend.core.model;

/**
 * A linear module named by a user or a hyperparameter file, resolved by the family: its layer
 * ({@code -1} when only a short name such as {@code c_proj} was given) and its {@link Projection}.
 */
public record ModuleRef(int layer, Projection projection) {}
