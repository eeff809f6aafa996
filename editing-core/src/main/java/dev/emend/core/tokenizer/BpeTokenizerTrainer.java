package dev.emend.core.tokenizer;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Learns a GPT-2-style byte-level BPE tokenizer from a corpus and writes it as a Hugging Face
 * {@code tokenizer.json}. Documents are split with GPT-2's pre-tokenization regex, mapped through
 * GPT-2's bytes-to-unicode table (a leading space becomes {@code 'Ġ'}), and the most frequent
 * adjacent symbol pair is merged repeatedly until the vocabulary (256 byte symbols + merged tokens
 * + {@value #END_OF_TEXT}) reaches the target size or no pair occurs at least
 * {@link #minPairFrequency(int) minPairFrequency} times. Ties are broken by the pair's token strings
 * (lexicographically smallest left, then right), so the same corpus always yields byte-identical
 * output regardless of document order. The written file loads through the same DJL
 * {@code HuggingFaceTokenizer} code path as a real GPT-2 checkpoint; see {@link TextTokenizer}.
 */
public final class BpeTokenizerTrainer {

    /** GPT-2's end-of-text special token; it always gets the last id, like GPT-2's 50256. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private static final Pattern END_OF_TEXT_SPLIT = Pattern.compile(Pattern.quote(END_OF_TEXT));

    private final int vocabSize;
    private int minPairFrequency = 2;

    private BpeTokenizerTrainer(int vocabSize) {
        // 256 byte symbols + the special token is the smallest vocabulary that covers all text.
        if (vocabSize < 257) {
            throw new IllegalArgumentException("vocabSize must be at least 257 (256 bytes + "
                    + END_OF_TEXT + "), got " + vocabSize);
        }
        this.vocabSize = vocabSize;
    }

    /** A trainer aiming for {@code vocabSize} ids in total, including {@value #END_OF_TEXT}. */
    public static BpeTokenizerTrainer withVocabSize(int vocabSize) {
        return new BpeTokenizerTrainer(vocabSize);
    }

    /**
     * Pairs seen fewer times than this are never merged (default 2): a merge that fires once only
     * memorises one word and wastes an embedding row. Training may then stop below the target size.
     */
    public BpeTokenizerTrainer minPairFrequency(int minPairFrequency) {
        if (minPairFrequency < 1) {
            throw new IllegalArgumentException("minPairFrequency must be >= 1");
        }
        this.minPairFrequency = minPairFrequency;
        return this;
    }

    /** Trains on the documents and writes {@code tokenizer.json} into {@code dir} (created). */
    public Path trainAndWrite(Iterable<String> documents, Path dir) throws IOException {
        return train(documents).writeTo(dir);
    }

    /** Learns the merges; the corpus is read once. */
    public Result train(Iterable<String> documents) {
        Objects.requireNonNull(documents, "documents");
        // Distinct pre-tokens (as byte symbols) with their frequencies. A TreeMap gives a
        // deterministic word order, which keeps the run reproducible independent of hashing.
        Map<String, Long> wordCounts = new HashMap<>();
        for (String doc : documents) {
            if (doc == null || doc.isEmpty()) {
                continue;
            }
            // At run time Hugging Face cuts added tokens out before pre-tokenizing, so the literal
            // special token must not contribute merges here either.
            for (String part : END_OF_TEXT_SPLIT.split(doc)) {
                for (String word : ByteLevel.preTokenize(part)) {
                    wordCounts.merge(ByteLevel.toSymbols(word), 1L, Long::sum);
                }
            }
        }
        TreeMap<String, Long> sortedWords = new TreeMap<>(wordCounts);

        List<String> idToToken = new ArrayList<>(ByteLevel.baseSymbols());
        Map<String, Integer> tokenToId = new HashMap<>();
        for (int i = 0; i < idToToken.size(); i++) {
            tokenToId.put(idToToken.get(i), i);
        }

        int nWords = sortedWords.size();
        int[][] words = new int[nWords][];
        long[] freq = new long[nWords];
        int w = 0;
        for (Map.Entry<String, Long> e : sortedWords.entrySet()) {
            String sym = e.getKey();
            int[] ids = new int[sym.length()];
            for (int i = 0; i < sym.length(); i++) {
                ids[i] = tokenToId.get(String.valueOf(sym.charAt(i)));
            }
            words[w] = ids;
            freq[w] = e.getValue();
            w++;
        }

        // Incremental pair statistics: counts plus an index of which words contain each pair, so a
        // merge only revisits the words it touches instead of rescanning the corpus.
        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, Set<Integer>> pairWords = new HashMap<>();
        for (int i = 0; i < nWords; i++) {
            addPairs(words[i], freq[i], i, pairCounts, pairWords, null);
        }

        // Max-heap with lazy invalidation: an entry is live only if its count is still current.
        PriorityQueue<Candidate> heap = new PriorityQueue<>((x, y) -> {
            int c = Long.compare(y.count(), x.count());
            if (c != 0) {
                return c;
            }
            c = idToToken.get(x.left()).compareTo(idToToken.get(y.left()));
            if (c != 0) {
                return c;
            }
            return idToToken.get(x.right()).compareTo(idToToken.get(y.right()));
        });
        for (Map.Entry<Long, Long> e : pairCounts.entrySet()) {
            heap.add(new Candidate(e.getKey(), e.getValue()));
        }

        List<String[]> merges = new ArrayList<>();
        Set<Long> mergedKeys = new HashSet<>();
        int target = vocabSize - 1; // last id is reserved for END_OF_TEXT
        while (idToToken.size() < target && !heap.isEmpty()) {
            Candidate best = heap.poll();
            Long current = pairCounts.get(best.key());
            if (current == null || current != best.count()) {
                continue; // stale entry
            }
            if (best.count() < minPairFrequency) {
                break;
            }
            int a = best.left();
            int b = best.right();
            String merged = idToToken.get(a) + idToToken.get(b);
            // Two different pairs can spell the same string ("a"+"bc", "ab"+"c"); like the HF
            // trainer we keep both merges but one vocabulary entry.
            Integer existing = tokenToId.get(merged);
            int c;
            if (existing != null) {
                c = existing;
            } else {
                c = idToToken.size();
                idToToken.add(merged);
                tokenToId.put(merged, c);
            }
            // A pair can reappear after its merge only through a reused id (see above); encoding
            // would apply the existing rule again, so re-apply it to the words without listing it twice.
            if (mergedKeys.add(best.key())) {
                merges.add(new String[] {idToToken.get(a), idToToken.get(b)});
            }

            Set<Long> touched = new HashSet<>();
            Set<Integer> holders = pairWords.remove(best.key());
            List<Integer> order = new ArrayList<>(holders);
            Collections.sort(order);
            for (int wi : order) {
                int[] old = words[wi];
                int[] updated = mergeWord(old, a, b, c);
                if (updated == old) {
                    continue; // index entry was stale
                }
                removePairs(old, freq[wi], pairCounts, touched);
                words[wi] = updated;
                addPairs(updated, freq[wi], wi, pairCounts, pairWords, touched);
            }
            pairCounts.remove(best.key());
            for (long key : touched) {
                Long cnt = pairCounts.get(key);
                if (cnt != null && cnt > 0) {
                    heap.add(new Candidate(key, cnt));
                }
            }
        }

        int eosId = idToToken.size();
        idToToken.add(END_OF_TEXT);
        return new Result(idToToken, merges, eosId);
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private static void addPairs(int[] sym, long f, int wordIndex, Map<Long, Long> counts,
            Map<Long, Set<Integer>> index, Set<Long> touched) {
        for (int i = 0; i + 1 < sym.length; i++) {
            long k = key(sym[i], sym[i + 1]);
            counts.merge(k, f, Long::sum);
            index.computeIfAbsent(k, x -> new HashSet<>()).add(wordIndex);
            if (touched != null) {
                touched.add(k);
            }
        }
    }

    private static void removePairs(int[] sym, long f, Map<Long, Long> counts, Set<Long> touched) {
        for (int i = 0; i + 1 < sym.length; i++) {
            long k = key(sym[i], sym[i + 1]);
            long left = counts.getOrDefault(k, 0L) - f;
            if (left <= 0) {
                counts.remove(k);
            } else {
                counts.put(k, left);
            }
            touched.add(k);
        }
    }

    /** Left-to-right non-overlapping replacement of (a, b) by c; returns {@code sym} if absent. */
    private static int[] mergeWord(int[] sym, int a, int b, int c) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < sym.length; i++) {
            if (i + 1 < sym.length && sym[i] == a && sym[i + 1] == b) {
                if (out == null) {
                    out = new int[sym.length - 1];
                    System.arraycopy(sym, 0, out, 0, i);
                    n = i;
                }
                out[n++] = c;
                i++;
            } else if (out != null) {
                out[n++] = sym[i];
            }
        }
        if (out == null) {
            return sym;
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    private record Candidate(long key, long count) {
        int left() {
            return (int) (key >>> 32);
        }

        int right() {
            return (int) key;
        }
    }

    /**
     * A trained byte-level BPE vocabulary: tokens in id order (256 byte symbols, merged tokens,
     * then {@value #END_OF_TEXT}), the ordered merge list, and the end-of-text id. Serialises to
     * the Hugging Face {@code tokenizer.json} layout used by GPT-2.
     */
    public static final class Result {
        private final List<String> vocab;
        private final List<String[]> merges;
        private final int eosId;

        Result(List<String> vocab, List<String[]> merges, int eosId) {
            this.vocab = List.copyOf(vocab);
            List<String[]> m = new ArrayList<>(merges.size());
            for (String[] p : merges) {
                m.add(p.clone());
            }
            this.merges = m;
            this.eosId = eosId;
        }

        /** Tokens by id, in byte-symbol form (e.g. "ĠParis"). */
        public List<String> vocab() {
            return vocab;
        }

        /** Number of ids, including {@value #END_OF_TEXT}. */
        public int vocabSize() {
            return vocab.size();
        }

        /** Merge rules in priority order, each as {left, right}. */
        public List<String[]> merges() {
            List<String[]> copy = new ArrayList<>(merges.size());
            for (String[] p : merges) {
                copy.add(p.clone());
            }
            return copy;
        }

        /** Id of {@value #END_OF_TEXT}; always {@code vocabSize() - 1}. */
        public int eosId() {
            return eosId;
        }

        /** The Hugging Face {@code tokenizer.json} text (deterministic, UTF-8 safe, LF newlines). */
        public String toTokenizerJson() {
            StringWriter sw = new StringWriter();
            try (JsonWriter jw = new JsonWriter(sw)) {
                jw.setIndent("  ");
                jw.setHtmlSafe(false);
                jw.setSerializeNulls(true);
                jw.beginObject();
                jw.name("version").value("1.0");
                jw.name("truncation").nullValue();
                jw.name("padding").nullValue();
                jw.name("added_tokens").beginArray();
                jw.beginObject();
                jw.name("id").value(eosId);
                jw.name("content").value(END_OF_TEXT);
                jw.name("single_word").value(false);
                jw.name("lstrip").value(false);
                jw.name("rstrip").value(false);
                jw.name("normalized").value(true);
                jw.name("special").value(true);
                jw.endObject();
                jw.endArray();
                jw.name("normalizer").nullValue();
                jw.name("pre_tokenizer");
                byteLevel(jw, false, true);
                // The ByteLevel post-processor only adjusts offsets; it adds no tokens.
                jw.name("post_processor");
                byteLevel(jw, true, false);
                jw.name("decoder");
                byteLevel(jw, true, true);
                jw.name("model").beginObject();
                jw.name("type").value("BPE");
                jw.name("dropout").nullValue();
                jw.name("unk_token").nullValue();
                jw.name("continuing_subword_prefix").value("");
                jw.name("end_of_word_suffix").value("");
                jw.name("fuse_unk").value(false);
                jw.name("byte_fallback").value(false);
                jw.name("vocab").beginObject();
                for (int i = 0; i < vocab.size(); i++) {
                    jw.name(vocab.get(i)).value(i);
                }
                jw.endObject();
                // "left right" strings (the classic GPT-2 form) are read by every tokenizers
                // version; byte-level symbols never contain a raw space, so the split is unambiguous.
                jw.name("merges").beginArray();
                for (String[] p : merges) {
                    jw.value(p[0] + " " + p[1]);
                }
                jw.endArray();
                jw.endObject();
                jw.endObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return sw.toString() + "\n";
        }

        private static void byteLevel(JsonWriter jw, boolean addPrefixSpace, boolean trimOffsets)
                throws IOException {
            jw.beginObject();
            jw.name("type").value("ByteLevel");
            jw.name("add_prefix_space").value(addPrefixSpace);
            jw.name("trim_offsets").value(trimOffsets);
            jw.name("use_regex").value(true);
            jw.endObject();
        }

        /**
         * Writes {@code tokenizer.json} into {@code dir} (creating it), atomically where the file
         * system allows so a reader never sees a half-written file; returns the file path.
         */
        public Path writeTo(Path dir) throws IOException {
            Files.createDirectories(dir);
            Path file = dir.resolve("tokenizer.json");
            Path tmp = Files.createTempFile(dir, "tokenizer", ".json.tmp");
            try {
                Files.writeString(tmp, toTokenizerJson(), StandardCharsets.UTF_8);
                try {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return file;
        }
    }
}
