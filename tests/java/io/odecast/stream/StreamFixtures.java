package io.odecast.stream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.data.GridShape;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.ProtoTime;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A small random storm-like model, frames, service configuration and topic readers for the stream tests. */
/** Small models, configurations, frames and Kafka helpers for the service's tests (the ops tests use them too). */
public final class StreamFixtures {
    public static final int C = 3;
    public static final int H = 12;
    public static final int W = 12;
    public static final Instant T0 = Instant.parse("1996-01-05T00:00:00Z");
    public static final List<String> CHANNELS = List.of("u", "v", "p");
    /** The local state stores of the tests' services (one folder per instance id inside). */
    static final java.nio.file.Path STATE_DIR = java.nio.file.Path.of("target", "test-state",
            Long.toString(System.nanoTime()));

    private StreamFixtures() {
    }

    /** 3 x 12 x 12, initDim 4, one down-sampling; storm time unit (6 h, scale 0.1). */
    public static VidOdeModel model() {
        ModelCard card = new ModelCard("storm", ModelCard.EXTRAPOLATE, CHANNELS, new float[] {0f, 0f, 1000f},
                new float[] {5f, 5f, 10f}, null, "PT6H", 0.1, null, null, List.of("m s-1", "m s-1", "hPa"));
        return new VidOdeModel(new VidOdeNetwork(ModelConfig.of(C, H, W, 4, 1), 7), card);
    }

    /**
     * Service configuration on topics prefixed {@code prefix}: {@code plain/*} streams forecast every 6 h to
     * +24 h without a cadence, {@code storm/*} the same with a 6 h cadence.
     */
    public static Config config(String bootstrap, String prefix) {
        return ConfigFactory.parseString("""
                odecast {
                  instance-id = "%2$s-1"
                  state-dir = "%3$s"
                  engine.restart-backoff { min = 200ms, max = 2s }
                  kafka {
                    bootstrap-servers = "%1$s"
                    group-id = "%2$s-group"
                    partitions = 3
                    consumer.kafka-clients { session.timeout.ms = 6000 }
                    topics {
                      frames = "%2$s.frames", forecasts = "%2$s.forecasts", regular-frames = "%2$s.regular"
                      state = "%2$s.state", models = "%2$s.models", dead-letters = "%2$s.dlq"
                    }
                  }
                  stream-defaults { model = "storm", forecast { step = 6h, horizon = 24h } }
                  streams = [
                    { pattern = "plain/*" }
                    { pattern = "storm/*", cadence = 6h }
                  ]
                }
                """.formatted(bootstrap, prefix, STATE_DIR.toAbsolutePath()));
    }

    static StreamingService startService(Config config, VidOdeModel model) {
        return StreamingService.builder(config).models(Map.of("storm", model)).start();
    }

    /** A frame of random physical values around the model's means. */
    public static FrameMessage frame(String streamId, Instant t, Random rng) {
        float[] data = new float[C * H * W];
        float[] mean = {0f, 0f, 1000f};
        float[] std = {5f, 5f, 10f};
        for (int i = 0; i < data.length; i++) {
            int c = i / (H * W);
            data[i] = mean[c] + std[c] * (float) rng.nextGaussian();
        }
        return FrameMessage.of(streamId, t, CHANNELS, new GridShape(C, H, W), data);
    }

