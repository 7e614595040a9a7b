package io.odecast.kafka;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The wire layout of grids: float32 little-endian values and one-byte-per-cell validity masks
 * (0 = invalid, anything else = valid, empty = all valid), as documented in {@code odecast.proto}.
 */
public final class GridBytes {
    private GridBytes() {
    }

    /** The wire shape of {@code shape}. */
    public static io.odecast.proto.GridShape shape(io.odecast.data.GridShape shape) {
        return io.odecast.proto.GridShape.newBuilder().setChannels(shape.channels()).setHeight(shape.height())
                .setWidth(shape.width()).build();
    }

    /** The little-endian float32 bytes of {@code values}, bit for bit (NaN payloads included). */
    public static ByteString floatsToBytes(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        // The array is fresh and never written again, so wrapping it without a copy is safe.
        return UnsafeByteOperations.unsafeWrap(buffer.array());
    }

    /** Reads little-endian float32 values; the caller has checked that the length is a multiple of 4. */
    public static float[] bytesToFloats(ByteString bytes) {
        float[] values = new float[bytes.size() / Float.BYTES];
        bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    /** The mask bytes of {@code valid}, or an empty string when every cell is valid. */
    public static ByteString maskToBytes(boolean[] valid) {
        boolean all = true;
        for (boolean v : valid) {
            if (!v) {
                all = false;
                break;
            }
        }
        if (all) {
            return ByteString.EMPTY;
        }
        byte[] mask = new byte[valid.length];
        for (int i = 0; i < valid.length; i++) {
            mask[i] = valid[i] ? (byte) 1 : (byte) 0;
        }
        return UnsafeByteOperations.unsafeWrap(mask);
    }

    /**
     * The validity of {@code values}: a cell is valid when the mask allows it (an empty mask allows all) and its
     * value is finite. The caller has checked that a non-empty mask has one byte per value.
     */
    public static boolean[] validity(ByteString mask, float[] values) {
        boolean[] valid = new boolean[values.length];
        boolean hasMask = !mask.isEmpty();
        for (int i = 0; i < values.length; i++) {
            valid[i] = Float.isFinite(values[i]) && (!hasMask || mask.byteAt(i) != 0);
        }
        return valid;
    }
}
