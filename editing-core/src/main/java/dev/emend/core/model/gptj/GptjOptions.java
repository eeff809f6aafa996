package dev.emend.core.model.gptj;

import dev.emend.core.model.FamilyOptions;

/** What only GPT-J has: rotary embedding on the first {@code rotaryDim} features of each head, and its MLP activation. */
public record GptjOptions(int rotaryDim, String activation) implements FamilyOptions {}
