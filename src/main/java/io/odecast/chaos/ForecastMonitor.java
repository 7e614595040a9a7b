package io.odecast.chaos;

import io.odecast.kafka.ForecastCodec;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * Follows the forecasts topic live (read_committed) while the run goes on, so the harness knows when a restarted
 * service has issued its first forecast and when the output has stopped growing. The verdict comes from a fresh
 * read at the end, not from this.
 */
final class ForecastMonitor implements AutoCloseable {
    private final String bootstrap;
    private final String topic;
    private final Thread thread;
    private final Set<ForecastKey> keys = ConcurrentHashMap.newKeySet();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong latestTimestamp = new AtomicLong(Long.MIN_VALUE);
    private volatile long lastGrowthNanos = System.nanoTime();
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;

    ForecastMonitor(String bootstrap, String topic) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.thread = new Thread(this::loop, "odecast-chaos-monitor");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    long records() {
        return records.get();
    }

    /** Whether a forecast record stamped at or after {@code millis} has been seen. */
    boolean hasForecastSince(long millis) {
        return latestTimestamp.get() >= millis;
    }

    /** Whether every one of {@code expected} has been seen. */
    boolean seenAll(Collection<ForecastKey> expected) {
        return keys.containsAll(expected);
    }

    /** When the record count last grew ({@link System#nanoTime()}). */
    long lastGrowthNanos() {
        return lastGrowthNanos;
    }

    private void loop() {
        try (KafkaConsumer<String, byte[]> c = ChaosKafka.consumer(bootstrap)) {
            consumer = c;
            List<TopicPartition> partitions = null;
            while (running && partitions == null) {
                try {
                    partitions = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                            .map(i -> new TopicPartition(topic, i.partition())).toList();
                } catch (WakeupException e) {
                    return;
                } catch (RuntimeException e) {
                    sleep();
                }
            }
            if (partitions == null) {
                return;
            }
            c.assign(partitions);
            c.seekToBeginning(partitions);
            while (running) {
                try {
                    int n = 0;
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                        n++;
                        latestTimestamp.accumulateAndGet(r.timestamp(), Math::max);
                        try {
                            keys.add(ForecastKey.of(ForecastCodec.decode(r.value())));
                        } catch (Exception e) {
                            // Not a forecast: counted, not keyed; the verifier reports it.
                        }
                    }
                    if (n > 0) {
                        records.addAndGet(n);
                        lastGrowthNanos = System.nanoTime();
                    }
                } catch (WakeupException e) {
                    return;
                } catch (RuntimeException e) {
                    // The broker may be down (outage scenario); keep trying.
                    sleep();
                }
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
