package dev.emend.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2 byte-level helpers: the reversible bytes-to-unicode table and the GPT-2 pre-tokenization
 * regex. Every byte maps to one printable code point, so any UTF-8 text becomes a string of
 * "byte symbols" with no unknowns; a leading space shows up as {@code 'Ġ'} (U+0120) exactly as in
 * GPT-2's vocabulary.
 */
public final class ByteLevel {

    /**
     * GPT-2's split pattern. UNICODE_CHARACTER_CLASS makes {@code \s} Unicode-aware like the regex
     * engine inside Hugging Face tokenizers, so training sees the same words the runtime sees.
     */
    public static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** BYTE_TO_CHAR[b] is the code point that stands for byte b (0..255). */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Bytes in GPT-2 vocabulary order: printable bytes first, then the remapped ones. */
    private static final int[] BYTES_IN_VOCAB_ORDER = new int[256];

    static {
        // Printable Latin-1 bytes keep their own code point; the other 68 bytes are shifted to
        // 256+n so that no symbol is whitespace or a control character (GPT-2's construction).
        boolean[] printable = new boolean[256];
        int k = 0;
        for (int b = '!'; b <= '~'; b++) { printable[b] = true; }
        for (int b = 0xA1; b <= 0xAC; b++) { printable[b] = true; }
        for (int b = 0xAE; b <= 0xFF; b++) { printable[b] = true; }
        for (int b = 0; b < 256; b++) {
            if (printable[b]) {
                BYTE_TO_CHAR[b] = (char) b;
                BYTES_IN_VOCAB_ORDER[k++] = b;
            }
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!printable[b]) {
                BYTE_TO_CHAR[b] = (char) (256 + n++);
                BYTES_IN_VOCAB_ORDER[k++] = b;
            }
        }
    }

    private ByteLevel() {
    }

    /** The code point GPT-2 uses for byte {@code b} (0..255). */
    public static char byteToChar(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /**
     * The 256 base symbols in GPT-2's id order (id 0 is "!"), which keeps the base vocabulary
     * layout identical to a real GPT-2 checkpoint.
     */
    public static List<String> baseSymbols() {
        List<String> out = new ArrayList<>(256);
        for (int b : BYTES_IN_VOCAB_ORDER) {
            out.add(String.valueOf(BYTE_TO_CHAR[b]));
        }
        return out;
    }

    /** Maps the UTF-8 bytes of {@code text} to byte symbols, e.g. " Paris" to "ĠParis". */
    public static String toSymbols(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(BYTE_TO_CHAR[b & 0xFF]);
        }
        return sb.toString();
    }

    /** Splits text into GPT-2 pre-tokens (words with their leading space attached). */
    public static List<String> preTokenize(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = GPT2_SPLIT.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }
}
