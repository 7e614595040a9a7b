package io.odecast.stream;

import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.RegularFrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.Forecast;
import io.odecast.proto.RegularFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the messages a stream emits: forecasts and regular-cadence frames (encoded by the kafka codecs). */
final class OutputMessages {
    private OutputMessages() {
    }

    /**
     * A forecast from the frame at {@code basedOn}: one lead per grid time.
     *
     * @param valid          validity of the output cells (those of the last frame), null when all are valid
     * @param inputPartition with {@code inputOffset}, the position of the frame it is based on: its identity
     */
    static ForecastMessage forecast(String streamId, String modelName, VidOdeModel model, Instant basedOn,
                                    Instant issuedAt, List<Instant> validTimes, float[][] frames, boolean[] valid,
                                    List<Forecast.Flag> flags, int inputPartition, long inputOffset) {
        List<String> channels = model.card().channels();
        GridShape shape = shape(model.config());
        List<ForecastMessage.Lead> leads = new ArrayList<>(frames.length);
        for (int k = 0; k < frames.length; k++) {
            Instant t = validTimes.get(k);
            leads.add(new ForecastMessage.Lead(Duration.between(basedOn, t),
                    new TimedFrame(t, channels, shape, frames[k], valid, false)));
        }
        return new ForecastMessage(streamId, basedOn, issuedAt, modelName, model.version(), channels, List.of(),
                shape, leads, flags, inputPartition, inputOffset);
    }

    /** A real frame passed through to the regular topic, with the model's channel names when it has none. */
    static RegularFrameMessage observed(FrameMessage frame, ModelCard card) {
        TimedFrame f = frame.frame();
        if (f.channels().isEmpty()) {
            f = new TimedFrame(f.time(), card.channels(), f.shape(), f.data(), f.valid(), f.missing());
        }
        return new RegularFrameMessage(frame.streamId(), f, RegularFrame.Flag.OBSERVED, "");
    }

    /** A frame the model made for a missing cadence tick once the next frame arrived. */
    static RegularFrameMessage filled(String streamId, VidOdeModel model, Instant tick, float[] data,
                                      boolean[] valid) {
        return synthesised(streamId, model, tick, data, valid, RegularFrame.Flag.FILLED);
    }

    /** A frame the model extrapolated for an overdue cadence tick, before any later frame arrived. */
    static RegularFrameMessage provisional(String streamId, VidOdeModel model, Instant tick, float[] data,
                                           boolean[] valid) {
        return synthesised(streamId, model, tick, data, valid, RegularFrame.Flag.PROVISIONAL);
    }

    private static RegularFrameMessage synthesised(String streamId, VidOdeModel model, Instant tick, float[] data,
                                                   boolean[] valid, RegularFrame.Flag flag) {
        TimedFrame f = new TimedFrame(tick, model.card().channels(), shape(model.config()), data, valid, false);
        return new RegularFrameMessage(streamId, f, flag, model.version());
    }

    private static GridShape shape(ModelConfig config) {
        return new GridShape(config.channels(), config.height(), config.width());
    }
}
