package dev.emend.core.safetensors;

/**
 * 16-bit float conversions. Java 17 has no {@code Float.float16ToFloat}, and BF16 has no JDK
 * support at all.
 */
final class Halfs {
    private Halfs() {}

    /** BF16 is the top half of an IEEE float32, so widening is a shift. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Rounds to nearest-even (what PyTorch does) instead of truncating, which biases toward zero. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            // Rounding could carry a NaN payload into the exponent and turn it into infinity.
            return (short) (((bits >>> 16) & 0x8000) | 0x7FC0);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    static float f16ToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0) {
            // Zero or subnormal: value is mant * 2^-24, exactly representable as a float32.
            float magnitude = mant * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** A BF16 value beyond FLOAT16's range; the caller widens that tensor to FLOAT32 instead. */
    static final class Overflow extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Overflow() {
            super(null, null, false, false);
        }
    }

    /**
     * BF16 bits to the FLOAT16 bits of the same value: exact for magnitudes in [2^-17, 65504]
     * (and for zeros, infinities and NaNs); smaller magnitudes round to nearest-even multiples of
     * 2^-24; a finite magnitude above 65504 throws {@link Overflow}.
     */
    static short bf16ToF16(short bits) {
        int b = bits & 0xFFFF;
        int sign = (b >>> 15) << 15;
        int exp = (b >>> 7) & 0xFF;
        int mant = b & 0x7F;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 : 0));
        }
        if (exp == 0) {
            // BF16 zero or subnormal (below 2^-126): far below FLOAT16's smallest subnormal.
            return (short) sign;
        }
        int e = exp - 127;
        if (e > 15) {
            throw new Overflow();
        }
        if (e >= -14) {
            return (short) (sign | ((e + 15) << 10) | (mant << 3));
        }
        // FLOAT16 subnormal: value = m * 2^-24 with m = (128 + mant) * 2^(e + 17).
        int full = 128 | mant;
        int shift = -(e + 17);
        if (shift <= 0) {
            return (short) (sign | (full << -shift));
        }
        if (shift > 9) {
            return (short) sign;
        }
        int kept = full >>> shift;
        int rest = full & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (kept & 1) == 1)) {
            kept++;
        }
        return (short) (sign | kept);
    }

    /** {@link #bf16ToF16} for every BF16 pattern, -1 where it overflows: a lookup per weight at load. */
    private static final int[] BF16_TO_F16 = new int[1 << 16];

    static {
        for (int bits = 0; bits < BF16_TO_F16.length; bits++) {
            try {
                BF16_TO_F16[bits] = bf16ToF16((short) bits) & 0xFFFF;
            } catch (Overflow e) {
                BF16_TO_F16[bits] = -1;
            }
        }
    }

    /** Converts {@code count} BF16 values to FLOAT16 through a heap chunk (bulk buffer copies are fast). */
    static void bf16ToF16Bits(java.nio.ShortBuffer src, java.nio.ShortBuffer dst, int count) {
        short[] chunk = new short[Math.min(count, 1 << 16)];
        for (int from = 0; from < count; from += chunk.length) {
            int n = Math.min(chunk.length, count - from);
            src.get(from, chunk, 0, n);
            for (int i = 0; i < n; i++) {
                int v = BF16_TO_F16[chunk[i] & 0xFFFF];
                if (v < 0) {
                    throw new Overflow();
                }
                chunk[i] = (short) v;
            }
            dst.put(from, chunk, 0, n);
        }
    }

    static void bf16ToFloats(java.nio.ShortBuffer src, java.nio.FloatBuffer dst, int count) {
        for (int i = 0; i < count; i++) {
            dst.put(i, bf16ToFloat(src.get(i)));
        }
    }
}
