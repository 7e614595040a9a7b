package io.odecast.kafka;

import io.odecast.data.TimedFrame;
import io.odecast.proto.RegularFrame;
import java.util.Objects;

/**
 * A frame of the regular-cadence stream on {@code odecast.frames.regular} ({@code odecast.v1.RegularFrame}):
 * observed, filled or provisional. {@link RegularFrameCodec} converts it both ways.
 *
 * @param frame        the grid at its cadence tick (or observation time)
 * @param flag         whether it was observed, filled or provisional
 * @param modelVersion version of the model that made it; empty for observed frames
 */
public record RegularFrameMessage(String streamId, TimedFrame frame, RegularFrame.Flag flag, String modelVersion) {

    /** Checks that every part is present. */
    public RegularFrameMessage {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(frame, "frame");
        Objects.requireNonNull(flag, "flag");
        modelVersion = modelVersion == null ? "" : modelVersion;
    }

    /** The frame's time. */
    public java.time.Instant time() {
        return frame.time();
    }
}
