package dev.emend.core.model;

/**
 * What a hook may need to know about the forward call it sits in: batch size, the number of
 * new positions and how many cached positions precede them (so a hook can find "the last
 * prompt token" or "the subject's last token" in absolute terms during KV-cached generation).
 */
public record HookContext(int batchSize, int newTokens, int pastLength) {}
