package io.odecast.render;

import io.odecast.kafka.GridBytes;
import io.odecast.kafka.ProtoTime;
import io.odecast.proto.RegularFrame;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A frame of the regular-cadence stream ({@link RegularFrame}) as plain Java.
 *
 * @param flag whether it was observed, filled or provisional
 */
public record RegularGrid(String streamId, Instant time, List<String> channels, int c, int h, int w, float[] data,
                          boolean[] valid, RegularFrame.Flag flag) {

    /** Copies the channel list. */
    public RegularGrid {
        channels = List.copyOf(channels);
    }

    /**
     * Decodes and checks a wire regular frame.
     *
     * @throws IllegalArgumentException naming the stream and what does not fit the shape
     */
    public static RegularGrid of(RegularFrame f) {
        String id = f.getStreamId();
        int c = f.getShape().getChannels();
        int h = f.getShape().getHeight();
        int w = f.getShape().getWidth();
        long cells = (long) c * h * w;
        if (id.isEmpty() || !f.hasTime() || c <= 0 || h <= 0 || w <= 0 || f.getData().size() != cells * Float.BYTES
                || !f.getValidMask().isEmpty() && f.getValidMask().size() != cells) {
            throw new IllegalArgumentException("regular frame of stream '" + id + "' lacks a time or its data and "
                    + "mask do not fit shape " + c + "x" + h + "x" + w);
        }
        float[] data = GridBytes.bytesToFloats(f.getData());
        List<String> channels = new ArrayList<>(f.getChannelsList());
        for (int i = channels.size(); i < c; i++) {
            channels.add("ch" + i);
        }
        return new RegularGrid(id, ProtoTime.toInstant(f.getTime()), channels, c, h, w, data,
                GridBytes.validity(f.getValidMask(), data), f.getFlag());
    }
}
