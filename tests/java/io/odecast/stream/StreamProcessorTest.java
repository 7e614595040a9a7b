package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.C;
import static io.odecast.stream.StreamFixtures.CHANNELS;
import static io.odecast.stream.StreamFixtures.H;
import static io.odecast.stream.StreamFixtures.W;
import static io.odecast.stream.StreamFixtures.forecastAlone;
import static io.odecast.stream.StreamFixtures.frame;
import static io.odecast.stream.StreamFixtures.hours;
import static io.odecast.stream.StreamFixtures.maxRelDiff;
import static io.odecast.stream.StreamFixtures.statesAlone;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.odecast.data.GridShape;
import io.odecast.kafka.DeadLetterCodec;
import io.odecast.kafka.DeadLetterMessage;
import io.odecast.kafka.DeadLetterPublisher;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameCodec;
import io.odecast.kafka.FrameMessage;
import io.odecast.kafka.RegularFrameCodec;
import io.odecast.kafka.RegularFrameMessage;
import io.odecast.eval.FlowBaselines;
import io.odecast.model.Blend;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeNetwork;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.Forecast;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream core without Kafka, in the manner of pekko-connectors-kafka's testkit: hand-made consumer records in,
 * the records it would produce out, the model run directly by a {@link BatchRunner}. One test per branch: accept,
 * every reject reason (each leaving its stream untouched), long gap, gap fill, provisional frame, eviction and
 * return, restore-skip and replay after assignment.
 */
class StreamProcessorTest {
    private static final float TOLERANCE = 1e-5f;
    private static final String TOPIC = "t.frames";
    private static final Instant WALL = Instant.parse("2026-06-01T00:00:00Z");
    private static VidOdeModel model;

    @TempDir
    Path dir;
    private ServiceMetrics metrics;
    private ServiceMetrics.EngineGauges gauges;
    private SnapshotStore store;
    private StreamProcessor processor;
    private Map<Integer, PartitionTask> tasks;
    private long offset;

