package io.odecast.publish;

import io.odecast.data.FrameSequence;
import io.odecast.data.TimedFrame;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes the frames of one stream to the frames topic as {@code odecast.v1.Frame} messages keyed by stream id.
 *
 * <p>Frames the source marks missing are never sent; frames where a whole channel is missing are skipped too
 * unless {@link PublishSettings#sendPartialFrames()}. Each later frame may be dropped at random, so that a
 * regular archive becomes an irregular stream; the first frame is always sent. Sends are paced by event time
 * ({@link Timing}), measured from the first sent frame, so that pacing does not drift.
 *
 * <pre>{@code
 * try (FramePublisher publisher = FramePublisher.connect(kafka.bootstrapServers())) {
 *     PublishSummary s = publisher.publish(storm, PublishSettings.of("odecast.frames", "storm")
 *             .withDropout(0.3, 42).withTiming(Timing.scaled(3600)));
 * }
 * }</pre>
 */
public final class FramePublisher implements AutoCloseable {
    /** Frames of large grids exceed Kafka's 1 MiB default request size. */
    public static final int MAX_REQUEST_BYTES = 64 * 1024 * 1024;

    /** Waits; replaced in tests so that pacing can be checked without waiting. */
    @FunctionalInterface
    public interface Sleeper {
        /** Waits {@code duration}. */
        void sleep(Duration duration) throws InterruptedException;
    }

    /** A send the broker refused or did not acknowledge: the frame's stream and source time, and why. */
    private record SendFailure(String streamId, Instant time, Exception cause) {
    }

    private final Producer<String, byte[]> producer;
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;

    /** A publisher on {@code producer}, which it closes on {@link #close()}. */
    public FramePublisher(Producer<String, byte[]> producer) {
        this(producer, d -> Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000), System::nanoTime);
    }

    /** A publisher with its own clock and sleeper (tests). */
    public FramePublisher(Producer<String, byte[]> producer, Sleeper sleeper, LongSupplier nanoTime) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** A publisher with its own producer ({@link #producerProperties}) on {@code bootstrapServers}. */
    public static FramePublisher connect(String bootstrapServers) {
        return connect(producerProperties(bootstrapServers));
    }

    /** A publisher with its own producer of {@code properties} ({@link #producerProperties} and more). */
    public static FramePublisher connect(Properties properties) {
        return new FramePublisher(new KafkaProducer<>(properties, new StringSerializer(), new ByteArraySerializer()));
    }

    /**
     * Producer settings: every in-sync replica acknowledges, idempotent retries (no duplicates, order kept)
     * with one request in flight, requests up to {@link #MAX_REQUEST_BYTES} and a buffer that holds at least two of them.
     */
    public static Properties producerProperties(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_REQUEST_BYTES));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(2L * MAX_REQUEST_BYTES));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        // One request in flight: a batch refused while a fresh topic's leader settles cannot be overtaken, which
        // otherwise can leave the idempotent producer retrying OUT_OF_ORDER_SEQUENCE_NUMBER until it expires.
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "odecast-publish");
        return p;
    }

    /** Publishes every frame of {@code sequence}, with its units and fill value. */
    public PublishSummary publish(FrameSequence sequence, PublishSettings settings) {
        List<String> units = sequence.units() == null ? List.of() : Arrays.asList(sequence.units());
        return publish(sequence.frames().iterator(), units, sequence.fillValue(), settings);
    }

    /**
     * Publishes frames as they come from {@code frames}, in increasing time order, and waits until the broker
     * has acknowledged every one.
     *
     * @param units     one per channel, or empty
     * @param fillValue the source's fill value, or NaN
     * @throws PublishException when a send fails or the thread is interrupted; frames sent before stay sent
     */
    public PublishSummary publish(Iterator<TimedFrame> frames, List<String> units, double fillValue,
                                  PublishSettings settings) {
        Random random = new Random(settings.seed());
        AtomicReference<SendFailure> failure = new AtomicReference<>();
        List<Instant> sentTimes = new ArrayList<>();
        int dropped = 0;
        int skipped = 0;
        Instant firstSource = null;
        Duration shift = settings.eventTimeShift();
        long startNanos = 0;
        while (frames.hasNext()) {
            TimedFrame frame = frames.next();
            boolean missing = settings.sendPartialFrames() ? frame.missing()
                    : TimedFrameEncoder.hasMissingChannel(frame);
            if (missing) {
                skipped++;
                continue;
            }
            if (firstSource == null) {
                firstSource = frame.time();
                startNanos = nanoTime.getAsLong();
                if (settings.rebaseFirstTo() != null) {
                    shift = Duration.between(firstSource, settings.rebaseFirstTo());
                }
            } else {
                if (random.nextDouble() < settings.dropout()) {
                    dropped++;
                    continue;
                }
                awaitSendTime(startNanos, settings.timing().wallOffset(Duration.between(firstSource, frame.time())),
                        settings, frame);
            }
            throwIfFailed(failure, settings, frame);
            Instant eventTime = frame.time().plus(shift);
            byte[] value = TimedFrameEncoder.encode(settings.streamId(), frame, eventTime, units, fillValue,
                    settings.attributes());
            // The callback runs later, on the producer's thread: it names the frame whose send failed.
            Instant time = frame.time();
            try {
                producer.send(new ProducerRecord<>(settings.topic(), settings.streamId(), value), (meta, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, new SendFailure(settings.streamId(), time, e));
                    }
                });
            } catch (RuntimeException e) {
                throw new PublishException(what(settings, frame) + ": " + e.getMessage(), e);
            }
            sentTimes.add(eventTime);
        }
        producer.flush();
        SendFailure f = failure.get();
        if (f != null) {
            throw new PublishException(what(f, settings.topic()) + " (one of the " + sentTimes.size()
                    + " frames sent): " + f.cause().getMessage(), f.cause());
        }
        return new PublishSummary(sentTimes.size(), dropped, skipped, sentTimes);
    }

    private void awaitSendTime(long startNanos, Duration offset, PublishSettings settings, TimedFrame frame) {
        long wait = startNanos + offset.toNanos() - nanoTime.getAsLong();
        if (wait <= 0) {
            return;
        }
        try {
            sleeper.sleep(Duration.ofNanos(wait));
        } catch (InterruptedException e) {
            // Flushed before the flag is set again: with the flag set, flush() throws InterruptException at once
            // while records are pending, and close() would then abort them.
            producer.flush();
            Thread.currentThread().interrupt();
            throw new PublishException(what(settings, frame) + ": interrupted while waiting to send", e);
        }
    }

    private static void throwIfFailed(AtomicReference<SendFailure> failure, PublishSettings settings,
                                      TimedFrame frame) {
        SendFailure f = failure.get();
        if (f != null) {
            throw new PublishException(what(f, settings.topic()) + " (noticed before sending the frame at "
                    + frame.time() + "): " + f.cause().getMessage(), f.cause());
        }
    }

    private static String what(PublishSettings settings, TimedFrame frame) {
        return "cannot publish frame of stream " + settings.streamId() + " at " + frame.time() + " to topic "
                + settings.topic();
    }

    private static String what(SendFailure f, String topic) {
        return "cannot publish frame of stream " + f.streamId() + " at " + f.time() + " to topic " + topic;
    }

    /** Closes the producer, waiting for outstanding sends. */
    @Override
    public void close() {
        producer.close();
    }
}
