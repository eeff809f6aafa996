package dev.emend.recognition.retrieval;

/**
 * One retrieved document: its id, the normalised BM25 score (Lucene BM25 divided by the sum of the
 * query terms' idf, so in [0, 1): the share of the query's information the document matches), the
 * cosine of the centred model embeddings (in [-1, 1]) and their weighted fusion.
 */
public record Hit(String id, double bm25, double cosine, double fused) {}
