package io.odecast.render;

import io.odecast.kafka.GridBytes;
import io.odecast.kafka.ProtoTime;
import io.odecast.proto.Forecast;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link Forecast} as plain Java: grids as {@code float[]} row-major C x H x W with per-cell validity.
 *
 * @param channels channel names, one per channel (named {@code ch0}, {@code ch1}... when the message has none)
 * @param units    units per channel ({@code ""} when unknown)
 * @param leads    grids in increasing lead order
 */
public record DecodedForecast(String streamId, Instant basedOnTime, Instant issuedAt, String modelName,
                              String modelVersion, List<String> channels, List<String> units, int c, int h, int w,
                              List<Lead> leads, List<Forecast.Flag> flags) {

    /**
     * One forecast grid; arrays are shared, treat them as read-only.
     *
     * @param valid per cell; invalid cells are masked or non-finite
     */
    public record Lead(Duration lead, Instant validTime, float[] data, boolean[] valid) {
    }

    /** Copies the lists. */
    public DecodedForecast {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(basedOnTime, "basedOnTime");
        channels = List.copyOf(channels);
        units = List.copyOf(units);
        leads = List.copyOf(leads);
        flags = List.copyOf(flags);
    }

    /** Cells per grid, {@code c * h * w}. */
    public int cells() {
        return c * h * w;
    }

    /**
     * Decodes and checks a wire forecast.
     *
     * @throws IllegalArgumentException naming the stream and the field that does not fit the shape
     */
    public static DecodedForecast of(Forecast f) {
        String id = f.getStreamId();
        if (id.isEmpty() || !f.hasBasedOnTime()) {
            throw new IllegalArgumentException("forecast without stream_id or based_on_time");
        }
        int c = f.getShape().getChannels();
        int h = f.getShape().getHeight();
        int w = f.getShape().getWidth();
        if (c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("forecast of stream " + id + ": shape must be positive, got "
                    + c + "x" + h + "x" + w);
        }
        long cells = (long) c * h * w;
        if (f.getChannelsCount() != 0 && f.getChannelsCount() != c) {
            throw new IllegalArgumentException("forecast of stream " + id + ": " + f.getChannelsCount()
                    + " channel names for " + c + " channels");
        }
        if (f.getUnitsCount() != 0 && f.getUnitsCount() != c) {
            throw new IllegalArgumentException("forecast of stream " + id + ": " + f.getUnitsCount()
                    + " units for " + c + " channels");
        }
        Instant basedOn = ProtoTime.toInstant(f.getBasedOnTime());
        List<Lead> leads = new ArrayList<>();
        for (Forecast.Lead l : f.getLeadsList()) {
            if (l.getData().size() != cells * Float.BYTES) {
                throw new IllegalArgumentException("forecast of stream " + id + " at " + basedOn + ": shape "
                        + c + "x" + h + "x" + w + " needs " + cells * Float.BYTES + " data bytes, got "
                        + l.getData().size());
            }
            if (!l.getValidMask().isEmpty() && l.getValidMask().size() != cells) {
                throw new IllegalArgumentException("forecast of stream " + id + " at " + basedOn + ": valid_mask "
                        + "needs " + cells + " bytes or none, got " + l.getValidMask().size());
            }
            Duration lead = ProtoTime.toJavaDuration(l.getLead());
            Instant valid = l.hasValidTime() ? ProtoTime.toInstant(l.getValidTime()) : basedOn.plus(lead);
            float[] data = GridBytes.bytesToFloats(l.getData());
            leads.add(new Lead(lead, valid, data, GridBytes.validity(l.getValidMask(), data)));
        }
        List<String> channels = new ArrayList<>(f.getChannelsList());
        for (int i = channels.size(); i < c; i++) {
            channels.add("ch" + i);
        }
        List<String> units = new ArrayList<>(f.getUnitsList());
        while (units.size() < c) {
            units.add("");
        }
        return new DecodedForecast(id, basedOn, f.hasIssuedAt() ? ProtoTime.toInstant(f.getIssuedAt()) : null,
                f.getModelName(), f.getModelVersion(), channels, units, c, h, w, leads, f.getFlagsList());
    }
}
