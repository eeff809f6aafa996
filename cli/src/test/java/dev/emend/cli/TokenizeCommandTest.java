package dev.emend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./emend tokenize} and the special-token lines of {@code model-info}, on a tiny GPT-2 with and without a BOS policy. */
class TokenizeCommandTest {
    @TempDir
    static Path tmp;

    static Path plain;
    static Path withBos;

    @BeforeAll
    static void build() throws Exception {
        List<String> docs = List.of("The capital of France is Paris.", "The capital of Italy is Rome.",
                "Paris is a city in France.");
        plain = CliTestSupport.tinyCheckpoint(tmp.resolve("plain"), docs, 1);
        withBos = CliTestSupport.tinyCheckpoint(tmp.resolve("bos"), docs, 1);
        Files.writeString(withBos.resolve("tokenizer_config.json"),
                "{\"add_bos_token\": true, \"bos_token\": \"<|endoftext|>\", \"tokenizer_class\": \"GPT2Tokenizer\"}");
    }

    private static int[] expected(Path dir, String text) throws Exception {
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            return tok.encode(text);
        }
    }

    private static int[] ids(JsonArray a) {
        return a.asList().stream().mapToInt(e -> e.getAsInt()).toArray();
    }

    @Test
    void printsTheTokenizersIdsWhenTheCheckpointAddsNothing() throws Exception {
        String text = "The capital of France is Paris.";
        CliTestSupport.Run r = CliTestSupport.run("tokenize", text, "--model", plain.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(Arrays.toString(expected(plain, text)), Arrays.toString(ids(o.getAsJsonArray("ids"))));
        assertEquals(0, o.get("special_tokens_added").getAsInt());
        assertEquals(text, String.join("", o.getAsJsonArray("pieces").asList().stream().map(e -> e.getAsString()).toList()));
        CliTestSupport.Run table = CliTestSupport.run("tokenize", text, "--model", plain.toString());
        assertTrue(table.out().contains("bos: not added"), table.out());
        assertTrue(table.out().contains("ids: " + Arrays.toString(expected(plain, text))), table.out());
    }

    @Test
    void showsTheBosTheTokenizerConfigAsksFor() throws Exception {
        String text = "Rome is a city";
        int[] body = expected(withBos, text);
        CliTestSupport.Run r = CliTestSupport.run("tokenize", text, "--model", withBos.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        int[] got = ids(o.getAsJsonArray("ids"));
        assertEquals(1, o.get("special_tokens_added").getAsInt());
        assertEquals("<|endoftext|>", o.getAsJsonArray("tokens").get(0).getAsString());
        assertEquals(Arrays.toString(body), Arrays.toString(Arrays.copyOfRange(got, 1, got.length)));
        CliTestSupport.Run none = CliTestSupport.run("tokenize", text, "--model", withBos.toString(), "--json", "--no-special");
        assertEquals(Arrays.toString(body),
                Arrays.toString(ids(JsonParser.parseString(none.out()).getAsJsonObject().getAsJsonArray("ids"))));
        CliTestSupport.Run info = CliTestSupport.run("model-info", "--model", withBos.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().matches("(?s).*bos:\\s+added, \\d+ <\\|endoftext\\|> \\(tokenizer_config.json add_bos_token=true\\).*"),
                info.out());
        assertTrue(info.out().contains("config.json eos_token_id"), info.out());
    }

    @Test
    void missingModelIsBadInputNamingTheDirectory() {
        Path missing = tmp.resolve("nope");
        CliTestSupport.Run r = CliTestSupport.run("tokenize", "x", "--model", missing.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(missing.toString()), r.err());
    }
}
