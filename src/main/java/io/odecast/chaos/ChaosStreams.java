package io.odecast.chaos;

import io.odecast.data.FrameSequence;
import io.odecast.data.GridShape;
import io.odecast.data.TimedFrame;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameDecodeException;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.publish.TimedFrameEncoder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The streams a chaos run publishes: {@code storm/chaos-00}, {@code storm/chaos-01}, ..., each a regular stream
 * starting at 1996-01-05T00Z with a 6 h step and no gap. Stream k's frame i holds the real storm analysis
 * {@code (i + k) mod N} (the data shifted by k frames per stream, wrapping around; analyses with no valid cell
 * are left out of the rotation), or, without the data, values drawn around the model card's mean and std.
 *
 * @param frames  per stream, the frames as the service decodes them (for the uninterrupted run)
 * @param encoded per stream, the serialized Frame values to publish, in the same order
 * @param source  where the values come from, for the report
 */
public record ChaosStreams(Map<String, List<FrameMessage>> frames, Map<String, List<byte[]>> encoded, String source) {
    /** Event time of every stream's first frame. */
    public static final Instant START = Instant.parse("1996-01-05T00:00:00Z");
    /** Spacing of every stream. */
    public static final Duration STEP = Duration.ofHours(6);

    /** The id of stream {@code k}. */
    public static String streamId(int k) {
        return String.format(Locale.ROOT, "storm/chaos-%02d", k);
    }

    /** Streams of real storm analyses. */
    public static ChaosStreams storm(FrameSequence sequence, int streams, int framesPerStream) {
        List<TimedFrame> pool = sequence.frames().stream().filter(f -> !f.missing()).toList();
        if (pool.isEmpty()) {
            throw new IllegalArgumentException("the storm data has no usable frame");
        }
        List<String> units = sequence.units() == null ? List.of() : Arrays.asList(sequence.units());
        Map<String, List<FrameMessage>> frames = new LinkedHashMap<>();
        Map<String, List<byte[]>> encoded = new LinkedHashMap<>();
        for (int k = 0; k < streams; k++) {
            String id = streamId(k);
            List<FrameMessage> decoded = new ArrayList<>();
            List<byte[]> bytes = new ArrayList<>();
            for (int i = 0; i < framesPerStream; i++) {
                TimedFrame source = pool.get((i + k) % pool.size());
                byte[] value = TimedFrameEncoder.encode(id, source, START.plus(STEP.multipliedBy(i)), units,
                        sequence.fillValue(), Map.of("source", sequence.name() + "@" + source.time()));
                bytes.add(value);
                decoded.add(decode(value));
            }
            frames.put(id, decoded);
            encoded.put(id, bytes);
        }
        return new ChaosStreams(frames, encoded, "storm analyses " + sequence.name() + " (" + pool.size()
                + " usable frames), stream k shifted by k frames");
    }

    /** Streams of values drawn around the card's mean and std (each cell independent), seeded. */
    public static ChaosStreams synthetic(ModelCard card, int height, int width, int streams, int framesPerStream,
                                         long seed) {
        int c = card.channels().size();
        Map<String, List<FrameMessage>> frames = new LinkedHashMap<>();
        Map<String, List<byte[]>> encoded = new LinkedHashMap<>();
        for (int k = 0; k < streams; k++) {
            String id = streamId(k);
            Random rng = new Random(seed * 1_000_003L + k);
            List<FrameMessage> decoded = new ArrayList<>();
            List<byte[]> bytes = new ArrayList<>();
            for (int i = 0; i < framesPerStream; i++) {
                float[] data = new float[c * height * width];
                for (int j = 0; j < data.length; j++) {
                    int ch = j / (height * width);
                    data[j] = card.mean()[ch] + card.std()[ch] * (float) rng.nextGaussian();
                }
                FrameMessage f = FrameMessage.of(id, START.plus(STEP.multipliedBy(i)), card.channels(),
                        new GridShape(c, height, width), data);
                byte[] value = FrameCodec.encode(f);
                bytes.add(value);
                decoded.add(decode(value));
            }
            frames.put(id, decoded);
            encoded.put(id, bytes);
        }
        return new ChaosStreams(frames, encoded, "synthetic, around the card's mean and std (seed " + seed + ")");
    }

    /** Total frames over all streams. */
    public int totalFrames() {
        return encoded.values().stream().mapToInt(List::size).sum();
    }

    private static FrameMessage decode(byte[] value) {
        try {
            return FrameCodec.decode(value);
        } catch (FrameDecodeException e) {
            throw new IllegalStateException("a chaos frame does not decode: " + e.getMessage(), e);
        }
    }
}
