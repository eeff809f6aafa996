package dev.emend.gateway.service;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Sticky weighted assignment of callers to arms: SHA-256 of "experiment id / caller id" gives a
 * point u uniform in [0, 1); the arm is the one whose cumulative weight share contains u. The same
 * caller always lands in the same arm of an experiment (as long as the arms do not change), and
 * different experiments split callers independently.
 */
public final class ArmAssignment {
    private ArmAssignment() {
    }

    /** A point in [0, 1) from the hash of experiment and caller. */
    public static double point(String experimentId, String caller) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((experimentId + "/" + caller).getBytes(StandardCharsets.UTF_8));
            long bits = ByteBuffer.wrap(h, 0, 8).getLong() >>> 11; // 53 random bits
            return bits / (double) (1L << 53);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Index of the arm for this caller, given the arms' weights (all > 0). */
    public static int arm(String experimentId, String caller, List<Double> weights) {
        double total = weights.stream().mapToDouble(Double::doubleValue).sum();
        double u = point(experimentId, caller) * total;
        double acc = 0;
        for (int i = 0; i < weights.size(); i++) {
            acc += weights.get(i);
            if (u < acc) {
                return i;
            }
        }
        return weights.size() - 1;
    }
}
