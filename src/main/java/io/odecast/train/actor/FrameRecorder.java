package io.odecast.train.actor;

import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameDecodeException;
import io.odecast.kafka.FrameMessage;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the frames topic into the training sets, on its own thread and in its own consumer group (serving's
 * offsets are untouched): each frame of a stream whose model is trained is appended to that model's set, and the
 * group's offsets are committed once a poll's frames are written out (flushed to the operating system). Records that
 * do not decode are skipped here (serving dead-letters them); frames serving would refuse for their shape, channels,
 * units or values are recorded and left out by the training round.
 */
public final class FrameRecorder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FrameRecorder.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final Map<String, TrainingSet> sets;
    private final Function<String, Optional<String>> modelOf;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile long recorded;

    /**
     * @param modelOf the model a stream id uses, empty when no rule matches it
     */
    public FrameRecorder(Map<String, Object> clientProperties, String groupId, int maxMessageBytes, String topic,
                         Map<String, TrainingSet> sets, Function<String, Optional<String>> modelOf) {
        Map<String, Object> c = new LinkedHashMap<>(clientProperties);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(maxMessageBytes));
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        this.topic = topic;
        this.sets = Map.copyOf(sets);
        this.modelOf = modelOf;
        this.thread = new Thread(this::record, "odecast-trainer-recorder");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Frames appended so far. */
    public long recorded() {
        return recorded;
    }

    private void record() {
        try {
            consumer.subscribe(List.of(topic));
            while (!stopping) {
                var polled = consumer.poll(Duration.ofMillis(500));
                java.util.Set<TrainingSet> touched = new java.util.HashSet<>();
                for (ConsumerRecord<String, byte[]> r : polled) {
                    append(r).ifPresent(touched::add);
                }
                // The poll's frames reach the files before its offsets are committed: a kill between the two then
                // records a frame twice (the set keeps one per stream and time), never not at all.
                for (TrainingSet set : touched) {
                    set.flush();
                }
                if (!polled.isEmpty()) {
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                LOG.warn("Frame recorder woken up unexpectedly; it stops");
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("Frame recorder failed; the training sets no longer grow", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Appends a record's frame to its model's set; the set, or empty when the record is skipped. */
    private Optional<TrainingSet> append(ConsumerRecord<String, byte[]> r) throws IOException {
        if (r.value() == null) {
            return Optional.empty();
        }
        FrameMessage frame;
        try {
            frame = FrameCodec.decode(r.value());
        } catch (FrameDecodeException e) {
            return Optional.empty();
        }
        Optional<TrainingSet> set = modelOf.apply(frame.streamId()).map(sets::get);
        if (set.isPresent()) {
            set.get().append(frame);
            recorded++;
        }
        return set;
    }

    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (TrainingSet s : sets.values()) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.warn("Closing training set {}: {}", s.dir(), e.getMessage());
            }
        }
    }
}
