package dev.emend.core.safetensors;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Safetensors element types and their stored widths; the enum names are the header strings. */
enum Dtype {
    BOOL(1), U8(1), I8(1), F8_E4M3(1), F8_E5M2(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    final int bytes;

    Dtype(int bytes) {
        this.bytes = bytes;
    }

    static Optional<Dtype> parse(String s) {
        for (Dtype d : values()) {
            if (d.name().equals(s)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    static String known() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    boolean isFloat() {
        return this == F16 || this == BF16 || this == F32 || this == F64;
    }
}
