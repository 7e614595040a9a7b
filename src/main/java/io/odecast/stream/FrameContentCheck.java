package io.odecast.stream;

import io.odecast.data.TimedFrame;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks of a frame's content against a model's card that hold whatever the stream's state: channel names
 * (reordered when they are a permutation of the model's), units where both the frame and the card give them, and
 * values within {@code maxStdDevs} of the model's normalisation. Serving runs them on every frame
 * ({@link FrameValidator#check}); the training actor runs them on its recorded frames, so that it trains on what
 * serving would absorb.
 *
 * @param frame  the frame in the model's channel order, or null when it fails
 * @param reason why it fails, or null
 * @param text   what was expected and found, or null
 */
public record FrameContentCheck(FrameMessage frame, DeadLetterReason reason, String text) {

    /** Whether the frame passed. */
    public boolean passed() {
        return frame != null;
    }

    /** Checks {@code frame} (already of the model's shape) against {@code card} of model {@code model}. */
    public static FrameContentCheck of(FrameMessage frame, String model, ModelCard card, double maxStdDevs) {
        String id = frame.streamId();
        if (!frame.channels().isEmpty() && !frame.channels().equals(card.channels())) {
            Set<String> names = new HashSet<>(frame.channels());
            if (names.size() != frame.channels().size() || !names.equals(new HashSet<>(card.channels()))) {
                return failed(DeadLetterReason.WRONG_CHANNELS, "frame of stream " + id + " has channels "
                        + frame.channels() + " but model " + model + " reads " + card.channels());
            }
            frame = reorder(frame, card.channels());
        }
        for (int c = 0; c < frame.units().size(); c++) {
            String unit = frame.units().get(c);
            if (card.knowsUnit(c) && !unit.isBlank() && !unit.equals(card.units().get(c))) {
                return failed(DeadLetterReason.WRONG_CHANNELS, "frame of stream " + id + ": channel "
                        + card.channels().get(c) + " is in " + unit + " but model " + model + " reads "
                        + card.units().get(c));
            }
        }
        float[] mean = card.mean();
        float[] std = card.std();
        int plane = frame.shape().planeSize();
        for (int c = 0; c < frame.shape().channels(); c++) {
            double limit = maxStdDevs * std[c];
            for (int i = c * plane, end = i + plane; i < end; i++) {
                if (frame.valid()[i] && !(Math.abs(frame.data()[i] - mean[c]) <= limit)) {
                    return failed(DeadLetterReason.OUT_OF_RANGE, "frame of stream " + id + " at "
                            + frame.eventTime() + ": channel " + card.channels().get(c) + " has " + frame.data()[i]
                            + " at cell " + (i - c * plane) + ", more than " + maxStdDevs + " standard deviations ("
                            + std[c] + ") from the model's mean " + mean[c]);
                }
            }
        }
        return new FrameContentCheck(frame, null, null);
    }

    private static FrameContentCheck failed(DeadLetterReason reason, String text) {
        return new FrameContentCheck(null, reason, text);
    }

    /** The frame with its channels in {@code order} (a permutation of its own). */
    static FrameMessage reorder(FrameMessage frame, List<String> order) {
        int plane = frame.shape().planeSize();
        float[] data = new float[frame.data().length];
        boolean[] valid = new boolean[frame.valid().length];
        List<String> units = new ArrayList<>();
        for (int c = 0; c < order.size(); c++) {
            int from = frame.channels().indexOf(order.get(c));
            System.arraycopy(frame.data(), from * plane, data, c * plane, plane);
            System.arraycopy(frame.valid(), from * plane, valid, c * plane, plane);
            if (!frame.units().isEmpty()) {
                units.add(frame.units().get(from));
            }
        }
        TimedFrame grid = new TimedFrame(frame.eventTime(), order, frame.shape(), data, valid, false);
        return new FrameMessage(frame.streamId(), grid, units, frame.attributes());
    }
}
