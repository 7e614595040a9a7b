package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.await;
import static io.odecast.stream.StreamFixtures.config;
import static io.odecast.stream.StreamFixtures.publish;
import static io.odecast.stream.StreamFixtures.sixHourly;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.DeadLetterReason;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The way back from the dead-letter topic: frames of a stream no rule named are rejected as unknown_stream; once a
 * rule is added, {@code odecast dead-letters --replay} publishes them again and the service forecasts them as if they
 * had been accepted the first time. The letters hold only a 100-byte prefix here, so the frames are read back from
 * the frames topic.
 */
class DeadLetterReplayTest extends BrokerTestBase {

    @Test
    void framesRejectedAsUnknownStreamAreForecastWhenReplayedAfterARuleIsAdded() throws Exception {
        String prefix = "dlq-replay";
        List<FrameMessage> frames = sixHourly("extra/s", 4, new Random(41));
        Config before = ConfigFactory.parseString("odecast.input.dead-letter-value-bytes = 100")
                .withFallback(config(kafka.bootstrapServers(), prefix));
        StreamingService first = StreamFixtures.startService(before, model);
        try {
            await(() -> first.readiness().ready(), Duration.ofSeconds(60));
            publish(producer, prefix + ".frames", frames);
            producer.send(new ProducerRecord<>(prefix + ".frames", "plain/bad",
                    "not a frame".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            await(() -> first.metrics().deadLettered() >= 5, Duration.ofSeconds(60));
        } finally {
            first.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        DeadLetterReplay tool = new DeadLetterReplay(settings(before));
        DeadLetterReplay.Result summary = tool.run(new DeadLetterReplay.Filter(Set.of(), null), false);
        assertEquals(5, summary.letters(), summary.toString());
        assertEquals(Map.of(DeadLetterReason.UNKNOWN_STREAM, 4, DeadLetterReason.MALFORMED, 1), summary.byReason());
        assertEquals(Map.of("extra/s", 4, "", 1), summary.byStream(), summary.toString());
        assertEquals(0, summary.replayed(), "no --replay, nothing published");

        Config after = ConfigFactory.parseString("odecast.streams = [{ pattern = \"plain/*\" },"
                + " { pattern = \"extra/*\" }]").withFallback(before);
        StreamingService second = StreamFixtures.startService(after, model);
        try {
            await(() -> second.readiness().ready(), Duration.ofSeconds(60));
            DeadLetterReplay.Result replay = new DeadLetterReplay(settings(after))
                    .run(new DeadLetterReplay.Filter(EnumSet.of(DeadLetterReason.UNKNOWN_STREAM), "extra/*"), true);
            assertEquals(List.of(4, 4, 4, 0, 0), List.of(replay.letters(), replay.replayed(), replay.reread(),
                    replay.gone(), replay.mismatch()), replay.toString());
            List<ForecastMessage> forecasts = StreamFixtures.readUntil(kafka.bootstrapServers(), prefix + ".forecasts",
                    Duration.ofSeconds(60), rs -> rs.size() >= 4).stream().map(StreamFixtures::forecast).toList();
            assertEquals(4, forecasts.size(), "one forecast per replayed frame");
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model, Map.of("extra/s", frames), forecasts);
        } finally {
            second.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    private static ServiceSettings settings(Config config) {
        return ServiceSettings.fromConfig(config.withFallback(ConfigFactory.defaultReference()).resolve());
    }
}