    @BeforeAll
    static void loadModel() {
        model = StreamFixtures.model();
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    @BeforeEach
    void setUp() {
        metrics = new ServiceMetrics();
        gauges = metrics.engineGauges();
        store = new SnapshotStore(dir);
        processor = processor("");
        tasks = new HashMap<>(Map.of(0, new PartitionTask(0, 0, 0, -1)));
        // As the engine marks it when every fetched frame of the partition is in the step: as if at every step.
        tasks.get(0).caughtUpAt = Instant.MAX;
        offset = 0;
    }

    private StreamProcessor processor(String extra) {
        return processor(extra, Map.of("storm", model));
    }

    private StreamProcessor processor(String extra, Map<String, VidOdeModel> models) {
        return processor(extra, models, StreamStep::baselines);
    }

    private StreamProcessor processor(String extra, Map<String, VidOdeModel> models,
                                      java.util.function.Function<StreamStep.Plan, StreamStep.Baselines> baselines) {
        ServiceSettings settings = ServiceSettings.fromConfig(ConfigFactory.load(ConfigFactory.parseString(extra)
                .withFallback(ConfigFactory.parseString("odecast.streams = [{ pattern = \"plain/*\" },"
                        + " { pattern = \"storm/*\", cadence = 6h, max-wait = 1h },"
                        + " { pattern = \"gap/*\", max-gap = 7d }]"))
                .withFallback(StreamFixtures.config("127.0.0.1:1", "t"))));
        StreamCatalog catalog = new StreamCatalog(settings.streams(),
                new ModelRegistry(settings.modelsDir(), models));
        BatchRunner runner = new BatchRunner(settings.decoder().maxBatch(), metrics);
        return new StreamProcessor(settings, catalog,
                (steps, fills) -> java.util.concurrent.CompletableFuture.completedFuture(
                        new DecoderActor.Results(runner.steps(steps), runner.fills(fills))), metrics,
                new DeadLetterPublisher(settings.kafka().topics().deadLetters(), Clock.systemUTC(),
                        settings.input().deadLetterValueBytes()), store, new ModelSwaps(), gauges, baselines);
    }

    private ConsumerRecord<String, byte[]> record(String key, byte[] value, Instant timestamp) {
        return new ConsumerRecord<>(TOPIC, 0, offset++, timestamp.toEpochMilli(), TimestampType.CREATE_TIME, -1,
                value == null ? -1 : value.length, key, value, new RecordHeaders(), Optional.empty());
    }

    private ConsumerRecord<String, byte[]> record(FrameMessage f) {
        return record(f.streamId(), FrameCodec.encode(f), WALL);
    }

    private List<ProducerRecord<String, byte[]>> process(List<ConsumerRecord<String, byte[]>> records)
            throws Exception {
        return processor.process(records, tasks, WALL);
    }

    private static List<ForecastMessage> forecasts(List<ProducerRecord<String, byte[]>> out) throws Exception {
        List<ForecastMessage> list = new ArrayList<>();
        for (ProducerRecord<String, byte[]> r : out) {
            if (r.topic().endsWith(".forecasts")) {
                list.add(ForecastCodec.decode(r.value()));
            }
        }
        return list;
    }

    private static List<DeadLetterMessage> deadLetters(List<ProducerRecord<String, byte[]>> out) {
        List<DeadLetterMessage> list = new ArrayList<>();
        for (ProducerRecord<String, byte[]> r : out) {
            if (r.topic().endsWith(".dlq")) {
                list.add(DeadLetterCodec.decode(r.value()));
            }
        }
        return list;
    }

    private static List<RegularFrameMessage> regular(List<ProducerRecord<String, byte[]>> out) {
        return out.stream().filter(r -> r.topic().endsWith(".regular")).map(r -> {
            return RegularFrameCodec.decode(r.value());
        }).toList();
    }

    /** The forecast equals the model's own from the state after exactly {@code frames} (a fresh state before). */
    private static void assertForecastOf(List<FrameMessage> frames, ForecastMessage f) {
        StreamFixtures.assertForecastOf(model, frames, f);
    }

    private static List<FrameMessage> frames(String id, Random rng, double... hours) {
        List<FrameMessage> out = new ArrayList<>();
        for (double h : hours) {
            out.add(frame(id, hours(h), rng));
        }
        return out;
    }

    @Test
    void acceptedFramesOfManyStreamsGetOneForecastEachInOrderEqualToTheModelAlone() throws Exception {
        Random rng = new Random(1);
        List<FrameMessage> a = frames("plain/a", rng, 0, 6, 13);
        List<FrameMessage> b = frames("plain/b", rng, 0, 30);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        records.add(record(a.get(0)));
        records.add(record(b.get(0)));
        records.add(record(a.get(1)));
        records.add(record(a.get(2)));
        records.add(record(b.get(1)));
        List<ForecastMessage> out = forecasts(process(records));
        assertEquals(5, out.size());
        List<ForecastMessage> ofA = out.stream().filter(f -> f.streamId().equals("plain/a")).toList();
        assertEquals(List.of(hours(0), hours(6), hours(13)), ofA.stream().map(f -> f.basedOnTime()).toList());
        assertForecastOf(a, ofA.get(2));
        assertForecastOf(b, out.stream().filter(f -> f.streamId().equals("plain/b")).toList().get(1));
        assertEquals(List.of(Forecast.Flag.WARMING_UP), ofA.get(0).flags());
        assertEquals(3, ofA.get(2).inputOffset());
        // Processed in waves (a0 b0, a1 b1, a2), emitted in input order: the partition's last forecast is its newest
        // input, which an at-least-once restart reads from the topic's tail to flag repeats.
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), out.stream().map(ForecastMessage::inputOffset).toList());
        assertEquals(5, tasks.get(0).nextOffset);
        assertEquals(2, tasks.get(0).active.size());
    }

    @Test
    void everyRejectedRecordGoesToTheDeadLetterTopicWithItsReasonAndLeavesTheStreamUntouched() throws Exception {
        Random rng = new Random(2);
        List<FrameMessage> good = frames("plain/c", rng, 0, 6, 12);
        float[] huge = new float[C * H * W];
        Arrays.fill(huge, 3e38f);
        byte[] wide = FrameCodec.encode(FrameMessage.of("plain/c", hours(7), CHANNELS, new GridShape(C, H, 4 * W + 4000),
                new float[C * H * (4 * W + 4000)]));
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        records.add(record(good.get(0)));
        records.add(record(good.get(1)));
        records.add(record("plain/c", new byte[] {1, 2, 3, 4, 5}, WALL));
        records.add(record("plain/c", wide, WALL));
        records.add(record("plain/other", FrameCodec.encode(frame("plain/c", hours(8), rng)), WALL));
        records.add(record(frame("nobody/x", hours(8), rng)));
        records.add(record(FrameMessage.of("plain/c", hours(9), List.of("u", "v", "t"), new GridShape(C, H, W),
                frame("plain/c", hours(9), rng).data())));
        records.add(record(FrameMessage.of("plain/c", hours(10), CHANNELS, new GridShape(C, H, W), huge)));
        FrameMessage inPascal = frame("plain/c", hours(10.5), rng);
        records.add(record(new FrameMessage("plain/c", inPascal.frame(), List.of("m s-1", "m s-1", "Pa"), Map.of())));
        records.add(record("plain/c", FrameCodec.encode(frame("plain/c", Instant.parse("2100-01-01T00:00:00Z"),
                rng)), WALL));
        records.add(record(frame("plain/c", hours(3), rng)));
        records.add(record(good.get(2)));
        List<ProducerRecord<String, byte[]>> out = process(records);
        List<DeadLetterMessage> letters = deadLetters(out);
        assertEquals(List.of(DeadLetterReason.MALFORMED, DeadLetterReason.WRONG_SHAPE, DeadLetterReason.OUT_OF_ORDER,
                        DeadLetterReason.UNKNOWN_STREAM, DeadLetterReason.FUTURE_TIME, DeadLetterReason.OUT_OF_RANGE,
                        DeadLetterReason.KEY_MISMATCH, DeadLetterReason.WRONG_CHANNELS, DeadLetterReason.WRONG_CHANNELS),
                letters.stream().map(DeadLetterMessage::reason).sorted().toList());
        assertTrue(letters.stream().anyMatch(d -> d.reasonText().contains("channel p is in Pa but model")),
                "units are checked against the card");
        DeadLetterMessage wideLetter = letters.stream().filter(d -> d.reason() == DeadLetterReason.WRONG_SHAPE)
                .findFirst().orElseThrow();
        assertEquals(wide.length, wideLetter.originalSize());
        assertTrue(wideLetter.valueTruncated());
        assertEquals(64 * 1024, wideLetter.originalValue().length);
        assertEquals(64, wideLetter.originalSha256().length());
        List<ForecastMessage> forecasts = forecasts(out);
        assertEquals(List.of(hours(0), hours(6), hours(12)),
                forecasts.stream().map(f -> f.basedOnTime()).toList());
        assertForecastOf(good, forecasts.get(2));
        assertEquals(9, metrics.deadLettered());
    }

    @Test
    void aFrameTooCloseToTheLastOneToHaveALaterModelTimeIsOutOfOrderNotAFailedModelCall() throws Exception {
        Random rng = new Random(31);
        List<FrameMessage> frames = frames("plain/n", rng, 0, 6, 12);
        // 10 ns after the last frame: a later instant, but the same double model time (about 100 ns resolution at
        // these dates), which the model's step would refuse.
        Instant close = hours(6).plusNanos(10);
        assertEquals(model.card().modelTime(hours(6)), model.card().modelTime(close));
        List<ProducerRecord<String, byte[]>> out = process(List.of(record(frames.get(0)), record(frames.get(1)),
                record(frame("plain/n", close, rng)), record(frames.get(2))));
        assertEquals(List.of(DeadLetterReason.OUT_OF_ORDER),
                deadLetters(out).stream().map(DeadLetterMessage::reason).toList());
        List<ForecastMessage> forecasts = forecasts(out);
        assertEquals(List.of(hours(0), hours(6), hours(12)), forecasts.stream().map(f -> f.basedOnTime()).toList());
        assertForecastOf(frames, forecasts.get(2));
    }

    @Test
    void channelsInAnotherOrderAreReorderedByName() throws Exception {
        Random rng = new Random(3);
        FrameMessage f = frame("plain/p", hours(0), rng);
        int plane = H * W;
        float[] permuted = new float[f.data().length];
        System.arraycopy(f.data(), 2 * plane, permuted, 0, plane);
        System.arraycopy(f.data(), 0, permuted, plane, plane);
        System.arraycopy(f.data(), plane, permuted, 2 * plane, plane);
        List<ForecastMessage> out = forecasts(process(List.of(record(FrameMessage.of("plain/p", hours(0),
                List.of("p", "u", "v"), new GridShape(C, H, W), permuted)))));
        assertForecastOf(List.of(f), out.get(0));
    }

    @Test
    void aThirtyDayGapRestartsTheStateFromTheNewFrameAtTheCostOfANormalArrival() throws Exception {
        Random rng = new Random(4);
        List<FrameMessage> before = frames("gap/v", rng, 0, 6);
        FrameMessage late = frame("gap/v", hours(6 + 24 * 30), rng);
        process(List.of(record(before.get(0))));
        long normalStart = model.encoderEvaluations();
        process(List.of(record(before.get(1))));
        long normal = model.encoderEvaluations() - normalStart;
        long start = model.encoderEvaluations();
        ForecastMessage f = forecasts(process(List.of(record(late)))).get(0);
        assertTrue(model.encoderEvaluations() - start <= normal, "the long gap cost "
                + (model.encoderEvaluations() - start) + " evaluations, a normal one " + normal);
        assertEquals(List.of(Forecast.Flag.AFTER_GAP, Forecast.Flag.WARMING_UP), f.flags());
        assertForecastOf(List.of(late), f);
        assertEquals(1, metrics.streamRestarts());
    }

    @Test
    void missingCadenceTicksAreFilledAndOverdueTicksGetProvisionalFrames() throws Exception {
        Random rng = new Random(5);
        List<FrameMessage> frames = frames("storm/s", rng, 0, 6, 24);
        List<RegularFrameMessage> regular = regular(process(List.of(record(frames.get(0)), record(frames.get(1)),
                record(frames.get(2)))));
        assertEquals(List.of(hours(0) + " OBSERVED", hours(6) + " OBSERVED", hours(12) + " FILLED",
                        hours(18) + " FILLED", hours(24) + " OBSERVED"),
                regular.stream().map(r -> r.time() + " " + r.flag()).toList());
        StreamState six = statesAlone(model, frames.subList(0, 2)).get(1);
        float[][] gap = forecastAlone(model, six, List.of(hours(12), hours(18)));
        assertTrue(maxRelDiff(gap[0], regular.get(2).frame().data()) <= TOLERANCE);
        // Nothing after 24 h: the 30 h tick is expected 6 h after the last arrival and overdue 1 h later.
        List<RegularFrameMessage> provisional = regular(processor.maintain(tasks, WALL.plus(Duration.ofHours(7))));
        assertEquals(List.of(hours(30) + " PROVISIONAL"),
                provisional.stream().map(r -> r.time() + " " + r.flag()).toList());
        assertTrue(regular(processor.maintain(tasks, WALL.plus(Duration.ofHours(8)))).isEmpty(),
                "a provisional tick is emitted once");
        // Still nothing at 13 h: 36 h gets one too.
        assertEquals(List.of(hours(36) + " PROVISIONAL"), regular(processor.maintain(tasks,
                WALL.plus(Duration.ofHours(13)))).stream().map(r -> r.time() + " " + r.flag()).toList());
        // The real frame of 36 h arrives late: it supersedes the provisional frames as if there had been none, with
        // its OBSERVED frame and the FILLED one of 30 h (from the state at 24 h, as any gap's fill).
        FrameMessage late = frame("storm/s", hours(36), rng);
        Instant arrival = WALL.plus(Duration.ofHours(14));
        List<RegularFrameMessage> superseded = regular(processor.process(List.of(record(late)), tasks, arrival));
        assertEquals(List.of(hours(30) + " FILLED", hours(36) + " OBSERVED"),
                superseded.stream().map(r -> r.time() + " " + r.flag()).toList());
        StreamState twentyFour = statesAlone(model, frames).get(2);
        assertTrue(maxRelDiff(forecastAlone(model, twentyFour, List.of(hours(30)))[0],
                superseded.get(0).frame().data()) <= TOLERANCE);
        assertTrue(maxRelDiff(late.data(), superseded.get(1).frame().data()) <= TOLERANCE);
        // Provisional frames go on from the new frame, each tick once.
        assertEquals(List.of(hours(42) + " PROVISIONAL"), regular(processor.maintain(tasks,
                arrival.plus(Duration.ofHours(7)))).stream().map(r -> r.time() + " " + r.flag()).toList());
    }

    @Test
    void aRealFrameAtAnAlreadyProvisionalTickIsObservedAndItsStreamsProvisionalTicksSurviveASnapshot()
            throws Exception {
        Random rng = new Random(51);
        List<FrameMessage> frames = frames("storm/q", rng, 0, 6);
        process(List.of(record(frames.get(0)), record(frames.get(1))));
        // 12 h and 18 h overdue 13 h after the 6 h frame arrived.
        assertEquals(List.of(hours(12) + " PROVISIONAL", hours(18) + " PROVISIONAL"), regular(processor.maintain(
                tasks, WALL.plus(Duration.ofHours(13)))).stream().map(r -> r.time() + " " + r.flag()).toList());
        // The stream is evicted after a snapshot: the snapshot holds its last provisional tick.
        processor.snapshotAll(tasks.get(0), WALL.plus(Duration.ofHours(13)));
        tasks.get(0).active.clear();
        // A real frame at 12 h, whose tick had a provisional frame: OBSERVED (it used to be left out).
        FrameMessage twelve = frame("storm/q", hours(12), rng);
        Instant arrival = WALL.plus(Duration.ofHours(14));
        assertEquals(List.of(hours(12) + " OBSERVED"), regular(processor.process(List.of(record(twelve)), tasks,
                arrival)).stream().map(r -> r.time() + " " + r.flag()).toList());
        assertEquals(1, metrics.streamsRestored());
        // 18 h had its provisional frame before the snapshot: the next one is 24 h's, overdue 13 h after arrival.
        assertEquals(List.of(hours(24) + " PROVISIONAL"), regular(processor.maintain(tasks,
                arrival.plus(Duration.ofHours(13)))).stream().map(r -> r.time() + " " + r.flag()).toList());
    }

    @Test
    void provisionalTicksOfAStreamWhoseFramesAreAllInASnapshotAreSnapshottedSoARestartDoesNotRepeatThem()
            throws Exception {
        Random rng = new Random(52);
        List<FrameMessage> frames = frames("storm/clean", rng, 0, 6);
        process(List.of(record(frames.get(0)), record(frames.get(1))));
        // Every frame is in a snapshot: the stream is clean when its ticks fall overdue.
        assertEquals(1, processor.snapshotAll(tasks.get(0), WALL).size());
        Instant thirteen = WALL.plus(Duration.ofHours(13));
        List<ProducerRecord<String, byte[]>> first = processor.maintain(tasks, thirteen);
        assertEquals(List.of(hours(12) + " PROVISIONAL", hours(18) + " PROVISIONAL"),
                regular(first).stream().map(r -> r.time() + " " + r.flag()).toList());
        assertTrue(first.stream().noneMatch(r -> r.topic().endsWith(".state")), "not at once: by snapshot.every");
        // snapshot.every (30 s) after the ticks were emitted, the periodic check writes the snapshot that holds them.
        List<ProducerRecord<String, byte[]>> later = processor.maintain(tasks, thirteen.plusSeconds(31));
        assertEquals(1, later.stream().filter(r -> r.topic().endsWith(".state")).count());
        assertTrue(regular(later).isEmpty());
        // A restart (the stream is gone from memory) and the real frame of 12 h, late: it comes back from that
        // snapshot, so 18 h is not emitted again (it was, unflagged, when the snapshot predated the ticks).
        tasks.get(0).active.clear();
        Instant arrival = WALL.plus(Duration.ofHours(14));
        assertEquals(List.of(hours(12) + " OBSERVED"), regular(processor.process(
                List.of(record(frame("storm/clean", hours(12), rng))), tasks, arrival)).stream()
                .map(r -> r.time() + " " + r.flag()).toList());
        assertEquals(1, metrics.streamsRestored());
        assertEquals(List.of(hours(24) + " PROVISIONAL"), regular(processor.maintain(tasks,
                arrival.plus(Duration.ofHours(13)))).stream().map(r -> r.time() + " " + r.flag()).toList());
        // That check also wrote the snapshot due since the 12 h frame. At a stop or revocation, a stream whose only
        // news since its snapshot is a provisional tick is snapshotted too.
        Instant later24 = arrival.plus(Duration.ofHours(20));
        assertEquals(List.of(hours(30) + " PROVISIONAL"), regular(processor.maintain(tasks, later24)).stream()
                .map(r -> r.time() + " " + r.flag()).toList());
        assertEquals(1, processor.snapshotAll(tasks.get(0), later24).size());
        assertTrue(processor.snapshotAll(tasks.get(0), later24).isEmpty(), "nothing new since");
        tasks.get(0).active.clear();
        Instant arrival18 = later24.plus(Duration.ofHours(1));
        assertEquals(List.of(hours(18) + " OBSERVED"), regular(processor.process(
                List.of(record(frame("storm/clean", hours(18), rng))), tasks, arrival18)).stream()
                .map(r -> r.time() + " " + r.flag()).toList());
        // 24 h and 30 h had theirs before the stop: the next is 36 h, expected 18 h after the 18 h frame's arrival.
        assertEquals(List.of(hours(36) + " PROVISIONAL"), regular(processor.maintain(tasks,
                arrival18.plus(Duration.ofHours(19)))).stream().map(r -> r.time() + " " + r.flag()).toList());
    }

    @Test
    void provisionalFramesStopPastMaxGapAndMaxSubstepsSoAChecksCostDoesNotGrowWithSilence() throws Exception {
        // The fixture's weights with the video time unit: a 100 ms tick is 0.1 model time, one decoder sub-step.
        ModelCard card = new ModelCard("video", ModelCard.EXTRAPOLATE, CHANNELS, new float[] {0f, 0f, 1000f},
                new float[] {5f, 5f, 10f}, null, "PT0.1S", 0.1, null, null, List.of("m s-1", "m s-1", "hPa"));
        try (VidOdeModel video = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(C, H, W, 4, 1), 7), card)) {
            String rule = "model = \"video\", cadence = 100ms, max-wait = 300ms,"
                    + " forecast { step = 100ms, horizon = 500ms }";
            // cam/*: bounded by decoder.max-substeps (64 sub-steps of 0.1: 6.4 s); capped/*: by its max-gap (2 s).
            processor = processor("odecast.decoder.max-substeps = 64, odecast.streams = ["
                    + "{ pattern = \"cam/*\", " + rule + " }, { pattern = \"capped/*\", " + rule + ", max-gap = 2s }]",
                    Map.of("storm", model, "video", video));
            Random rng = new Random(12);
            Instant t0 = hours(0);
            Instant t1 = t0.plusMillis(100);
            process(List.of(record(frame("cam/a", t0, rng)), record(frame("capped/b", t0, rng)),
                    record(frame("cam/a", t1, rng)), record(frame("capped/b", t1, rng))));
            List<Long> evaluations = new ArrayList<>();
            List<List<RegularFrameMessage>> checks = new ArrayList<>();
            for (Duration silence : List.of(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(600))) {
                long before = video.decoderEvaluations();
                checks.add(regular(processor.maintain(tasks, WALL.plus(silence))));
                evaluations.add(video.decoderEvaluations() - before);
            }
            List<RegularFrameMessage> first = checks.get(0);
            assertTrue(first.stream().allMatch(r -> r.flag().name().equals("PROVISIONAL")));
            List<Instant> capped = first.stream().filter(r -> r.streamId().equals("capped/b"))
                    .map(RegularFrameMessage::time).toList();
            List<Instant> expected = new ArrayList<>();
            for (Instant t = t1.plusMillis(100); !t.isAfter(t1.plusSeconds(2)); t = t.plusMillis(100)) {
                expected.add(t);
            }
            assertEquals(expected, capped, "ticks up to max-gap after the last frame");
            List<Instant> cam = first.stream().filter(r -> r.streamId().equals("cam/a"))
                    .map(RegularFrameMessage::time).toList();
            Instant lastCam = cam.get(cam.size() - 1);
            assertEquals(t1.plusMillis(100), cam.get(0));
            assertTrue(!lastCam.isBefore(t1.plusMillis(6300)) && !lastCam.isAfter(t1.plusMillis(6400)),
                    "ticks up to 64 sub-steps after the last frame, not to the 9.7 s now overdue: " + lastCam);
            // A check costs each stream the sub-steps to its last tick (64 and 20 here; 4 evaluations each, rk4), plus
            // at most one per tick where a 0.1 span rounds above the maximum step.
            assertTrue(evaluations.get(0) <= 4 * (64 + cam.size() + 20 + capped.size()), "first check: " + evaluations);
            // Silent for longer: no more provisional frames and no model work, where each check used to solve from
            // the last frame to its newest overdue tick (about 600 and 1600 sub-steps per stream here).
            assertEquals(List.of(List.of(), List.of()), checks.subList(1, 3));
            assertEquals(List.of(0L, 0L), evaluations.subList(1, 3), "decoder evaluations per check: " + evaluations);
        }
    }

    @Test
    void aFilledFrameIsValidWhereEitherNeighbourOfItsGapIsAndHoldsTheOnePassThatHasAValueThere() throws Exception {
        int afterOnly = 20;
        int beforeOnly = 21;
        int both = 22;
        int oldestOnly = 23;
        ModelCard fillerCard = new ModelCard("interp", ModelCard.INTERPOLATE, CHANNELS, new float[] {0f, 0f, 1000f},
                new float[] {5f, 5f, 10f}, -999.0, "PT6H", 0.1, null, null, List.of("m s-1", "m s-1", "hPa"));
        try (VidOdeModel filler = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(C, H, W, 4, 1), 11), fillerCard)) {
            processor = processor("odecast.streams = [{ pattern = \"holes/*\", fill-model = \"interp\","
                    + " cadence = 6h, max-wait = 1h }]", Map.of("storm", model, "interp", filler));
            List<FrameMessage> frames = new ArrayList<>();
            int[][] missing = {{oldestOnly}, {beforeOnly, both}, {afterOnly, both}};
            double[] at = {0, 6, 18};
            Random rng = new Random(9);
            for (int n = 0; n < at.length; n++) {
                FrameMessage f = frame("holes/s", hours(at[n]), rng);
                float[] data = f.data().clone();
                for (int i : missing[n]) {
                    data[i] = Float.NaN;
                }
                frames.add(FrameMessage.of("holes/s", f.eventTime(), CHANNELS, new GridShape(C, H, W), data));
            }
            List<RegularFrameMessage> regular = regular(process(List.of(record(frames.get(0)), record(frames.get(1)),
                    record(frames.get(2)))));
            RegularFrameMessage filled = regular.stream().filter(r -> r.time().equals(hours(12))).findFirst()
                    .orElseThrow();
            assertEquals("FILLED", filled.flag().name());
            List<Observation> window = frames.stream().map(f -> new Observation(filler.card().modelTime(f.eventTime()),
                    f.data(), f.frame().maskOrNull())).toList();
            double[][] t = {{filler.card().modelTime(hours(12))}};
            float[] forward = filler.interpolateForward(List.of(window), t).get(0)[0];
            float[] expected = filler.interpolate(List.of(window), t).get(0)[0];
            float[] got = filled.frame().data();
            boolean[] valid = filled.frame().valid();
            // valid before the gap, missing after it: the forward pass's value (it was a third of the fill value)
            assertTrue(valid[afterOnly]);
            assertTrue(Float.isFinite(got[afterOnly]) && Math.abs(got[afterOnly]) < 100, "got " + got[afterOnly]);
            assertEquals(forward[afterOnly], got[afterOnly], 1e-4f);
            // missing only before the gap: the reversed pass's value, valid; missing on both sides: invalid
            assertTrue(valid[beforeOnly]);
            assertTrue(Float.isFinite(got[beforeOnly]) && Math.abs(got[beforeOnly]) < 100, "got " + got[beforeOnly]);
            assertFalse(valid[both]);
            // missing only in the window's oldest frame, not a neighbour of the gap: valid
            assertTrue(valid[oldestOnly]);
            for (int i = 0; i < got.length; i++) {
                if (i != both) {
                    assertTrue(valid[i], "cell " + i);
                    assertEquals(expected[i], got[i], 1e-4f * Math.max(1f, Math.abs(expected[i])), "cell " + i);
                }
            }
        }
    }

    @Test
    void aCardsBlendMixesForecastsWithFlowExtrapolationAndFillsWithTheStraightLine() throws Exception {
        float[] half = {0.5f, 0.5f, 0.5f};
        Map<String, float[]> leadWeights = new HashMap<>();
        for (int k = 1; k <= 4; k++) {
            leadWeights.put(Blend.leadKey(k), k == 1 ? half : new float[] {0f, 1f, 0.25f});
        }
        ModelCard forecasterCard = model.card().withBlend(new Blend(Blend.FLOW, leadWeights, null));
        ModelCard fillerCard = new ModelCard("interp", ModelCard.INTERPOLATE, CHANNELS, new float[] {0f, 0f, 1000f},
                new float[] {5f, 5f, 10f}, null, "PT6H", 0.1, null, null, List.of("m s-1", "m s-1", "hPa"),
                new Blend(Blend.LINEAR, List.of(Blend.MODEL, Blend.FLOW), Map.of(Blend.gapKey(Blend.END, 1, 1),
                        new float[] {0f, 0.5f, 0.5f, 0f, 0f, 0.5f}), null));
        ModelConfig config = ModelConfig.of(C, H, W, 4, 1);
        try (VidOdeModel blended = new VidOdeModel(new VidOdeNetwork(config, 7), forecasterCard);
             VidOdeModel filler = new VidOdeModel(new VidOdeNetwork(config, 11), fillerCard)) {
            processor = processor("odecast.streams = [{ pattern = \"blend/*\", model = \"blended\","
                    + " fill-model = \"interp\", cadence = 6h, max-wait = 1h }]",
                    Map.of("storm", model, "blended", blended, "interp", filler));
            List<FrameMessage> frames = frames("blend/s", new Random(9), 0, 6, 18);
            List<ProducerRecord<String, byte[]>> out = process(List.of(record(frames.get(0)), record(frames.get(1)),
                    record(frames.get(2))));
            List<ForecastMessage> forecasts = forecasts(out);
            assertEquals(3, forecasts.size());
            // The first frame has no previous one to take a motion from: the model alone.
            assertForecastOf(frames.subList(0, 1), forecasts.get(0));
            // From the second on: flow + w (model - flow), w by lead (lead 1: 0.5; leads 2-4: 0, 1, 0.25 per channel).
            ForecastMessage second = forecasts.get(1);
            List<Instant> grid = second.leads().stream().map(l -> l.validTime()).toList();
            float[][] alone = forecastAlone(model, statesAlone(model, frames.subList(0, 2)).get(1), grid);
            Observation previous = StreamFixtures.observation(model, frames.get(0));
            Observation last = StreamFixtures.observation(model, frames.get(1));
            FlowBaselines flows = new FlowBaselines(new GridShape(C, H, W));
            int plane = H * W;
            for (int k = 0; k < grid.size(); k++) {
                float[] flow = flows.extrapolate(previous, last, model.card().modelTime(grid.get(k))).data();
                float[] w = k == 0 ? half : new float[] {0f, 1f, 0.25f};
                float[] got = second.leads().get(k).data();
                float[] expected = new float[got.length];
                for (int i = 0; i < got.length; i++) {
                    expected[i] = flow[i] + w[i / plane] * (alone[k][i] - flow[i]);
                }
                assertTrue(maxRelDiff(expected, got) <= TOLERANCE, "lead " + k + ": " + maxRelDiff(expected, got));
                assertTrue(maxRelDiff(alone[k], got) > 1e-3, "lead " + k + " is not the model alone");
            }
            // The 12 h tick between 6 h and 18 h: channel u the straight line, v halfway to the interpolator, p the
            // mean of the interpolator and flow interpolation.
            List<RegularFrameMessage> regular = regular(out);
            RegularFrameMessage filled = regular.stream().filter(r -> r.time().equals(hours(12))).findFirst()
                    .orElseThrow();
            assertEquals("FILLED", filled.flag().name());
            List<Observation> window = List.of(StreamFixtures.observation(filler, frames.get(0)),
                    StreamFixtures.observation(filler, frames.get(1)),
                    StreamFixtures.observation(filler, frames.get(2)));
            double t = filler.card().modelTime(hours(12));
            float[] raw = filler.interpolate(List.of(window), new double[][] {{t}}).get(0)[0];
            float[] flowFill = flows.interpolate(window.get(1), window.get(2), t).data();
            float[] a = frames.get(1).data();
            float[] b = frames.get(2).data();
            float[] got = filled.frame().data();
            float[] expected = new float[got.length];
            for (int i = 0; i < got.length; i++) {
                float line = (a[i] + b[i]) / 2;
                int c = i / plane;
                expected[i] = line + new float[] {0f, 0.5f, 0.5f}[c] * (raw[i] - line)
                        + new float[] {0f, 0f, 0.5f}[c] * (flowFill[i] - line);
            }
            assertTrue(maxRelDiff(expected, got) <= TOLERANCE, "filled frame: " + maxRelDiff(expected, got));
        }
    }

    /** The fixture's weights under a card whose blend gives flow extrapolation weight 1 at every lead. */
    private static VidOdeModel flowOnlyBlend() {
        Map<String, float[]> leadWeights = new HashMap<>();
        for (int k = 1; k <= 4; k++) {
            leadWeights.put(Blend.leadKey(k), new float[] {0f, 0f, 0f});
        }
        ModelCard card = model.card().withBlend(new Blend(Blend.FLOW, leadWeights, null));
        return new VidOdeModel(new VidOdeNetwork(ModelConfig.of(C, H, W, 4, 1), 7), card);
    }

    @Test
    void aStreamWithBlendOffGetsTheModelAloneThoughItsCardHasABlend() throws Exception {
        try (VidOdeModel blended = flowOnlyBlend()) {
            processor = processor("odecast.streams = [{ pattern = \"raw/*\", model = \"blended\", blend = false },"
                    + " { pattern = \"mixed/*\", model = \"blended\" }]", Map.of("storm", model, "blended", blended));
            List<FrameMessage> raw = frames("raw/s", new Random(9), 0, 6);
            List<FrameMessage> mixed = frames("mixed/s", new Random(9), 0, 6);
            List<ForecastMessage> out = forecasts(process(List.of(record(raw.get(0)), record(raw.get(1)),
                    record(mixed.get(0)), record(mixed.get(1)))));
            java.util.function.Function<String, ForecastMessage> second = id -> out.stream()
                    .filter(f -> f.streamId().equals(id) && f.basedOnTime().equals(hours(6))).findFirst().orElseThrow();
            assertForecastOf(raw, second.apply("raw/s"));
            // the same frames on a blending stream: weights 0, so the forecast is flow extrapolation, not the model
            ForecastMessage flowOnly = second.apply("mixed/s");
            List<Instant> grid = flowOnly.leads().stream().map(l -> l.validTime()).toList();
            float[] flow = new FlowBaselines(new GridShape(C, H, W)).extrapolate(
                    StreamFixtures.observation(model, mixed.get(0)), StreamFixtures.observation(model, mixed.get(1)),
                    model.card().modelTime(grid.get(0))).data();
            assertTrue(maxRelDiff(flow, flowOnly.leads().get(0).data()) <= TOLERANCE);
        }
    }

    @Test
    void aFailedBaselineComputationCostsThatFramesBlendOnlyNotTheFrameOrItsForecast() throws Exception {
        try (VidOdeModel blended = flowOnlyBlend()) {
            processor = processor("odecast.streams = [{ pattern = \"mixed/*\", model = \"blended\" }]",
                    Map.of("storm", model, "blended", blended), plan -> {
                        if (plan.frame().eventTime().equals(hours(6))) {
                            throw new IllegalStateException("optical flow failed");
                        }
                        return StreamStep.baselines(plan);
                    });
            List<FrameMessage> frames = frames("mixed/s", new Random(9), 0, 6, 12);
            List<ForecastMessage> out = forecasts(process(List.of(record(frames.get(0)), record(frames.get(1)),
                    record(frames.get(2)))));
            assertEquals(3, out.size());
            assertEquals(0, metrics.deadLettered());
            // The frame at 6 h: its flow failed, so the model's forecast alone (the card's weights 0 would have
            // given flow extrapolation alone).
            assertForecastOf(frames.subList(0, 2), out.get(1));
            // The frame at 12 h blends again: weights 0, so flow extrapolation from the frames at 6 h and 12 h.
            ForecastMessage third = out.get(2);
            float[] flow = new FlowBaselines(new GridShape(C, H, W)).extrapolate(
                    StreamFixtures.observation(model, frames.get(1)), StreamFixtures.observation(model, frames.get(2)),
                    model.card().modelTime(third.leads().get(0).validTime())).data();
            assertTrue(maxRelDiff(flow, third.leads().get(0).data()) <= TOLERANCE);
        }
    }

    @Test
    void maxActiveStreamsIsSharedEquallyByTheConsumerLoopsThatOwnPartitions() throws Exception {
        processor = processor("odecast.max-active-streams = 4");
        Random rng = new Random(16);
        for (int s = 0; s < 4; s++) {
            // Seen one minute apart: m0 is the least recently seen.
            processor.process(List.of(record(frames("plain/m" + s, rng, s).get(0))), tasks,
                    WALL.plus(Duration.ofMinutes(s)));
        }
        // Another loop of this instance owns a partition, a third owns none: this loop may hold half of the 4.
        metrics.engineGauges().memory(0, 0, 1);
        metrics.engineGauges().memory(0, 0, 0);
        processor.maintain(tasks, WALL.plus(Duration.ofHours(1)));
        assertEquals(2, tasks.get(0).active.size());
        assertEquals(2, metrics.streamsEvicted());
        assertTrue(tasks.get(0).active.containsKey("plain/m3") && tasks.get(0).active.containsKey("plain/m2"),
                "the least recently seen went: " + tasks.get(0).active.keySet());
    }

    @Test
    void anEvictedStreamComesBackFromItsSnapshotWithTheSameForecasts() throws Exception {
        Random rng = new Random(6);
        List<FrameMessage> frames = frames("plain/e", rng, 0, 6, 12);
        process(List.of(record(frames.get(0)), record(frames.get(1))));
        List<ProducerRecord<String, byte[]>> evicted = processor.maintain(tasks, WALL.plus(Duration.ofDays(2)));
        assertTrue(tasks.get(0).active.isEmpty());
        assertEquals(1, evicted.stream().filter(r -> r.topic().endsWith(".state")).count());
        assertEquals(1, metrics.streamsEvicted());
        ForecastMessage f = forecasts(process(List.of(record(frames.get(2))))).get(0);
        assertForecastOf(frames, f);
        assertEquals(1, metrics.streamsRestored());
    }

    @Test
    void withoutRestoreAtAssignmentAnEvictedStreamStillComesBackFromTheSnapshotItsEvictionWrote() throws Exception {
        processor = processor("odecast.snapshot.restore = false");
        Random rng = new Random(64);
        List<FrameMessage> frames = frames("plain/cold", rng, 0, 6, 12);
        process(List.of(record(frames.get(0)), record(frames.get(1))));
        processor.maintain(tasks, WALL.plus(Duration.ofDays(2)));
        assertTrue(tasks.get(0).active.isEmpty());
        assertEquals(1, metrics.streamsEvicted());
        ForecastMessage f = forecasts(process(List.of(record(frames.get(2))))).get(0);
        // From the state of all three frames, not a cold start from the last.
        assertForecastOf(frames, f);
        assertEquals(1, metrics.streamsRestored());
    }

    @Test
    void aStreamNotSeenForTheRetentionIsForgottenWithATombstoneAndStartsAfreshWhenItReturns() throws Exception {
        Random rng = new Random(61);
        // A long id has a hashed file name: the store reads its id from the snapshot.
        String longId = "plain/" + "x".repeat(120);
        List<FrameMessage> gone = frames("plain/gone", rng, 0, 6, 12);
        List<FrameMessage> alsoGone = frames(longId, rng, 0);
        List<FrameMessage> kept = frames("plain/kept", rng, 0, 6);
        process(List.of(record(gone.get(0)), record(gone.get(1)), record(alsoGone.get(0)), record(kept.get(0))));
        // Idle for 2 days: evicted, their snapshots written then (the local store's file times).
        Instant evicted = WALL.plus(Duration.ofDays(2));
        processor.maintain(tasks, evicted);
        assertTrue(tasks.get(0).active.isEmpty());
        // plain/kept comes back on day 20 and stays in memory.
        processor.process(List.of(record(kept.get(1))), tasks, WALL.plus(Duration.ofDays(20)));
        Instant past = evicted.plus(Duration.ofDays(30)).plusSeconds(1);
        // Frames of the partition still waiting (lag, or buffered): its streams are not silent, nothing is forgotten.
        tasks.get(0).caughtUpAt = null;
        assertTrue(processor.maintain(tasks, past).stream().noneMatch(r -> r.value() == null));
        assertTrue(store.get(0, "plain/gone").isPresent());
        // Past their retention now, but last caught up a day before it ran out (a backlog since): their frames may
        // wait in it, so they are not known to be silent for the retention.
        tasks.get(0).caughtUpAt = past.minus(Duration.ofDays(1));
        assertTrue(processor.maintain(tasks, past.plus(Duration.ofHours(2))).stream()
                .noneMatch(r -> r.value() == null));
        assertTrue(store.get(0, "plain/gone").isPresent());
        // Caught up once after it ran out (though behind again now): their silence is known; forgotten.
        tasks.get(0).caughtUpAt = past;
        List<ProducerRecord<String, byte[]>> out = processor.maintain(tasks, past.plus(Duration.ofHours(4)));
        List<String> tombstones = out.stream().filter(r -> r.topic().endsWith(".state") && r.value() == null)
                .map(ProducerRecord::key).sorted().toList();
        assertEquals(List.of("plain/gone", longId), tombstones);
        assertTrue(out.stream().filter(r -> r.value() == null).allMatch(r -> r.partition() == 0));
        assertEquals(2, metrics.streamsForgotten());
        assertTrue(store.get(0, "plain/gone").isEmpty());
        assertTrue(store.get(0, longId).isEmpty());
        assertTrue(store.get(0, "plain/kept").isPresent(), "a stream seen within the retention keeps its snapshot");
        // It returns: a new stream, its forecast from this frame alone, nothing restored.
        long restored = metrics.streamsRestored();
        ForecastMessage f = forecasts(processor.process(List.of(record(gone.get(2))), tasks,
                evicted.plus(Duration.ofDays(31)))).get(0);
        assertForecastOf(gone.subList(2, 3), f);
        assertEquals(restored, metrics.streamsRestored());
    }

    @Test
    void aStreamInMemoryIsNeverForgottenAndAPartitionIsCheckedAtMostHourly() throws Exception {
        processor = processor("odecast { idle-timeout = 40d, state-retention = 45d }");
        Random rng = new Random(63);
        List<FrameMessage> active = frames("plain/active", rng, 0, 6);
        List<FrameMessage> later = frames("plain/later", rng, 0);
        process(List.of(record(active.get(0)), record(later.get(0))));
        // Both snapshotted at WALL (file times); plain/active gets a frame on day 44 and stays in memory.
        processor.snapshotAll(tasks.get(0), WALL);
        tasks.get(0).active.remove("plain/later");
        processor.process(List.of(record(active.get(1))), tasks, WALL.plus(Duration.ofDays(44)));
        Instant check = WALL.plus(Duration.ofDays(45)).minusSeconds(60);
        assertTrue(processor.maintain(tasks, check).stream().noneMatch(r -> r.value() == null), "nothing old yet");
        // 2 minutes later plain/later's snapshot is past the retention, but the partition was checked a minute ago.
        assertTrue(processor.maintain(tasks, check.plusSeconds(120)).stream().noneMatch(r -> r.value() == null));
        List<ProducerRecord<String, byte[]>> out = processor.maintain(tasks, check.plus(Duration.ofHours(1)));
        assertEquals(List.of("plain/later"), out.stream().filter(r -> r.value() == null).map(ProducerRecord::key)
                .toList(), "the old file of a stream in memory stays");
        assertTrue(store.get(0, "plain/active").isPresent());
    }

    @Test
    void aRetentionShorterThanARulesMaxGapOrCadenceIsRefused() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> processor("odecast.state-retention = 5d"));
        assertTrue(e.getMessage().contains("gap/*") && e.getMessage().contains("max-gap"), e.getMessage());
    }

    @Test
    void withoutRetentionEveryStreamKeepsItsSnapshot() throws Exception {
        processor = processor("odecast.state-retention = 0s");
        Random rng = new Random(62);
        List<FrameMessage> frames = frames("plain/old", rng, 0);
        process(List.of(record(frames.get(0))));
        processor.maintain(tasks, WALL.plus(Duration.ofDays(2)));
        List<ProducerRecord<String, byte[]>> out = processor.maintain(tasks, WALL.plus(Duration.ofDays(3650)));
        assertTrue(out.stream().noneMatch(r -> r.value() == null));
        assertTrue(store.get(0, "plain/old").isPresent());
        assertEquals(0, metrics.streamsForgotten());
    }

    @Test
    void afterAssignmentSnapshottedFramesAreSkippedTheRestReplayedSilentlyAndRepeatsFlagged() throws Exception {
        Random rng = new Random(7);
        List<FrameMessage> frames = frames("plain/r", rng, 0, 6, 12, 18, 24, 30);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        frames.forEach(f -> records.add(record(f)));
        // First owner: frames 0-1 absorbed and snapshotted (at stop), frames 2-3 absorbed after it.
        process(records.subList(0, 2));
        processor.snapshotAll(tasks.get(0), WALL);
        process(records.subList(2, 4));
        // New owner: committed offset 4 with replay from 0; forecasts exist up to input offset 4 (a crash after
        // frame 4's outputs, before its commit).
        tasks = new HashMap<>(Map.of(0, new PartitionTask(0, 4, 0, 4)));
        List<ProducerRecord<String, byte[]>> out = process(records);
        List<ForecastMessage> forecasts = forecasts(out);
        assertEquals(List.of(hours(24), hours(30)), forecasts.stream().map(f -> f.basedOnTime()).toList());
        assertEquals(2, metrics.framesSkipped());
        assertEquals(2, metrics.framesReplayed());
        assertTrue(forecasts.get(0).flags().contains(Forecast.Flag.REPLAYED));
        assertFalse(forecasts.get(1).flags().contains(Forecast.Flag.REPLAYED));
        assertForecastOf(frames.subList(0, 5), forecasts.get(0));
        assertForecastOf(frames, forecasts.get(1));
        // Replay in progress keeps the original replay point; once through, the oldest unsnapshotted frame.
        assertEquals(2, tasks.get(0).replayFrom());
        assertEquals(6, tasks.get(0).commitOffset());
    }
}
