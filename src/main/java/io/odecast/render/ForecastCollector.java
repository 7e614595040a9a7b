package io.odecast.render;

import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.RegularFrameCodec;
import io.odecast.kafka.RegularFrameMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the forecasts topic (and optionally the regular-frames topic) from the beginning, without a consumer
 * group, either up to the end offsets seen at the start or for a fixed time, and decodes the records.
 *
 * <pre>{@code
 * try (ForecastCollector collector = ForecastCollector.connect(bootstrap)) {
 *     CollectedForecasts all = collector.collectToEnd("odecast.forecasts", null, Duration.ofMinutes(1));
 * }
 * }</pre>
 */
public final class ForecastCollector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ForecastCollector.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Consumer<String, byte[]> consumer;

    /** A collector on {@code consumer}, which it closes on {@link #close()}. */
    public ForecastCollector(Consumer<String, byte[]> consumer) {
        this.consumer = Objects.requireNonNull(consumer, "consumer");
    }

    /** A collector with its own consumer ({@link #consumerProperties}). */
    public static ForecastCollector connect(String bootstrapServers) {
        return new ForecastCollector(new KafkaConsumer<>(consumerProperties(bootstrapServers),
                new StringDeserializer(), new ByteArrayDeserializer()));
    }

    /**
     * Consumer settings: no group and no commits (the collector assigns partitions itself), committed records
     * only, and fetches large enough for big forecasts.
     */
    public static Properties consumerProperties(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(64 * 1024 * 1024));
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(128 * 1024 * 1024));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "odecast-render");
        return p;
    }

    /**
     * Reads every record present when the call starts.
     *
     * @param regularTopic the regular-frames topic, or {@code null} to skip it
     * @param timeout      how long to try before giving up
     * @throws IllegalStateException when a topic does not exist or the end is not reached in time
     */
    public CollectedForecasts collectToEnd(String forecastsTopic, String regularTopic, Duration timeout) {
        return collect(forecastsTopic, regularTopic, timeout, true);
    }

    /** Reads from the beginning for {@code duration}, including records that arrive meanwhile. */
    public CollectedForecasts collectFor(String forecastsTopic, String regularTopic, Duration duration) {
        return collect(forecastsTopic, regularTopic, duration, false);
    }

    private CollectedForecasts collect(String forecastsTopic, String regularTopic, Duration limit, boolean toEnd) {
        List<TopicPartition> partitions = new ArrayList<>(partitions(forecastsTopic, limit));
        if (regularTopic != null) {
            partitions.addAll(partitions(regularTopic, limit));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = toEnd ? consumer.endOffsets(partitions, limit) : Map.of();
        Map<String, TreeMap<Instant, ForecastMessage>> forecasts = new HashMap<>();
        Map<String, TreeMap<Instant, RegularFrameMessage>> regular = new HashMap<>();
        int undecodable = 0;
        long deadline = System.nanoTime() + limit.toNanos();
        while (!toEnd || !reachedEnd(end)) {
            if (System.nanoTime() >= deadline) {
                if (toEnd) {
                    throw new IllegalStateException("timed out after " + limit.toSeconds() + " s reading "
                            + partitions + " to their end offsets " + end + "; is the broker reachable?");
                }
                break;
            }
            for (ConsumerRecord<String, byte[]> r : consumer.poll(POLL)) {
                try {
                    if (r.topic().equals(forecastsTopic)) {
                        ForecastMessage f = ForecastCodec.decode(r.value());
                        forecasts.computeIfAbsent(f.streamId(), k -> new TreeMap<>()).put(f.basedOnTime(), f);
                    } else {
                        RegularFrameMessage g = RegularFrameCodec.decode(r.value());
                        regular.computeIfAbsent(g.streamId(), k -> new TreeMap<>()).put(g.time(), g);
                    }
                } catch (Exception e) {
                    undecodable++;
                    LOG.warn("Skipping record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                }
            }
        }
        SortedMap<String, List<ForecastMessage>> f = new TreeMap<>();
        forecasts.forEach((k, v) -> f.put(k, List.copyOf(v.values())));
        SortedMap<String, List<RegularFrameMessage>> g = new TreeMap<>();
        regular.forEach((k, v) -> g.put(k, List.copyOf(v.values())));
        return new CollectedForecasts(f, g, undecodable);
    }

    private List<TopicPartition> partitions(String topic, Duration timeout) {
        var infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalStateException("topic " + topic + " does not exist (or has no partitions)");
        }
        return infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }

    private boolean reachedEnd(Map<TopicPartition, Long> end) {
        for (var e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Closes the consumer. */
    @Override
    public void close() {
        consumer.close();
    }
}
