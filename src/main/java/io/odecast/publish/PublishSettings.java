package io.odecast.publish;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link FramePublisher} sends one stream.
 *
 * @param topic             frames topic
 * @param streamId          stream id, the record key and the frame's {@code stream_id}
 * @param timing            pacing of the sends
 * @param dropout           probability in [0, 1) of leaving out each frame after the first sent one
 * @param seed              seed of the dropout's random draws, so that a run can be repeated
 * @param eventTimeShift    added to every event time (e.g. to move an archive to the present)
 * @param rebaseFirstTo     when set, overrides {@code eventTimeShift} so that the first sent frame is at this
 *                          instant (e.g. {@code Instant.now()}); gaps are kept
 * @param sendPartialFrames whether frames where a whole channel is missing are sent with that channel
 *                          invalid; by default they are skipped, as a missing observation
 * @param attributes        free metadata copied into every frame (source file, grid description)
 */
public record PublishSettings(String topic, String streamId, Timing timing, double dropout, long seed,
                              Duration eventTimeShift, Instant rebaseFirstTo, boolean sendPartialFrames,
                              Map<String, String> attributes) {

    /** Checks the fields. */
    public PublishSettings {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(timing, "timing");
        Objects.requireNonNull(eventTimeShift, "eventTimeShift");
        if (topic.isBlank() || streamId.isBlank()) {
            throw new IllegalArgumentException("topic and stream id must not be blank, got '" + topic + "' and '"
                    + streamId + "'");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be a probability in [0, 1), got " + dropout);
        }
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /** Stream {@code streamId} to {@code topic}, as fast as possible, nothing dropped, times unchanged. */
    public static PublishSettings of(String topic, String streamId) {
        return new PublishSettings(topic, streamId, Timing.asFastAsPossible(), 0, 0, Duration.ZERO, null, false,
                Map.of());
    }

    /** The same with another pacing. */
    public PublishSettings withTiming(Timing newTiming) {
        return new PublishSettings(topic, streamId, newTiming, dropout, seed, eventTimeShift, rebaseFirstTo,
                sendPartialFrames, attributes);
    }

    /** The same, leaving out each frame but the first with probability {@code probability}, drawn from {@code randomSeed}. */
    public PublishSettings withDropout(double probability, long randomSeed) {
        return new PublishSettings(topic, streamId, timing, probability, randomSeed, eventTimeShift, rebaseFirstTo,
                sendPartialFrames, attributes);
    }

    /** The same with every event time moved by {@code shift}. */
    public PublishSettings withEventTimeShift(Duration shift) {
        return new PublishSettings(topic, streamId, timing, dropout, seed, shift, null, sendPartialFrames,
                attributes);
    }

    /** The same with event times moved so that the first sent frame is at {@code first}. */
    public PublishSettings withFirstEventTime(Instant first) {
        return new PublishSettings(topic, streamId, timing, dropout, seed, Duration.ZERO, first, sendPartialFrames,
                attributes);
    }

    /** The same, sending (or not) frames where a whole channel is missing. */
    public PublishSettings withPartialFrames(boolean send) {
        return new PublishSettings(topic, streamId, timing, dropout, seed, eventTimeShift, rebaseFirstTo, send,
                attributes);
    }

    /** The same with these frame attributes. */
    public PublishSettings withAttributes(Map<String, String> newAttributes) {
        return new PublishSettings(topic, streamId, timing, dropout, seed, eventTimeShift, rebaseFirstTo,
                sendPartialFrames, newAttributes);
    }
}
