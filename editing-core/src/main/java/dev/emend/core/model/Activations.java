package dev.emend.core.model;

import ai.djl.ndarray.NDArray;

/**
 * The MLP activations of the supported families, by their Hugging Face {@code ACT2FN} names:
 * {@code gelu_new}/{@code gelu_pytorch_tanh} (tanh approximation: GPT-2, GPT-J), {@code gelu}
 * (exact, erf), {@code silu} (Llama-style gates). An unknown name is refused naming the field.
 */
public final class Activations {
    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);

    private Activations() {
    }

    /** Checks {@code name} is one of {@code supported}; the error names the family and field. */
    public static String require(String family, String field, String name, String... supported) {
        for (String s : supported) {
            if (s.equals(name)) {
                return name;
            }
        }
        ModelConfig.refuse(family, field, "'" + name + "'", "supported: " + String.join(", ", supported));
        return name;
    }

    public static NDArray apply(String name, NDArray x) {
        return switch (name) {
            case "gelu_new", "gelu_pytorch_tanh" -> geluTanh(x);
            case "gelu" -> x.mul(Scalars.mul(Scalars.mul(x, 1 / Math.sqrt(2)).erf().add(1f), 0.5));
            case "silu" -> x.mul(ai.djl.nn.Activation.sigmoid(x));
            default -> throw new IllegalArgumentException("activation '" + name + "' is not implemented");
        };
    }

    /** GPT-2's "gelu_new": the tanh approximation of GELU. */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = Scalars.mul(Scalars.mul(x.add(Scalars.mul(x.mul(x).mul(x), 0.044715)), GELU_C).tanh().add(1f), 0.5);
        return x.mul(inner);
    }
}
