package dev.emend.gateway.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Map;

/**
 * The gateway's policy for text in requests, checked before anything is applied or stored:
 * <ul>
 *   <li>NUL (U+0000) is refused everywhere: PostgreSQL text cannot hold it, and no prompt needs it;</li>
 *   <li>an unpaired UTF-16 surrogate (U+D800–U+DFFF without its partner, e.g. a JSON {@code "\ud800"})
 *       is refused: it is not a character and cannot be encoded as UTF-8 (it would be stored as "?");</li>
 *   <li>control characters are refused except tab, line feed and carriage return: C0 (U+0001–U+001F),
 *       DEL (U+007F) and C1 (U+0080–U+009F). BEL or ESC in a prompt is a client bug, not a fact.</li>
 * </ul>
 * Every violation is a 400 problem+json naming the field (snake_case path, e.g.
 * {@code requests[0].target_new}), the character and its index.
 */
public final class TextPolicy {
    private static final PropertyNamingStrategies.SnakeCaseStrategy SNAKE = new PropertyNamingStrategies.SnakeCaseStrategy();

    private TextPolicy() {
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

    /** 400 naming {@code field} when {@code s} breaks the policy. */
    public static void check(String s, String field) {
        String v = violation(s);
        if (v != null) {
            throw ProblemException.badRequest(field, "'" + field + "' " + v + ". Text may not contain NUL, unpaired "
                    + "surrogates or control characters other than tab, line feed and carriage return; remove it.");
        }
    }

    /**
     * Checks every string of a deserialized request body: record components (by their JSON name),
     * list elements, map keys and values, recursively.
     */
    public static void checkTree(Object value, String path) {
        if (value == null) {
            return;
        }
        if (value instanceof String s) {
            check(s, path.isEmpty() ? null : path);
        } else if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                checkTree(list.get(i), path + "[" + i + "]");
            }
        } else if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                String at = path.isEmpty() ? key : path + "." + key;
                check(key, at);
                checkTree(e.getValue(), at);
            }
        } else if (value.getClass().isRecord()) {
            for (RecordComponent c : value.getClass().getRecordComponents()) {
                String at = (path.isEmpty() ? "" : path + ".") + SNAKE.translate(c.getName());
                try {
                    checkTree(c.getAccessor().invoke(value), at);
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException("cannot read " + at, e);
                }
            }
        }
    }
}
