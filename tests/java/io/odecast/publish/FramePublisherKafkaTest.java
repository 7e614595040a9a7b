package io.odecast.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.data.ColorMode;
import io.odecast.data.FrameSequence;
import io.odecast.data.TimedFrame;
import io.odecast.data.VideoFrameReader;
import io.odecast.kafka.EmbeddedKafkaBroker;
import io.odecast.kafka.GridBytes;
import io.odecast.kafka.ProtoTime;
import io.odecast.proto.Frame;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Publishing real data to a real in-process broker and reading it back. */
class FramePublisherKafkaTest {
    private static final double DROPOUT = 0.3;
    private static final long SEED = 1996;

    private static EmbeddedKafkaBroker kafka;
    private static FrameSequence storm;
    private static PublishSummary stormSummary;
    private static List<Frame> stormFrames;

    @BeforeAll
    static void publishStorm() throws Exception {
        kafka = EmbeddedKafkaBroker.start();
        storm = PublishFixtures.stormUvp();
        PublishFixtures.createTopic(kafka.bootstrapServers(), "storm.frames");
        try (FramePublisher publisher = FramePublisher.connect(kafka.bootstrapServers())) {
            stormSummary = publisher.publish(storm, PublishSettings.of("storm.frames", "ncar/storm-1996")
                    .withDropout(DROPOUT, SEED));
        }
        stormFrames = new ArrayList<>();
        for (var r : inPublishingOrder(PublishFixtures.readAll(kafka.bootstrapServers(), "storm.frames"))) {
            assertEquals("ncar/storm-1996", r.key());
            stormFrames.add(Frame.parseFrom(r.value()));
        }
    }

    /**
     * The records of one stream in the order they were published: one key, so one partition, whose offsets are that
     * order (sorting by event time instead would hide frames published out of order).
     */
    private static List<ConsumerRecord<String, byte[]>> inPublishingOrder(List<ConsumerRecord<String, byte[]>> records) {
        assertEquals(1, records.stream().map(ConsumerRecord::partition).distinct().count(),
                "one stream's frames are on one partition");
        return records.stream().sorted(Comparator.comparingLong(ConsumerRecord::offset)).toList();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void stormSendsEveryFrameExceptVsMissingOnesAndTheSeededDropouts() {
        // The same draws as the publisher: one per candidate after the first, 64 - 2 missing - 1 first = 61.
        Random random = new Random(SEED);
        int expectedDropped = 0;
        for (int i = 0; i < 61; i++) {
            if (random.nextDouble() < DROPOUT) {
                expectedDropped++;
            }
        }
        assertEquals(2, stormSummary.skippedMissing());
        assertEquals(expectedDropped, stormSummary.dropped());
        assertTrue(expectedDropped > 5, "a 0.3 dropout over 61 frames drops some: " + expectedDropped);
        assertEquals(64 - 2 - expectedDropped, stormFrames.size());
        assertEquals(stormSummary.sent(), stormFrames.size());
    }

    @Test
    void stormEventTimesIncreaseByMultiplesOfSixHoursFromTheKeptFirstFrame() {
        List<Instant> times = stormFrames.stream().map(f -> ProtoTime.toInstant(f.getEventTime())).toList();
        assertEquals(PublishFixtures.STORM_START, times.get(0));
        assertEquals(stormSummary.sentTimes(), times);
        for (int i = 1; i < times.size(); i++) {
            Duration gap = Duration.between(times.get(i - 1), times.get(i));
            assertTrue(!gap.isNegative() && !gap.isZero() && gap.toMinutes() % 360 == 0, "gap " + gap);
        }
        assertFalse(times.contains(storm.frame(17).time()), "v is missing at index 17");
        assertFalse(times.contains(storm.frame(37).time()), "v is missing at index 37");
    }

    @Test
    void stormFramePayloadIsBitExactWithTheReaderAndMasksTheFillCorners() {
        Frame first = stormFrames.get(0);
        TimedFrame read = storm.frame(0);
        assertEquals(List.of("u", "v", "p"), first.getChannelsList());
        assertEquals(List.of(3, 33, 36), List.of(first.getShape().getChannels(), first.getShape().getHeight(),
                first.getShape().getWidth()));
        assertEquals("hPa", first.getUnits(2));
        assertArrayEquals(GridBytes.floatsToBytes(read.data()).toByteArray(), first.getData().toByteArray());
        boolean[] valid = GridBytes.validity(first.getValidMask(), GridBytes.bytesToFloats(first.getData()));
        int invalid = 0;
        for (int i = 0; i < valid.length; i++) {
            assertEquals(read.isValid(i), valid[i], "cell " + i);
            invalid += valid[i] ? 0 : 1;
        }
        assertEquals(3 * 224, invalid);
    }

    @Test
    void twentyGreyFramesOfVtestAt32By24ArePublished() throws Exception {
        FrameSequence video = new VideoFrameReader(VideoFrameReader.Options.of(32, 24, ColorMode.GREY).range(0, 20))
                .read(PublishFixtures.video("vtest.avi"));
        PublishFixtures.createTopic(kafka.bootstrapServers(), "video.frames");
        PublishSummary summary;
        try (FramePublisher publisher = FramePublisher.connect(kafka.bootstrapServers())) {
            summary = publisher.publish(video, PublishSettings.of("video.frames", "cam/vtest"));
        }
        List<Frame> frames = new ArrayList<>();
        for (var r : inPublishingOrder(PublishFixtures.readAll(kafka.bootstrapServers(), "video.frames"))) {
            frames.add(Frame.parseFrom(r.value()));
        }
        assertEquals(20, summary.sent());
        assertEquals(20, frames.size());
        Frame f = frames.get(0);
        assertEquals(List.of("luma"), f.getChannelsList());
        assertEquals(32 * 24 * 4, f.getData().size());
        assertTrue(f.getValidMask().isEmpty(), "every pixel is valid");
        assertEquals(Instant.EPOCH.plusMillis(1900), ProtoTime.toInstant(frames.get(19).getEventTime()));
    }

    @Test
    void thePublishCommandSendsTheSameStormFramesAsTheLibrary() throws Exception {
        PublishFixtures.createTopic(kafka.bootstrapServers(), "cli.frames");
        java.io.StringWriter out = new java.io.StringWriter();
        var cl = io.odecast.cli.Odecast.commandLine();
        cl.setOut(new java.io.PrintWriter(out));
        String dir = PublishFixtures.STORM + "/";
        int rc = cl.execute("publish", "--bootstrap-servers", kafka.bootstrapServers(), "--topic", "cli.frames",
                "--stream-id", "ncar/storm-1996", "--netcdf", dir + "Ustorm.cdf:u", "--netcdf", dir + "Vstorm.cdf",
                "--netcdf", dir + "Pstorm.cdf:p:p:0.01:hPa", "--time-start", "1996-01-05T00:00:00Z",
                "--time-step", "6h", "--dropout", String.valueOf(DROPOUT), "--seed", String.valueOf(SEED));
        assertEquals(0, rc);
        List<Instant> times = new ArrayList<>();
        for (var r : inPublishingOrder(PublishFixtures.readAll(kafka.bootstrapServers(), "cli.frames"))) {
            times.add(ProtoTime.toInstant(Frame.parseFrom(r.value()).getEventTime()));
        }
        assertEquals(stormSummary.sentTimes(), times);
        assertTrue(out.toString().contains("sent " + times.size()), out.toString());
    }
}
