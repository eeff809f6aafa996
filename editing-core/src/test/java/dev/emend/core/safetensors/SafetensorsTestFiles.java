package dev.emend.core.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Builds safetensors files byte by byte, so tests do not depend on the writer under test. */
final class SafetensorsTestFiles {
    private SafetensorsTestFiles() {}

    /** Header JSON padded to 8 bytes, as the format expects. */
    static byte[] paddedHeader(String json) {
        StringBuilder sb = new StringBuilder(json);
        while (sb.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
            sb.append(' ');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static void write(Path file, String headerJson, byte[] data) throws IOException {
        byte[] header = paddedHeader(headerJson);
        writeRaw(file, header.length, header, data);
    }

    /** Writes an arbitrary length prefix, to fake corrupt files. */
    static void writeRaw(Path file, long declaredHeaderLength, byte[] header, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredHeaderLength);
            ch.write(prefix.flip());
            ch.write(ByteBuffer.wrap(header));
            ch.write(ByteBuffer.wrap(data));
        }
    }

    static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] u16(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }
}
