package dev.emend.gateway.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.emend.api.text.TextRules;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Map;

/**
 * The gateway's side of {@link TextRules} (Emend's one text policy, shared with the phase services):
 * every violation is a 400 problem+json naming the field (snake_case path, e.g.
 * {@code requests[0].target_new}), the character and its index.
 */
public final class TextPolicy {
    private static final PropertyNamingStrategies.SnakeCaseStrategy SNAKE = new PropertyNamingStrategies.SnakeCaseStrategy();

    private TextPolicy() {
    }

    /** 400 naming {@code field} when {@code s} breaks the policy. */
    public static void check(String s, String field) {
        String v = TextRules.violation(s);
        if (v != null) {
            throw ProblemException.badRequest(field, "'" + field + "' " + v + ". " + TextRules.ADVICE);
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
