package io.odecast.ops;

import static io.odecast.ops.OpsFixtures.await;
import static io.odecast.ops.OpsFixtures.frame;
import static io.odecast.ops.OpsFixtures.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Timestamp;
import io.odecast.data.TimedFrame;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.RegularFrameCodec;
import io.odecast.kafka.RegularFrameMessage;
import io.odecast.kafka.TopicNames;
import io.odecast.proto.Forecast;
import io.odecast.proto.RegularFrame;
import io.odecast.stream.KafkaSettings;
import io.odecast.stream.ServiceSettings;
import io.odecast.stream.StreamFixtures;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The live page's reader of the output topics ({@link LiveView}) against a real in-process broker, with the records
 * written by the test (no service): a record it cannot read is skipped and counted, never a failure that makes it
 * connect again; a new connection resumes where the reader stopped, so nothing is counted twice; at
 * {@code max-streams} a new stream replaces the one seen least recently.
 */
class LiveViewTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    /**
     * The reviewer's case: a forecast whose based-on time is out of range made the reader fail, connect again every
     * 5 s and read the lookback window again each time (one frame counted 1, 2, 4, 5...). Now it and the other bad
     * records are skipped: the good records after them are shown and every count is exact, on one connection.
     */
    @Test
    void badRecordsAmongGoodOnesAreSkippedAndCountedWithoutReconnecting() throws Exception {
        KafkaSettings settings = kafkaSettings("live-bad");
        TopicNames topics = settings.topics();
        List<LiveView.Change> changes = Collections.synchronizedList(new ArrayList<>());
        Random rng = new Random(5);
        FrameMessage first = frame("storm/a", 0, rng);
        FrameMessage second = frame("storm/a", 6, rng);
        ForecastMessage early = forecast(first, 6);
        ForecastMessage late = forecast(second, 6);
        Forecast wire = ForecastCodec.toProto(early);
        Timestamp tooLate = Timestamp.newBuilder().setSeconds(Long.MAX_VALUE).build();
        RegularFrameMessage filled = new RegularFrameMessage("storm/a", TimedFrame.finite(StreamFixtures.hours(3),
                StreamFixtures.CHANNELS, first.frame().shape(), first.frame().data()), RegularFrame.Flag.FILLED, "v1");
        try (KafkaProducer<String, byte[]> producer = OpsFixtures.producer(kafka.bootstrapServers());
             LiveView view = new LiveView(page(200), topics, settings.consumerProperties(), changes::add)) {
            view.start();
            publish(producer, topics.frames(), List.of(first));
            send(producer, topics.forecasts(), "storm/a", ForecastCodec.encode(early));
            // based_on_time out of range (DateTimeException in java.time)
            send(producer, topics.forecasts(), "storm/a", wire.toBuilder().setBasedOnTime(tooLate).build()
                    .toByteArray());
            // a lead without valid time that overflows the based-on time (based-on + lead)
            send(producer, topics.forecasts(), "storm/a", wire.toBuilder().setLeads(0, wire.getLeads(0).toBuilder()
                    .clearValidTime().setLead(com.google.protobuf.Duration.newBuilder()
                            .setSeconds(Long.MAX_VALUE / 2))).build().toByteArray());
            send(producer, topics.forecasts(), "storm/a", "not a forecast".getBytes(StandardCharsets.UTF_8));
            send(producer, topics.regularFrames(), "storm/a", RegularFrameCodec.toProto(filled).toBuilder()
                    .setTime(tooLate).build().toByteArray());
            send(producer, topics.frames(), "storm/a", null);
            send(producer, topics.forecasts(), "storm/a", ForecastCodec.encode(late));
            send(producer, topics.regularFrames(), "storm/a", RegularFrameCodec.encode(filled));
            publish(producer, topics.frames(), List.of(second));

            await("the good records after the bad ones", WAIT, () -> {
                LiveView.Summary s = only(view);
                return s != null && s.frames() == 2 && s.forecasts() == 2 && s.filled() == 1
                        && view.listing().skipped() == 5;
            });
            // Nothing more comes, and nothing was read twice.
            Thread.sleep(1_000);
            LiveView.Summary s = only(view);
            assertEquals(List.of(2L, 2L, 1L, 1L, 5L), List.of(s.frames(), s.forecasts(), s.filled(),
                    s.scoredLeads(), view.listing().skipped()), s.toString());
            assertEquals(1, view.connections(), "a bad record is no failure of the reader");
            assertEquals(5, changes.size(), "one change per good record: " + changes);
            LiveView.Detail d = view.detail("storm/a").orElseThrow();
            assertEquals(second.eventTime().toString(), d.forecastBasedOn(), "the forecast after the bad ones shown");
            assertEquals(second.eventTime().toString(), d.observedTime());
        }
    }

    /** A new connection (the broker gone and back, say) resumes every partition where the reader stopped. */
    @Test
    void aReconnectResumesWhereTheReaderStoppedAndCountsNothingTwice() throws Exception {
        KafkaSettings settings = kafkaSettings("live-again");
        TopicNames topics = settings.topics();
        List<LiveView.Change> changes = Collections.synchronizedList(new ArrayList<>());
        Random rng = new Random(6);
        List<FrameMessage> frames = List.of(frame("storm/a", 0, rng), frame("storm/a", 6, rng),
                frame("storm/a", 12, rng), frame("storm/a", 18, rng));
        try (KafkaProducer<String, byte[]> producer = OpsFixtures.producer(kafka.bootstrapServers());
             LiveView view = new LiveView(page(200), topics, settings.consumerProperties(), changes::add)) {
            view.start();
            publish(producer, topics.frames(), frames.subList(0, 3));
            send(producer, topics.forecasts(), "storm/a", ForecastCodec.encode(forecast(frames.get(0), 6)));
            await("the first records", WAIT, () -> {
                LiveView.Summary s = only(view);
                return s != null && s.frames() == 3 && s.forecasts() == 1;
            });

            view.reconnect();
            await("a second connection", WAIT, () -> view.connections() == 2);
            publish(producer, topics.frames(), frames.subList(3, 4));
            send(producer, topics.forecasts(), "storm/a", ForecastCodec.encode(forecast(frames.get(2), 6)));
            // Each topic's new record follows its old ones on the same partition: read again, they would come first.
            await("the records after the reconnect", WAIT, () -> {
                LiveView.Summary s = only(view);
                return s != null && s.frames() >= 4 && s.forecasts() >= 2;
            });
            Thread.sleep(1_000);
            LiveView.Summary s = only(view);
            assertEquals(List.of(4L, 2L, 2L), List.of(s.frames(), s.forecasts(), s.scoredLeads()), s.toString());
            assertEquals(6, changes.size(), "one change per record: " + changes);
            assertEquals(0, view.listing().skipped());
        }
    }

    /** At max-streams a new stream takes the place of the one whose last record is the oldest. */
    @Test
    void atMaxStreamsANewStreamReplacesTheStreamSeenLeastRecently() {
        TopicNames topics = TopicNames.defaults();
        List<LiveView.Change> changes = new ArrayList<>();
        Random rng = new Random(7);
        try (LiveView view = new LiveView(page(3), topics, Map.of(), changes::add)) {
            // Not started: records are handed in directly, in this order.
            long[] offset = {0};
            java.util.function.BiConsumer<String, Double> arrive = (id, h) -> view.accept(new ConsumerRecord<>(
                    topics.frames(), 0, offset[0]++, id, FrameCodec.encode(frame(id, h, rng))));
            arrive.accept("s1", 0.0);
            arrive.accept("s2", 0.0);
            arrive.accept("s3", 0.0);
            arrive.accept("s1", 6.0);
            assertEquals(List.of("s1", "s2", "s3"), ids(view));
            arrive.accept("s4", 0.0);
            assertEquals(List.of("s1", "s3", "s4"), ids(view), "s2 was seen least recently");
            assertEquals(1, view.listing().evicted());
            assertEquals(2, view.listing().streams().get(0).frames(), "s1 kept its counts");
            // A forecast counts as seeing its stream too: s3 is now the most recent, s1 the least.
            view.accept(new ConsumerRecord<>(topics.forecasts(), 0, offset[0]++, "s3",
                    ForecastCodec.encode(forecast(frame("s3", 0, rng), 6))));
            arrive.accept("s5", 0.0);
            assertEquals(List.of("s3", "s4", "s5"), ids(view));
            // A stream dropped and back starts afresh.
            arrive.accept("s2", 6.0);
            assertEquals(List.of("s2", "s3", "s5"), ids(view), "s4 was seen least recently");
            assertEquals(1, view.listing().streams().get(0).frames());
            assertEquals(3, view.listing().evicted());
            assertEquals(0, view.listing().skipped());
            assertEquals(8, changes.size(), "every record shown");
        }
    }

    private static List<String> ids(LiveView view) {
        return view.listing().streams().stream().map(LiveView.Summary::id).toList();
    }

    /** The one stream the page shows, or null before it shows one. */
    private static LiveView.Summary only(LiveView view) {
        List<LiveView.Summary> streams = view.listing().streams();
        return streams.size() == 1 ? streams.get(0) : null;
    }

    private static OpsSettings.PageSettings page(int maxStreams) {
        return new OpsSettings.PageSettings(true, Duration.ofHours(1), 12, maxStreams, Duration.ofSeconds(15), 0);
    }

    /** The service tests' Kafka settings on topics prefixed {@code prefix}, with its three output topics made. */
    private static KafkaSettings kafkaSettings(String prefix) throws Exception {
        KafkaSettings settings = ServiceSettings.fromConfig(OpsFixtures.config(kafka.bootstrapServers(), prefix, ""))
                .kafka();
        TopicNames t = settings.topics();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()))) {
            admin.createTopics(List.of(t.frames(), t.forecasts(), t.regularFrames()).stream()
                    .map(name -> new NewTopic(name, 3, (short) 1)).toList()).all().get(30, TimeUnit.SECONDS);
        }
        return settings;
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** A forecast from {@code from} with one lead {@code hours} ahead, the lead's values {@code from}'s. */
    private static ForecastMessage forecast(FrameMessage from, int hours) {
        Instant valid = from.eventTime().plus(Duration.ofHours(hours));
        TimedFrame lead = TimedFrame.finite(valid, from.frame().channels(), from.frame().shape(),
                from.frame().data());
        return new ForecastMessage(from.streamId(), from.eventTime(), Instant.now(), "storm", "v1",
                from.frame().channels(), List.of(), from.frame().shape(),
                List.of(new ForecastMessage.Lead(Duration.ofHours(hours), lead)), List.of(), 0, 0);
    }
}
