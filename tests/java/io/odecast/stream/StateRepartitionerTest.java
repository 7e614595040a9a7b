package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.await;
import static io.odecast.stream.StreamFixtures.config;
import static io.odecast.stream.StreamFixtures.publish;
import static io.odecast.stream.StreamFixtures.sixHourly;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.FramePartitioner;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameMessage;
import io.odecast.proto.StateSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Growing a running deployment from 3 to 6 partitions with {@code odecast repartition}: most streams' keys hash to
 * another partition afterwards, and each keeps its state (forecasts after the move equal the model's alone over all
 * of the stream's frames, before and after).
 */
class StateRepartitionerTest extends BrokerTestBase {
    private static final int STREAMS = 12;
    private static final int FRAMES = 6;

    @Test
    void growingFromThreeToSixPartitionsMovesEveryStreamsStateToItsNewPartition() throws Exception {
        String prefix = "grow";
        Random rng = new Random(31);
        Map<String, List<FrameMessage>> byStream = new HashMap<>();
        List<FrameMessage> before = new ArrayList<>();
        List<FrameMessage> after = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            String id = "plain/g" + s;
            List<FrameMessage> frames = sixHourly(id, FRAMES, rng);
            byStream.put(id, frames);
            before.addAll(frames.subList(0, FRAMES / 2));
            after.addAll(frames.subList(FRAMES / 2, FRAMES));
        }
        long moving = byStream.keySet().stream().filter(id -> FramePartitioner.partition(id, false, 6, 0)
                != FramePartitioner.partition(id, false, 3, 0)).count();
        assertTrue(moving > 0 && moving < STREAMS, "some streams move, some stay: " + moving);
        Config three = config(kafka.bootstrapServers(), prefix);
        StateRepartitioner repartitioner = new StateRepartitioner(settings(three));

        StreamingService first = StreamFixtures.startService(three, model);
        try {
            await(() -> first.readiness().ready(), Duration.ofSeconds(60));
            publish(producer, prefix + ".frames", before);
            await(() -> first.metrics().forecastsEmitted() >= before.size(), Duration.ofSeconds(60));
            var running = assertThrows(IllegalStateException.class, () -> repartitioner.run(6, false));
            assertTrue(running.getMessage().contains("stop every instance"), running.getMessage());
            StateRepartitioner.Result preview = repartitioner.run(6, true);
            assertTrue(preview.blockers().size() == 1 && preview.blockers().get(0).contains("stop every instance"),
                    "a dry run previews and names what is in the way: " + preview);
        } finally {
            first.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        awaitEmptyGroup(prefix + "-group");
        // An older snapshot of one moving stream (another stream's state) left at its future partition by an earlier
        // layout, naming that partition as its input: the newest copy must win, not the one already in place.
        String moved = byStream.keySet().stream().sorted().filter(id -> FramePartitioner.partition(id, false, 6, 0)
                != FramePartitioner.partition(id, false, 3, 0)).findFirst().orElseThrow();
        String other = byStream.keySet().stream().sorted().filter(id -> !id.equals(moved)).findFirst().orElseThrow();
        Map<String, ConsumerRecord<String, byte[]>> now = latestByKeyAndPartition(prefix + ".state");
        ConsumerRecord<String, byte[]> live = now.values().stream().filter(r -> r.key().equals(moved)).findFirst()
                .orElseThrow();
        ConsumerRecord<String, byte[]> foreign = now.values().stream().filter(r -> r.key().equals(other)).findFirst()
                .orElseThrow();
        int future = FramePartitioner.partition(moved, false, 6, 0);
        int stalePartition = future < 3 ? future : (live.partition() + 1) % 3;
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(prefix + ".state", stalePartition,
                live.timestamp() - 86_400_000L, moved, StateSnapshot.parseFrom(foreign.value()).toBuilder()
                        .setInputPartition(stalePartition).build().toByteArray())).get(30, TimeUnit.SECONDS);

        StateRepartitioner.Result plan = repartitioner.run(6, true);
        assertEquals(List.of(3, 6, STREAMS, (int) moving, 1), List.of(plan.from(), plan.to(), plan.streams(),
                plan.moved(), plan.stale()), plan.toString());
        assertTrue(plan.blockers().isEmpty(), plan.toString());
        assertEquals(3, partitions(prefix + ".state"), "a dry run changes nothing");
        StateRepartitioner.Result done = repartitioner.run(6, false);
        assertEquals(moving, done.moved(), done.toString());
        for (String topic : List.of("frames", "forecasts", "regular", "state", "dlq")) {
            assertEquals(6, partitions(prefix + "." + topic), topic);
        }
        assertEquals(0, repartitioner.run(6, false).moved(), "a second run finds nothing left to move");
        // On the state topic each stream's latest snapshot sits at its new partition, naming it as its input.
        Map<String, ConsumerRecord<String, byte[]>> latest = latestByKeyAndPartition(prefix + ".state");
        for (String id : byStream.keySet()) {
            int target = FramePartitioner.partition(id, false, 6, 0);
            List<ConsumerRecord<String, byte[]>> copies = latest.values().stream().filter(r -> r.key().equals(id))
                    .toList();
            assertEquals(1, copies.size(), id + ": " + copies.size() + " snapshots");
            assertEquals(target, copies.get(0).partition(), id);
            assertEquals(target, StateSnapshot.parseFrom(copies.get(0).value()).getInputPartition(), id);
        }

        // The service on 6 partitions; a new producer (its metadata sees 6) routes the rest of the frames.
        Config six = ConfigFactory.parseString("odecast.kafka.partitions = 6").withFallback(three);
        StreamingService second = StreamFixtures.startService(six, model);
        try (var producer6 = StreamFixtures.producer(kafka.bootstrapServers())) {
            await(() -> second.readiness().ready(), Duration.ofSeconds(60));
            publish(producer6, prefix + ".frames", after);
            int total = STREAMS * FRAMES;
            List<ForecastMessage> forecasts = StreamFixtures.readAtLeast(kafka.bootstrapServers(),
                    prefix + ".forecasts", total).stream().map(StreamFixtures::forecast).toList();
            assertEquals(total, forecasts.stream().map(f -> f.streamId() + "@" + f.basedOnTime()).distinct().count(),
                    "one forecast per frame");
            assertEquals(total, forecasts.size(), "none repeated");
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model, byStream, forecasts);
            assertEquals(STREAMS, second.metrics().streamsRestored(), "every stream came back from its snapshot");
        } finally {
            second.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void unprocessedFramesAnUncleanStopOrFewerPartitionsAreRefusedWithTheReason() throws Exception {
        String prefix = "grow-refused";
        Config three = config(kafka.bootstrapServers(), prefix);
        StreamingService service = StreamFixtures.startService(three, model);
        service.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        awaitEmptyGroup(prefix + "-group");
        publish(producer, prefix + ".frames", sixHourly("plain/late", 2, new Random(32)));
        StateRepartitioner repartitioner = new StateRepartitioner(settings(three));
        var behind = assertThrows(IllegalStateException.class, () -> repartitioner.run(6, false));
        assertTrue(behind.getMessage().contains("not yet processed"), behind.getMessage());

        StreamingService again = StreamFixtures.startService(three, model);
        try {
            await(() -> again.metrics().forecastsEmitted() >= 2, Duration.ofSeconds(60));
        } finally {
            again.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        awaitEmptyGroup(prefix + "-group");
        assertEquals(1, repartitioner.run(6, true).streams(), "processed and stopped cleanly: the plan is made");
        // As a crash leaves it: the commit's replay point before its offset (states not all snapshotted).
        int p = FramePartitioner.partition("plain/late", false, 3, 0);
        var tp = new org.apache.kafka.common.TopicPartition(prefix + ".frames", p);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            long committed = admin.listConsumerGroupOffsets(prefix + "-group").partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(tp).offset();
            admin.alterConsumerGroupOffsets(prefix + "-group", Map.of(tp,
                    new org.apache.kafka.clients.consumer.OffsetAndMetadata(committed, PartitionTask.metadata(0))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        var unclean = assertThrows(IllegalStateException.class, () -> repartitioner.run(6, false));
        assertTrue(unclean.getMessage().contains("did not stop cleanly"), unclean.getMessage());
        var fewer = assertThrows(IllegalArgumentException.class, () -> repartitioner.run(2, false));
        assertTrue(fewer.getMessage().contains("cannot take partitions away"), fewer.getMessage());
        assertEquals(3, partitions(prefix + ".frames"));
    }

    /** The latest record of each key in each partition of {@code topic} (tombstones removing). */
    private static Map<String, ConsumerRecord<String, byte[]>> latestByKeyAndPartition(String topic) {
        Map<String, ConsumerRecord<String, byte[]>> latest = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : StreamFixtures.readUntil(kafka.bootstrapServers(), topic,
                Duration.ofSeconds(5), rs -> false)) {
            if (r.value() == null) {
                latest.remove(r.key() + "@" + r.partition());
            } else {
                latest.put(r.key() + "@" + r.partition(), r);
            }
        }
        return latest;
    }

    /** Waits until the group has no members (a stopped instance's static members leave at close). */
    private static void awaitEmptyGroup(String group) throws InterruptedException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            await(() -> {
                try {
                    return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group)
                            .members().isEmpty();
                } catch (java.util.concurrent.ExecutionException e) {
                    // A group that never formed (or was deleted) has no members.
                    return e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException;
                } catch (Exception e) {
                    return false;
                }
            }, Duration.ofSeconds(30));
        }
    }

    private static ServiceSettings settings(Config config) {
        return ServiceSettings.fromConfig(config.withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private static int partitions(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
        }
    }
}
