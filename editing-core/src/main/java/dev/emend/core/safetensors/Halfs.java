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
}
