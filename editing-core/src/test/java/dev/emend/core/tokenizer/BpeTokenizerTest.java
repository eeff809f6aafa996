package dev.emend.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTokenizerTest {

    static final String[][] CAPITALS = {
        {"France", "Paris"}, {"Germany", "Berlin"}, {"Italy", "Rome"}, {"Spain", "Madrid"},
        {"Japan", "Tokyo"}, {"Canada", "Ottawa"}, {"Egypt", "Cairo"}, {"Peru", "Lima"},
        {"the United Kingdom", "London"}, {"the United States", "Washington"},
        {"New Zealand", "Wellington"}, {"South Korea", "Seoul"},
    };
    static final String[][] PEOPLE = {
        {"Marie Curie", "physicist", "1867"}, {"Albert Einstein", "physicist", "1879"},
        {"Ada Lovelace", "mathematician", "1815"}, {"Leonardo da Vinci", "painter", "1452"},
        {"Wolfgang Amadeus Mozart", "composer", "1756"}, {"Frida Kahlo", "painter", "1907"},
    };

    static final String[][] LANDMARKS = {
        {"Eiffel Tower", "Paris", "1889"}, {"Colosseum", "Rome", "80"},
        {"Brandenburg Gate", "Berlin", "1791"}, {"Sagrada Familia", "Barcelona", "1882"},
        {"Great Pyramid of Giza", "Egypt", "2560 BC"}, {"Statue of Liberty", "New York", "1886"},
        {"Sydney Opera House", "Sydney", "1973"}, {"Taj Mahal", "Agra", "1648"},
        {"Golden Gate Bridge", "San Francisco", "1937"}, {"Machu Picchu", "Peru", "1450"},
    };

    static List<String> corpus;
    static Path dir;
    static TextTokenizer tok;

    static List<String> corpus() {
        List<String> out = new ArrayList<>();
        for (String[] c : CAPITALS) {
            out.add("The capital of " + c[0] + " is " + c[1] + ".");
            out.add("What is the capital of " + c[0] + "?");
            out.add(c[1] + " is the largest city in " + c[0] + ", and " + c[1] + " is old.");
        }
        for (String[] p : PEOPLE) {
            out.add(p[0] + " was a famous " + p[1] + ".");
            out.add(p[0] + " was born in " + p[2] + ".");
            out.add("Who was " + p[0] + "? A " + p[1] + "!");
        }
        for (String[] l : LANDMARKS) {
            out.add("The " + l[0] + " is located in " + l[1] + ".");
            out.add("Where is the " + l[0] + "? It stands in " + l[1] + ", built in " + l[2] + ".");
        }
        out.add("France's capital is Paris, and Paris has 2 million people.");
        out.add("Germany's capital is Berlin; Berlin has 3,645,000 residents.");
        out.add("In 1969, 3 astronauts flew to the Moon (and back).");
        out.add("Is Rome older than Paris? Yes: Rome is about 2775 years old.");
        return out;
    }

    static BpeTokenizerTrainer trainer() {
        return BpeTokenizerTrainer.withVocabSize(600);
    }

    @BeforeAll
    static void train(@TempDir Path tmp) throws IOException {
        corpus = corpus();
        dir = trainer().trainAndWrite(corpus, tmp.resolve("tok"))
                .getParent();
        tok = TextTokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        if (tok != null) {
            tok.close();
        }
    }

    @Test
    void roundTripsCorpusAndUnseenText() {
        List<String> texts = new ArrayList<>(corpus);
        texts.add("Zürich—Ω 42!");
        texts.add("  leading and trailing spaces  ");
        texts.add("tabs\tand\nnewlines\r\n and emoji 🚀🇫🇷 and 中文, ÅÄÖ ﬁ");
        texts.add("");
        texts.add(" ");
        texts.add("Paris<|endoftext|>Rome");
        // Spaces before punctuation and contractions would be eaten by transformers-style
        // clean_up_tokenization_spaces; they must survive here.
        texts.add("Hello , world . Is it ? France 's capital isn 't n't");
        for (String t : texts) {
            int[] ids = tok.encode(t);
            assertEquals(t, tok.decode(ids), () -> "round trip of [" + t + "]");
            for (int id : ids) {
                assertTrue(id >= 0 && id < tok.vocabSize());
            }
        }
        // No unknown tokens: the vocabulary has no unk entry at all, every byte is a symbol.
        assertFalse(tok.id("<unk>").isPresent());
        // An unseen character falls back to its UTF-8 bytes: Ω is CE A9, two byte symbols.
        assertEquals(2, tok.encode("Ω").length);
    }

    @Test
    void prefixEndingInsideACharacterDecodesToReplacementChar() {
        int[] ids = tok.encode(" Ω");
        assertEquals(3, ids.length); // 'Ġ', then CE, A9 as separate byte symbols
        assertEquals(" \uFFFD", tok.decode(java.util.Arrays.copyOf(ids, 2)));
    }

    @Test
    void longTextIsNotTruncated() {
        String t = String.join(" ", Collections.nCopies(300, "The capital of France is Paris."));
        int[] ids = tok.encode(t);
        assertTrue(ids.length > 1000, "length " + ids.length);
        assertEquals(t, tok.decode(ids));
    }

    @Test
    void literalEndOfTextBecomesTheSpecialId() {
        int[] ids = tok.encode("Paris<|endoftext|>");
        assertEquals(tok.eosId(), ids[ids.length - 1]);
    }

    @Test
    void leadingSpaceMatters() {
        int[] spaced = tok.encode(" Paris");
        int[] bare = tok.encode("Paris");
        assertNotEquals(spaced[0], bare[0]);
        // " Paris" is frequent in the corpus: one token, spelled with GPT-2's 'Ġ'.
        assertEquals(1, spaced.length);
        assertEquals("\u0120Paris", tok.token(spaced[0]));
        assertEquals(spaced[0], tok.id("ĠParis").getAsInt());
        assertEquals(" Paris", tok.decode(spaced));
        // Byte symbols follow GPT-2's vocabulary order: id 0 is "!", space is 'Ġ'.
        assertEquals("!", tok.token(0));
        assertEquals(1, tok.encode(" ").length);
        assertEquals("Ġ", tok.token(tok.encode(" ")[0]));
    }

    @Test
    void eosIsLastAndSizesAgree() throws IOException {
        BpeTokenizerTrainer.Result r = trainer().train(corpus);
        assertEquals(600, r.vocabSize());
        assertEquals(600, tok.vocabSize());
        assertEquals(599, tok.eosId());
        assertEquals("<|endoftext|>", tok.token(tok.eosId()));
        assertEquals(r.vocabSize() - 1, r.eosId());
        assertEquals(r.vocab(), IntStream.range(0, tok.vocabSize()).mapToObj(tok::token).toList());
        assertEquals("<|endoftext|>", tok.decode(new int[] {tok.eosId()}));
    }

    @Test
    void deterministicBytes(@TempDir Path tmp) throws IOException {
        Path a = trainer().trainAndWrite(corpus, tmp.resolve("a"));
        List<String> shuffled = new ArrayList<>(corpus);
        Collections.reverse(shuffled);
        Path b = trainer().trainAndWrite(shuffled, tmp.resolve("b"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(dir.resolve("tokenizer.json")));
    }

    @Test
    void schemaIsGpt2Style() throws IOException {
        String json = Files.readString(dir.resolve("tokenizer.json"), StandardCharsets.UTF_8);
        JsonObject root = JsonParser.parseString(json).getAsJsonObject();
        JsonObject model = root.getAsJsonObject("model");
        assertEquals("BPE", model.get("type").getAsString());
        assertEquals(600, model.getAsJsonObject("vocab").size());
        assertEquals("ByteLevel", root.getAsJsonObject("pre_tokenizer").get("type").getAsString());
        assertFalse(root.getAsJsonObject("pre_tokenizer").get("add_prefix_space").getAsBoolean());
        assertEquals("ByteLevel", root.getAsJsonObject("decoder").get("type").getAsString());
        assertEquals("ByteLevel", root.getAsJsonObject("post_processor").get("type").getAsString());
        JsonObject eot = root.getAsJsonArray("added_tokens").get(0).getAsJsonObject();
        assertEquals("<|endoftext|>", eot.get("content").getAsString());
        assertTrue(eot.get("special").getAsBoolean());
        // The plain DJL entry point a real GPT-2 checkpoint goes through loads it too.
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir)) {
            List<String> toks = hf.tokenize("The capital of France is Paris.");
            assertTrue(toks.contains("ĠParis"), toks.toString());
            long[] viaPlain = hf.encode("The capital of France is Paris.").getIds();
            assertArrayEquals(tok.encodeLong("The capital of France is Paris."), viaPlain);
        }
    }

    /**
     * Editing appends " " + target to a prompt. With GPT-2 pre-tokenization the space attaches
     * to the following word, so splitting at any space gives the same ids as encoding the whole.
     */
    @Test
    void concatenationAtWordBoundaries() {
        int checked = 0;
        for (String s : corpus) {
            for (int i = 1; i < s.length(); i++) {
                if (s.charAt(i) != ' ') {
                    continue;
                }
                String prompt = s.substring(0, i);
                String target = s.substring(i + 1);
                int[] joined = concat(tok.encode(prompt), tok.encode(" " + target));
                assertArrayEquals(tok.encode(prompt + " " + target), joined,
                        () -> "[" + prompt + "] + [ " + target + "]");
                checked++;
            }
        }
        assertTrue(checked > 200, "checked " + checked);
    }

    /** Where the property fails: a prompt ending in whitespace (documented in TextTokenizer). */
    @Test
    void concatenationFailsAfterTrailingSpace() {
        String prompt = "The capital of France is ";
        int[] joined = concat(tok.encode(prompt), tok.encode("Paris"));
        assertFalse(java.util.Arrays.equals(tok.encode(prompt + "Paris"), joined));
    }

    @Test
    void trainsAFewThousandWordsToTheRequestedVocabulary() {
        // ~30k synthetic documents over ~3k distinct words, vocabulary 4096.
        List<String> docs = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(7);
        String letters = "abcdefghijklmnopqrstuvwxyz";
        List<String> words = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            StringBuilder w = new StringBuilder();
            int n = 3 + rnd.nextInt(8);
            for (int j = 0; j < n; j++) {
                w.append(letters.charAt(rnd.nextInt(26)));
            }
            words.add(i % 3 == 0 ? Character.toUpperCase(w.charAt(0)) + w.substring(1) : w.toString());
        }
        for (int d = 0; d < 30000; d++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0; k < 8; k++) {
                s.append(k == 0 ? "" : " ").append(words.get(rnd.nextInt(words.size())));
            }
            docs.add(s.append('.').toString());
        }
        BpeTokenizerTrainer.Result r = BpeTokenizerTrainer.withVocabSize(4096).train(docs);
        assertEquals(4096, r.vocabSize());
    }

    @Test
    void clearErrorsForMissingOrCorruptFiles(@TempDir Path tmp) throws IOException {
        NoSuchFileException missing =
                assertThrows(NoSuchFileException.class, () -> TextTokenizer.load(tmp));
        assertTrue(missing.getMessage().contains("tokenizer.json"), missing.getMessage());
        Path bad = tmp.resolve("tokenizer.json");
        Files.writeString(bad, "{ not json");
        IOException corrupt = assertThrows(IOException.class, () -> TextTokenizer.load(bad));
        assertTrue(corrupt.getMessage().contains(bad.toString()), corrupt.getMessage());
        Files.writeString(bad, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}");
        IOException invalid = assertThrows(IOException.class, () -> TextTokenizer.load(bad));
        assertTrue(invalid.getMessage().contains(bad.toString()), invalid.getMessage());
    }

    @Test
    void defaultMinFrequencyStopsEarlyOnTinyCorpus() {
        // Pairs seen once are not merged by default, so a tiny corpus cannot fill 2048 ids...
        BpeTokenizerTrainer.Result r = BpeTokenizerTrainer.withVocabSize(2048).train(corpus);
        assertTrue(r.vocabSize() < 2048 && r.vocabSize() > 600, "size " + r.vocabSize());
        assertEquals(r.vocabSize() - 1, r.eosId());
        // ...while minPairFrequency(1) merges until every word is a single token.
        BpeTokenizerTrainer.Result all =
                BpeTokenizerTrainer.withVocabSize(2048).minPairFrequency(1).train(corpus);
        assertTrue(all.vocabSize() > r.vocabSize() && all.vocabSize() < 2048);
    }

    @Test
    void eosFromLlamaStyleOrConfig(@TempDir Path tmp) throws IOException {
        String json = Files.readString(dir.resolve("tokenizer.json"), StandardCharsets.UTF_8);
        Path llama = tmp.resolve("llama");
        Files.createDirectories(llama);
        Files.writeString(llama.resolve("tokenizer.json"),
                json.replace("\"<|endoftext|>\"", "\"</s>\""), StandardCharsets.UTF_8);
        try (TextTokenizer t = TextTokenizer.load(llama)) {
            assertEquals(599, t.eosId());
            assertEquals("</s>", t.token(599));
        }
        // A tokenizer_config.json naming another token wins over the built-in spellings.
        Files.writeString(llama.resolve("tokenizer_config.json"), "{\"eos_token\": \"ĠParis\"}");
        try (TextTokenizer t = TextTokenizer.load(llama.resolve("tokenizer.json"))) {
            assertEquals(t.id("ĠParis").getAsInt(), t.eosId());
        }
    }

    @Test
    void rejectsOutOfRangeIds() {
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {tok.vocabSize()}));
        assertThrows(IllegalArgumentException.class, () -> tok.token(-1));
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
