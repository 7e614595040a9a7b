package io.odecast.kafka;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** What the codecs share: parsing with a clear error, and reading grids (shape, names, data and mask) with checks. */
final class Wire {
    private Wire() {
    }

    /**
     * Parses {@code bytes} as the message {@code type}.
     *
     * @throws IllegalArgumentException saying the value is not such a message
     */
    static <T> T parse(byte[] bytes, Parser<T> parser, String type) {
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("value of " + bytes.length + " bytes is not a protobuf odecast.v1."
                    + type + ": " + e.getMessage(), e);
        }
    }

    /** The shape, which must be positive in every dimension. */
    static GridShape shape(String what, io.odecast.proto.GridShape s) {
        if (s.getChannels() <= 0 || s.getHeight() <= 0 || s.getWidth() <= 0) {
            throw new IllegalArgumentException(what + ": shape must be positive, got " + s.getChannels() + "x"
                    + s.getHeight() + "x" + s.getWidth());
        }
        try {
            return new GridShape(s.getChannels(), s.getHeight(), s.getWidth());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    /** The names given, or {@code ch0}, {@code ch1}... for those missing. */
    static List<String> channelNames(List<String> given, int channels) {
        List<String> names = new ArrayList<>(given);
        for (int i = names.size(); i < channels; i++) {
            names.add("ch" + i);
        }
        return names;
    }

    /** A grid from float32 bytes and a mask (empty = all valid); non-finite cells are invalid. */
    static TimedFrame grid(String what, Instant time, List<String> channels, GridShape shape, ByteString data,
                           ByteString mask) {
        long cells = shape.size();
        if (data.size() != cells * Float.BYTES) {
            throw new IllegalArgumentException(what + ": shape " + shape + " needs " + cells * Float.BYTES
                    + " data bytes, got " + data.size());
        }
        if (!mask.isEmpty() && mask.size() != cells) {
            throw new IllegalArgumentException(what + ": valid_mask needs " + cells + " bytes or none, got "
                    + mask.size());
        }
        float[] values = GridBytes.bytesToFloats(data);
        return new TimedFrame(time, channels, shape, values, GridBytes.validity(mask, values), false);
    }
}
