package io.odecast.stream;

import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.GridBytes;
import io.odecast.kafka.ProtoTime;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.Forecast;
import io.odecast.proto.GridShape;
import io.odecast.proto.RegularFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Builds the wire messages a stream emits: forecasts and regular-cadence frames. */
final class OutputMessages {
    private OutputMessages() {
    }

    /**
     * A forecast from the frame at {@code basedOn}: one lead per grid time.
     *
     * @param valid          validity of the output cells (those of the last frame), null when all are valid
     * @param inputPartition with {@code inputOffset}, the position of the frame it is based on: its identity
     */
    static Forecast forecast(String streamId, String modelName, VidOdeModel model, Instant basedOn, Instant issuedAt,
                             List<Instant> validTimes, float[][] frames, boolean[] valid, List<Forecast.Flag> flags,
                             int inputPartition, long inputOffset) {
        Forecast.Builder b = Forecast.newBuilder()
                .setStreamId(streamId)
                .setInputPartition(inputPartition)
                .setInputOffset(inputOffset)
                .setBasedOnTime(ProtoTime.toTimestamp(basedOn))
                .setModelName(modelName)
                .setModelVersion(model.version())
                .setIssuedAt(ProtoTime.toTimestamp(issuedAt))
                .addAllChannels(model.card().channels())
                .setShape(shape(model.config()))
                .addAllFlags(flags);
        var mask = valid == null ? com.google.protobuf.ByteString.EMPTY : GridBytes.maskToBytes(valid);
        for (int k = 0; k < frames.length; k++) {
            Instant t = validTimes.get(k);
            b.addLeads(Forecast.Lead.newBuilder()
                    .setLead(ProtoTime.toDuration(Duration.between(basedOn, t)))
                    .setValidTime(ProtoTime.toTimestamp(t))
                    .setData(GridBytes.floatsToBytes(frames[k]))
                    .setValidMask(mask));
        }
        return b.build();
    }

    /** A real frame passed through to the regular topic. */
    static RegularFrame observed(FrameMessage frame, ModelCard card) {
        return RegularFrame.newBuilder()
                .setStreamId(frame.streamId())
                .setTime(ProtoTime.toTimestamp(frame.eventTime()))
                .setData(GridBytes.floatsToBytes(frame.data()))
                .setValidMask(GridBytes.maskToBytes(frame.valid()))
                .setFlag(RegularFrame.Flag.OBSERVED)
                .addAllChannels(frame.channels().isEmpty() ? card.channels() : frame.channels())
                .setShape(GridShape.newBuilder().setChannels(frame.c()).setHeight(frame.h()).setWidth(frame.w()))
                .build();
    }

    /** A frame the model made for a missing cadence tick once the next frame arrived. */
    static RegularFrame filled(String streamId, VidOdeModel model, Instant tick, float[] data, boolean[] valid) {
        return synthesised(streamId, model, tick, data, valid, RegularFrame.Flag.FILLED);
    }

    /** A frame the model extrapolated for an overdue cadence tick, before any later frame arrived. */
    static RegularFrame provisional(String streamId, VidOdeModel model, Instant tick, float[] data, boolean[] valid) {
        return synthesised(streamId, model, tick, data, valid, RegularFrame.Flag.PROVISIONAL);
    }

    private static RegularFrame synthesised(String streamId, VidOdeModel model, Instant tick, float[] data,
                                            boolean[] valid, RegularFrame.Flag flag) {
        return RegularFrame.newBuilder()
                .setStreamId(streamId)
                .setTime(ProtoTime.toTimestamp(tick))
                .setData(GridBytes.floatsToBytes(data))
                .setValidMask(valid == null ? com.google.protobuf.ByteString.EMPTY : GridBytes.maskToBytes(valid))
                .setFlag(flag)
                .setModelVersion(model.version())
                .addAllChannels(model.card().channels())
                .setShape(shape(model.config()))
                .build();
    }

    private static GridShape shape(ModelConfig config) {
        return GridShape.newBuilder().setChannels(config.channels()).setHeight(config.height())
                .setWidth(config.width()).build();
    }
}
