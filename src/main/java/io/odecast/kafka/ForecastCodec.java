package io.odecast.kafka;

import com.google.protobuf.ByteString;
import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.proto.Forecast;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Converts between the wire {@link Forecast} and {@link ForecastMessage}, checking what it reads. */
public final class ForecastCodec {
    private ForecastCodec() {
    }

    /** Serialized {@link Forecast} bytes. */
    public static byte[] encode(ForecastMessage forecast) {
        return toProto(forecast).toByteArray();
    }

    /** The wire form; each lead's mask is left empty when every cell is valid. */
    public static Forecast toProto(ForecastMessage f) {
        Forecast.Builder b = Forecast.newBuilder()
                .setStreamId(f.streamId())
                .setInputPartition(f.inputPartition())
                .setInputOffset(f.inputOffset())
                .setBasedOnTime(ProtoTime.toTimestamp(f.basedOnTime()))
                .setModelName(f.modelName())
                .setModelVersion(f.modelVersion())
                .addAllChannels(f.channels())
                .addAllUnits(f.units())
                .setShape(GridBytes.shape(f.shape()))
                .addAllFlags(f.flags());
        if (f.issuedAt() != null) {
            b.setIssuedAt(ProtoTime.toTimestamp(f.issuedAt()));
        }
        boolean[] lastValid = null;
        ByteString lastMask = ByteString.EMPTY;
        for (ForecastMessage.Lead l : f.leads()) {
            boolean[] valid = l.frame().valid();
            if (valid != lastValid) {
                // Leads usually share one mask (the last frame's): encode it once.
                lastMask = valid == null ? ByteString.EMPTY : GridBytes.maskToBytes(valid);
                lastValid = valid;
            }
            b.addLeads(Forecast.Lead.newBuilder()
                    .setLead(ProtoTime.toDuration(l.lead()))
                    .setValidTime(ProtoTime.toTimestamp(l.validTime()))
                    .setData(GridBytes.floatsToBytes(l.data()))
                    .setValidMask(lastMask));
        }
        return b.build();
    }

    /**
     * Parses and checks serialized {@link Forecast} bytes.
     *
     * @throws IllegalArgumentException naming the stream and the field that does not fit, or saying the bytes are
     *                                  not a forecast
     */
    public static ForecastMessage decode(byte[] bytes) {
        return fromProto(Wire.parse(bytes, Forecast.parser(), "Forecast"));
    }

    /** Where a forecast's input frame was read: its identity. */
    public record InputPosition(int partition, long offset) {
    }

    /**
     * The input position of serialized forecast bytes, without decoding the grids.
     *
     * @throws IllegalArgumentException when the bytes are not a forecast
     */
    public static InputPosition inputPosition(byte[] bytes) {
        Forecast f = Wire.parse(bytes, Forecast.parser(), "Forecast");
        return new InputPosition(f.getInputPartition(), f.getInputOffset());
    }

    /**
     * Checks a wire forecast: stream id and based-on time present, positive shape, one channel name and unit per
     * channel (or none; missing names become {@code ch0}, {@code ch1}...), 4 bytes per cell and one mask byte per
     * cell (or none) in every lead, and every time (based-on, issued, each lead and valid time) within
     * {@link Instant}'s range.
     *
     * @throws IllegalArgumentException naming the stream and the field that does not fit the shape, or the time out
     *                                  of range
     */
    public static ForecastMessage fromProto(Forecast f) {
        String id = f.getStreamId();
        if (id.isEmpty() || !f.hasBasedOnTime()) {
            throw new IllegalArgumentException("forecast without stream_id or based_on_time");
        }
        GridShape shape = Wire.shape("forecast of stream " + id, f.getShape());
        int c = shape.channels();
        if (f.getChannelsCount() != 0 && f.getChannelsCount() != c) {
            throw new IllegalArgumentException("forecast of stream " + id + ": " + f.getChannelsCount()
                    + " channel names for " + c + " channels");
        }
        if (f.getUnitsCount() != 0 && f.getUnitsCount() != c) {
            throw new IllegalArgumentException("forecast of stream " + id + ": " + f.getUnitsCount()
                    + " units for " + c + " channels");
        }
        List<String> channels = Wire.channelNames(f.getChannelsList(), c);
        String of = "forecast of stream " + id;
        Instant basedOn = ProtoTime.checkedInstant(of + ": based_on_time", f.getBasedOnTime());
        List<ForecastMessage.Lead> leads = new ArrayList<>();
        for (Forecast.Lead l : f.getLeadsList()) {
            var lead = ProtoTime.checkedDuration(of + " at " + basedOn + ": lead", l.getLead());
            String what = of + " at " + basedOn + ", lead " + lead;
            Instant valid = l.hasValidTime() ? ProtoTime.checkedInstant(what + ": valid_time", l.getValidTime())
                    : ProtoTime.checkedPlus(what + ": valid time", basedOn, lead);
            TimedFrame grid = Wire.grid(what, valid, channels, shape, l.getData(), l.getValidMask());
            leads.add(new ForecastMessage.Lead(lead, grid));
        }
        Instant issuedAt = f.hasIssuedAt() ? ProtoTime.checkedInstant(of + ": issued_at", f.getIssuedAt()) : null;
        return new ForecastMessage(id, basedOn, issuedAt,
                f.getModelName(), f.getModelVersion(), channels, f.getUnitsList(), shape, leads, f.getFlagsList(),
                f.getInputPartition(), f.getInputOffset());
    }
}
