package io.odecast.kafka;

import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.proto.Forecast;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A forecast as it travels on {@code odecast.forecasts} ({@code odecast.v1.Forecast}): one grid per lead after the
 * frame it is based on. {@link ForecastCodec} converts it both ways.
 *
 * @param issuedAt       wall-clock time it was produced, or null when the message has none
 * @param channels       channel names, one per channel
 * @param units          one per channel ({@code ""} when unknown), or empty
 * @param leads          grids in increasing lead order, each of {@code shape} and {@code channels}
 * @param inputPartition with {@code inputOffset}, the position of the frame it is based on: its identity
 */
public record ForecastMessage(String streamId, Instant basedOnTime, Instant issuedAt, String modelName,
                              String modelVersion, List<String> channels, List<String> units, GridShape shape,
                              List<Lead> leads, List<Forecast.Flag> flags, int inputPartition, long inputOffset) {

    /**
     * One forecast grid.
     *
     * @param lead  time after {@code basedOnTime}
     * @param frame the grid at its valid time; arrays are shared, treat them as read-only
     */
    public record Lead(Duration lead, TimedFrame frame) {

        /** The lead's absolute time. */
        public Instant validTime() {
            return frame.time();
        }

        /** Values, row-major C x H x W. */
        public float[] data() {
            return frame.data();
        }

        /** Per-cell validity, never null. */
        public boolean[] valid() {
            return frame.mask();
        }
    }

    /** Copies the lists and checks that they fit the shape. */
    public ForecastMessage {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(basedOnTime, "basedOnTime");
        Objects.requireNonNull(shape, "shape");
        channels = List.copyOf(channels);
        units = List.copyOf(units);
        leads = List.copyOf(leads);
        flags = List.copyOf(flags);
        if (channels.size() != shape.channels() || !units.isEmpty() && units.size() != shape.channels()) {
            throw new IllegalArgumentException("forecast of stream " + streamId + ": " + channels.size()
                    + " channel names and " + units.size() + " units for shape " + shape);
        }
        for (Lead l : leads) {
            if (!l.frame().shape().equals(shape)) {
                throw new IllegalArgumentException("forecast of stream " + streamId + ": lead " + l.lead() + " is "
                        + l.frame().shape() + ", not " + shape);
            }
        }
    }

    /** The unit of channel {@code c}, {@code ""} when unknown. */
    public String unit(int c) {
        return units.isEmpty() ? "" : units.get(c);
    }

    /** Whether the forecast carries {@code flag}. */
    public boolean has(Forecast.Flag flag) {
        return flags.contains(flag);
    }
}
