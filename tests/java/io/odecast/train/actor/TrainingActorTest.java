package io.odecast.train.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training actor answers a command with one outcome per model and trains nothing without enough frames. */
class TrainingActorTest {
    private static final ActorTestKit KIT = ActorTestKit.create();

    @TempDir
    Path dir;

    @AfterAll
    static void stop() {
        KIT.shutdownTestKit();
    }

    @Test
    void aRoundWithTooFewRecordedFramesIsSkippedAndReported() throws Exception {
        TrainerSettings settings = TrainingRoundTest.settings(1);
        TrainingSet set = new TrainingSet(dir.resolve("blob"), settings.limits(), Clock.systemUTC());
        TrainingRoundTest.blob("a", 1, 5).forEach(f -> {
            try {
                set.append(f);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        TrainingRound round = new TrainingRound(settings, (c, n, p, m) -> {
            throw new AssertionError("nothing may be published");
        });
        ActorRef<TrainingActor.Command> actor = KIT.spawn(TrainingActor.create(
                new TrainerSettings(true, List.of(), dir, "g", settings.limits(), settings.every(), 10, 1, 2, 3, 5,
                        1e-3, 0, settings.gate()),
                Map.of("blob", set), name -> TrainingRoundTest.tiny(1), round));
        TestProbe<List<TrainingRound.Outcome>> probe = KIT.createTestProbe();
        actor.tell(new TrainingActor.Train("", probe.getRef()));
        List<TrainingRound.Outcome> outcomes = probe.receiveMessage(java.time.Duration.ofSeconds(30));
        assertEquals(1, outcomes.size());
        assertEquals(null, outcomes.get(0).verdict());
        assertTrue(outcomes.get(0).note().contains("not enough recorded frames"), outcomes.get(0).note());
        set.close();
    }
}
