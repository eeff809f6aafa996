package dev.emend.api.text;

/**
 * Emend's one policy for text that arrives in a request, applied by the gateway (REST) and by every
 * phase service (gRPC) before anything is applied or stored:
 * <ul>
 *   <li>NUL (U+0000) is refused everywhere: PostgreSQL text cannot hold it, and no prompt needs it;</li>
 *   <li>an unpaired UTF-16 surrogate (U+D800–U+DFFF without its partner, e.g. a JSON {@code "\ud800"})
 *       is refused: it is not a character and cannot be encoded as UTF-8 (it would be stored as "?");</li>
 *   <li>control characters are refused except tab, line feed and carriage return: C0 (U+0001–U+001F),
 *       DEL (U+007F) and C1 (U+0080–U+009F). BEL or ESC in a prompt is a client bug, not a fact.</li>
 * </ul>
 */
public final class TextRules {
    /** What a rejection tells the client to do. */
    public static final String ADVICE = "Text may not contain NUL, unpaired surrogates or control characters other "
            + "than tab, line feed and carriage return; remove it.";

    private TextRules() {
    }

    /** What is wrong with {@code s} under the policy, or null when it is fine. */
    public static String violation(String s) {
        if (s == null) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return "contains the NUL character (U+0000) at index " + i;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "contains an unpaired UTF-16 surrogate (" + code(c) + ") at index " + i;
            }
            if (Character.isLowSurrogate(c)) {
                return "contains an unpaired UTF-16 surrogate (" + code(c) + ") at index " + i;
            }
            if (isRefusedControl(c)) {
                return "contains the control character " + code(c) + " at index " + i;
            }
        }
        return null;
    }

    private static boolean isRefusedControl(char c) {
        return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7f && c <= 0x9f);
    }

    private static String code(char c) {
        return String.format("U+%04X", (int) c);
    }
}
