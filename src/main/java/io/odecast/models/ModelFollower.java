package io.odecast.models;

import io.odecast.proto.ModelVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the models topic for a serving instance: {@link #catchUp} reads it to its end and, per name, hands the
 * listener the newest version it can serve (before the instance serves, so a restart serves what the running
 * instances serve: when the newest record is refused, the one before it, and so on), then {@link #start} keeps
 * reading on its own thread and hands over every new record as it comes. A version whose files are not there yet
 * ({@link Outcome#UNAVAILABLE}: a parameters file on a store mount not yet visible here) is handed again every
 * {@link #RETRY_EVERY} until it serves, is refused, or a newer record of its name arrives. The listener loads and
 * checks a version off the consumer loop's thread; it decides what serves.
 */
public final class ModelFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelFollower.class);

    /** How often a version that was unavailable is tried again. */
    static final Duration RETRY_EVERY = Duration.ofSeconds(10);

    /** What became of a version handed to the listener. */
    public enum Outcome {
        /** It serves now (or already did, or no rule uses its model). */
        SERVING,
        /** It failed its checks or cannot be loaded: final for this record. */
        REFUSED,
        /** Its files are not readable here yet: worth trying again. */
        UNAVAILABLE
    }

    /** What a serving instance does with a version it read. */
    public interface Listener {
        Outcome onVersion(ModelVersion version);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicPartition partition;
    private final Duration pollTimeout;
    private final Listener listener;
    private final Thread thread;
    /** Per name, the newest version that was unavailable, to try again (the follower's thread only). */
    private final Map<String, ModelVersion> pending = new LinkedHashMap<>();
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

    /**
     * Reads the topic up to its current end; per name, hands the listener its versions newest first (a rollback's
     * record is its newest) until one serves.
     */
    public void catchUp(Duration timeout) {
        long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
        Map<String, List<ModelVersion>> history = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (consumer.position(partition, timeout) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("reading " + partition + " did not reach its end offset " + end
                        + " within " + timeout);
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(pollTimeout)) {
                ModelTopic.parse(r).ifPresent(v -> history.computeIfAbsent(v.getName(), k -> new ArrayList<>())
                        .add(v));
            }
        }
        history.forEach((name, versions) -> {
            Set<String> tried = new HashSet<>();
            for (int i = versions.size() - 1; i >= 0; i--) {
                ModelVersion v = versions.get(i);
                if (!tried.add(v.getVersion())) {
                    continue;
                }
                Outcome outcome = hand(v);
                if (outcome == Outcome.SERVING) {
                    break;
                }
                if (outcome == Outcome.UNAVAILABLE) {
                    pending.putIfAbsent(name, v);
                }
                if (i > 0) {
                    LOG.warn("Model {}: version {} does not serve here ({}); trying the version before it", name,
                            v.getVersion(), outcome);
                }
            }
        });
    }

    /** Keeps following on its own thread. */
    public void start() {
        thread.start();
    }

    private void follow() {
        try {
            long nextRetry = System.nanoTime() + RETRY_EVERY.toNanos();
            while (!stopping) {
                ConsumerRecords<String, byte[]> polled;
                try {
                    polled = consumer.poll(pollTimeout);
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // The broker away, an authorisation change...: said, and tried again (stopping here would leave
                    // this instance on a stale version without a word).
                    LOG.error("Models follower cannot read {}; trying again in {}: {}", partition, RETRY_EVERY,
                            e.toString());
                    sleep(RETRY_EVERY);
                    continue;
                }
                for (ConsumerRecord<String, byte[]> r : polled) {
                    ModelTopic.parse(r).ifPresent(v -> {
                        pending.remove(v.getName());
                        if (hand(v) == Outcome.UNAVAILABLE) {
                            pending.put(v.getName(), v);
                        }
                    });
                }
                if (!pending.isEmpty() && System.nanoTime() > nextRetry) {
                    pending.values().removeIf(v -> hand(v) != Outcome.UNAVAILABLE);
                    nextRetry = System.nanoTime() + RETRY_EVERY.toNanos();
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

    private void sleep(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (!stopping && System.nanoTime() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private Outcome hand(ModelVersion version) {
        try {
            return listener.onVersion(version);
        } catch (RuntimeException e) {
            LOG.warn("Version {} of model {}: {}", version.getVersion(), version.getName(), e.getMessage(), e);
            return Outcome.REFUSED;
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