    /** {@code n} random frames of one stream, 6 h apart from {@link #T0}. */
    public static List<FrameMessage> sixHourly(String streamId, int n, Random rng) {
        List<FrameMessage> frames = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            frames.add(frame(streamId, hours(6 * i), rng));
        }
        return frames;
    }

    public static Instant hours(double h) {
        return T0.plus(Duration.ofMinutes(Math.round(h * 60)));
    }

    public static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return producer(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    /** A producer with {@code properties} (e.g. SASL settings) and {@code acks=all}. */
    public static KafkaProducer<String, byte[]> producer(Map<String, Object> properties) {
        Map<String, Object> p = new java.util.LinkedHashMap<>(properties);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    public static void publish(KafkaProducer<String, byte[]> producer, String topic, List<FrameMessage> frames) {
        for (FrameMessage f : frames) {
            producer.send(new ProducerRecord<>(topic, f.streamId(), FrameCodec.encode(f)));
        }
        producer.flush();
    }

    /**
     * Every committed record of {@code topic}, read from the start until {@code done} holds for them or the time is
     * up.
     */
    static List<ConsumerRecord<String, byte[]>> readUntil(String bootstrap, String topic, Duration timeout,
                                                          java.util.function.Predicate<List<ConsumerRecord<String, byte[]>>> done) {
        return readUntil(bootstrap, topic, timeout, done, Duration.ZERO);
    }

    /**
     * As {@link #readUntil(String, String, Duration, java.util.function.Predicate)}, and once {@code done} holds, on
     * to the partitions' end offsets then and {@code settle} longer: a repeat written by then is among the records
     * (stopping at the poll that reached a count saw only what came first, and a test asserting "exactly N" could
     * not see a repeat).
     */
    static List<ConsumerRecord<String, byte[]>> readUntil(String bootstrap, String topic, Duration timeout,
                                                          java.util.function.Predicate<List<ConsumerRecord<String, byte[]>>> done,
                                                          Duration settle) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(out) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            if (!settle.isZero() && done.test(out)) {
                java.util.Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
                long until = System.nanoTime() + settle.toNanos();
                while (System.nanoTime() < deadline && (System.nanoTime() < until
                        || partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)))) {
                    consumer.poll(Duration.ofMillis(100)).forEach(out::add);
                }
            }
        }
        return out;
    }

    /** At least {@code count} records of {@code topic}, and any written up to a second after they were. */
    static List<ConsumerRecord<String, byte[]>> readAtLeast(String bootstrap, String topic, int count) {
        return readUntil(bootstrap, topic, Duration.ofSeconds(60), records -> records.size() >= count,
                Duration.ofSeconds(1));
    }

    static ForecastMessage forecast(ConsumerRecord<String, byte[]> record) {
        return ForecastCodec.decode(record.value());
    }

    public static void await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        await("the condition", timeout, condition);
    }

    /** Waits for {@code done}, failing with {@code what} after {@code timeout}. */
    public static void await(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** The states after each frame, advancing one frame at a time, as the model alone computes them. */
    static List<StreamState> statesAlone(VidOdeModel model, List<FrameMessage> frames) {
        List<StreamState> states = new ArrayList<>();
        StreamState s = model.emptyState();
        for (FrameMessage f : frames) {
            s = model.advance(List.of(s), List.of(observation(model, f))).get(0);
            states.add(s);
        }
        return states;
    }

    static Observation observation(VidOdeModel model, FrameMessage f) {
        return new Observation(model.card().modelTime(f.eventTime()), f.data(), null);
    }

    /** The model's own frames from {@code state} at {@code times}. */
    static float[][] forecastAlone(VidOdeModel model, StreamState state, List<Instant> times) {
        double[] t = times.stream().mapToDouble(model.card()::modelTime).toArray();
        return model.forecast(List.of(state), new double[][] {t}).get(0);
    }

    /**
     * The largest difference relative to 1 + |expected|: pressure near 1000 hPa has a float32 spacing of 6e-5,
     * so a 1e-5 agreement is checked relative to the value's size.
     */
    /**
     * Every lead of every stream's forecasts, in time order, equals {@code model} run on that stream alone (to 1e-5 of
     * the values), and each stream has exactly one forecast per frame.
     */
    static void assertEachStreamsForecastsEqualTheModelAlone(VidOdeModel model, Map<String, List<FrameMessage>> byStream,
                                                             List<ForecastMessage> forecasts) {
        for (var entry : byStream.entrySet()) {
            List<StreamState> states = statesAlone(model, entry.getValue());
            List<ForecastMessage> mine = forecasts.stream().filter(f -> f.streamId().equals(entry.getKey()))
                    .sorted(java.util.Comparator.comparing(f -> f.basedOnTime())).toList();
            org.junit.jupiter.api.Assertions.assertEquals(states.size(), mine.size(),
                    entry.getKey() + ": one forecast per frame");
            for (int i = 0; i < states.size(); i++) {
                assertForecastFrom(model, states.get(i), mine.get(i), entry.getKey() + " frame " + i);
            }
        }
    }

    /** The forecast equals the model's own, relative difference 1e-5, from the state after exactly {@code frames}. */
    static void assertForecastOf(VidOdeModel model, List<FrameMessage> frames, ForecastMessage f) {
        assertForecastFrom(model, statesAlone(model, frames).get(frames.size() - 1), f, f.streamId());
    }

    private static void assertForecastFrom(VidOdeModel model, StreamState state, ForecastMessage f, String what) {
        List<Instant> grid = f.leads().stream().map(l -> l.validTime()).toList();
        float[][] expected = forecastAlone(model, state, grid);
        for (int k = 0; k < grid.size(); k++) {
            float diff = maxRelDiff(expected[k], f.leads().get(k).data());
            org.junit.jupiter.api.Assertions.assertTrue(diff <= 1e-5f, what + " lead " + k + " differs by " + diff);
        }
    }

    static float maxRelDiff(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            return Float.POSITIVE_INFINITY;
        }
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / (1 + Math.abs(expected[i])));
        }
        return worst;
    }


    static Instant time(com.google.protobuf.Timestamp t) {
        return ProtoTime.toInstant(t);
    }

    /** A wall clock the test moves. */
    static final class ManualClock extends java.time.Clock {
        private volatile Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
