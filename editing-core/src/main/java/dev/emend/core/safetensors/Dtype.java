package dev.emend.core.safetensors;

import ai.djl.ndarray.types.DataType;
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

    /** The engine type holding this dtype's bytes unchanged, or null when loading must convert. */
    DataType engineType() {
        return switch (this) {
            case F16 -> DataType.FLOAT16;
            case BF16 -> DataType.BFLOAT16;
            case F32 -> DataType.FLOAT32;
            case F64 -> DataType.FLOAT64;
            case I64 -> DataType.INT64;
            case I32 -> DataType.INT32;
            case I8 -> DataType.INT8;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            default -> null;
        };
    }

    boolean isFloat() {
        return this == F16 || this == BF16 || this == F32 || this == F64;
    }
}
