package io.odecast.models;

import io.odecast.proto.ModelVersion;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the models topic for a serving instance: {@link #catchUp} reads it to its end and hands the latest
 * version of each name to the listener (before the instance serves, so a restart serves what was last published),
 * then {@link #start} keeps reading on its own thread and hands over every new record as it comes. The listener
 * loads and checks a version off the consumer loop's thread; it decides what serves.
 */
public final class ModelFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelFollower.class);

    /** What a serving instance does with a version it read. */
    public interface Listener {
        void onVersion(ModelVersion version);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicPartition partition;
    private final Duration pollTimeout;
    private final Listener listener;
    private final Thread thread;
    private volatile boolean stopping;

    public ModelFollower(ModelTopic topic, Map<String, Object> clientProperties, int maxMessageBytes,
                         Duration pollTimeout, Listener listener, String instanceId) {
        this.consumer = ModelTopic.consumer(clientProperties, maxMessageBytes);
        this.partition = new TopicPartition(topic.topic(), 0);
        this.pollTimeout = pollTimeout;
        this.listener = listener;
        this.thread = new Thread(this::follow, "odecast-models-" + instanceId);
        this.thread.setDaemon(true);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
    }

    /** Reads the topic up to its current end; hands the latest version of each name to the listener. */
    public void catchUp(Duration timeout) {
        long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
        Map<String, ModelVersion> latest = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (consumer.position(partition, timeout) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("reading " + partition + " did not reach its end offset " + end
                        + " within " + timeout);
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(pollTimeout)) {
                ModelTopic.parse(r).ifPresent(v -> latest.put(v.getName(), v));
            }
        }
        latest.values().forEach(this::hand);
    }

    /** Keeps following on its own thread. */
    public void start() {
        thread.start();
    }

    private void follow() {
        try {
            while (!stopping) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(pollTimeout)) {
                    ModelTopic.parse(r).ifPresent(this::hand);
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                LOG.warn("Models follower woken up unexpectedly; it stops", e);
            }
        } catch (RuntimeException e) {
            LOG.error("Models follower failed; this instance no longer hears of new model versions", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void hand(ModelVersion version) {
        try {
            listener.onVersion(version);
        } catch (RuntimeException e) {
            LOG.warn("Version {} of model {}: {}", version.getVersion(), version.getName(), e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        stopping = true;
        if (thread.isAlive()) {
            consumer.wakeup();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
