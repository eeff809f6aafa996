package dev.emend.gateway.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Key generation and hashing. Keys are 32 random bytes, so a plain SHA-256 is enough: there is
 * nothing to brute-force as with a password (a slow hash such as bcrypt would cost every request
 * tens of milliseconds for no gain).
 */
public final class KeyHashing {
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyHashing() {
    }

    public static String newKey() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return "emk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    public static String hash(String key) {
        return sha256(key.getBytes(StandardCharsets.UTF_8));
    }

    /** SHA-256 of {@code bytes} as lower-case hex (also the request hash of an edit operation). */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
