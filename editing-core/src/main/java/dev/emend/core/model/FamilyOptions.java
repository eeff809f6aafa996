package dev.emend.core.model;

/**
 * The part of a {@link ModelConfig} that only one family (or one group of families) has, as that
 * family's own record: e.g. {@code gptj.GptjOptions} ({@code rotary_dim}) or
 * {@code llama.LlamaStyleOptions} (biases, q/k norms, sliding window, rope scaling). Families
 * read theirs with {@link ModelConfig#options(Class)}.
 */
public interface FamilyOptions {
    /** No options: the family is fully described by the common numbers (GPT-2). */
    FamilyOptions NONE = new FamilyOptions() {
        @Override
        public String toString() {
            return "none";
        }
    };
}
