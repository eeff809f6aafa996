package dev.emend.core.model;

/**
 * One linear map of the model: the tensor names of its weight (and bias, or null) and how the
 * weight is laid out. {@code inFeatures}/{@code outFeatures} are the mathematical sizes.
 */
public record LinearRef(String weight, String bias, WeightLayout layout, int inFeatures, int outFeatures) {}
