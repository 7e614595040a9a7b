package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.kafka.FrameMessage;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The decoder actor on its own, with the typed test kit. */
class DecoderActorTest {
    private static final ActorTestKit TEST_KIT = ActorTestKit.create();
    private static VidOdeModel model;

    @BeforeAll
    static void loadModel() {
        model = StreamFixtures.model();
    }

    @AfterAll
    static void stop() {
        TEST_KIT.shutdownTestKit();
        model.close();
    }

    @Test
    void requestsArrivingTogetherRunAsOneBatchAndEachGetsItsOwnResult() {
        ServiceMetrics metrics = new ServiceMetrics();
        ActorRef<DecoderActor.Command> decoder = TEST_KIT.spawn(DecoderActor.create(
                new DecoderSettings(8, Duration.ofMillis(200), Duration.ofSeconds(30)), metrics));
        Random rng = new Random(9);
        List<FrameMessage> frames = new ArrayList<>();
        List<TestProbe<StatusReply<StreamState>>> probes = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            FrameMessage f = StreamFixtures.frame("s" + s, StreamFixtures.hours(s), rng);
            frames.add(f);
            TestProbe<StatusReply<StreamState>> probe = TEST_KIT.createTestProbe();
            probes.add(probe);
            decoder.tell(new DecoderActor.Advance(model, model.emptyState(), StreamFixtures.observation(model, f),
                    probe.getRef()));
        }
        for (int s = 0; s < 5; s++) {
            StreamState alone = StreamFixtures.statesAlone(model, List.of(frames.get(s))).get(0);
            StreamState batched = probes.get(s).receiveMessage(Duration.ofSeconds(30)).getValue();
            assertTrue(StreamFixtures.maxRelDiff(alone.hidden(), batched.hidden()) <= 1e-5f);
        }
        assertEquals(1, metrics.decoderBatches());
        assertEquals(5, metrics.largestBatch());
    }

    @Test
    void aBadRequestFailsAloneAndTheOthersInItsBatchSucceed() {
        ServiceMetrics metrics = new ServiceMetrics();
        ActorRef<DecoderActor.Command> decoder = TEST_KIT.spawn(DecoderActor.create(
                new DecoderSettings(8, Duration.ofMillis(200), Duration.ofSeconds(30)), metrics));
        Random rng = new Random(10);
        TestProbe<StatusReply<float[][]>> good = TEST_KIT.createTestProbe();
        TestProbe<StatusReply<float[][]>> bad = TEST_KIT.createTestProbe();
        FrameMessage f = StreamFixtures.frame("s", StreamFixtures.hours(0), rng);
        StreamState state = StreamFixtures.statesAlone(model, List.of(f)).get(0);
        double t = model.card().modelTime(StreamFixtures.hours(6));
        decoder.tell(new DecoderActor.Forecast(model, state, new double[] {t}, good.getRef()));
        // Not after the state's last time: the model refuses it.
        decoder.tell(new DecoderActor.Forecast(model, state, new double[] {t - 1}, bad.getRef()));
        assertTrue(good.receiveMessage(Duration.ofSeconds(30)).isSuccess());
        assertTrue(bad.receiveMessage(Duration.ofSeconds(30)).isError());
    }
}
