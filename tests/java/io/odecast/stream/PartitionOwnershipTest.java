package io.odecast.stream;

import static io.odecast.stream.StreamFixtures.await;
import static io.odecast.stream.StreamFixtures.config;
import static io.odecast.stream.StreamFixtures.forecast;
import static io.odecast.stream.StreamFixtures.frame;
import static io.odecast.stream.StreamFixtures.sixHourly;
import static io.odecast.stream.StreamFixtures.publish;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Two services in one consumer group against a real broker: the streams are shared by partition, and when one
 * instance stops its partitions move to the other with their exact states, in both delivery modes.
 */
class PartitionOwnershipTest extends BrokerTestBase {
    private static final int STREAMS = 6;
    private static final int FRAMES = 8;

    @Test
    void atLeastOnceStoppingOneInstanceMovesItsStreamsWithTheirExactStates() throws Exception {
        handOver("own-alo", "at-least-once");
    }

    @Test
    void exactlyOnceStoppingOneInstanceMovesItsStreamsWithTheirExactStatesAndRepeatsNothing() throws Exception {
        handOver("own-eos", "exactly-once");
    }

    private void handOver(String prefix, String delivery) throws Exception {
        Random rng = new Random(21);
        Map<String, List<FrameMessage>> byStream = new HashMap<>();
        List<FrameMessage> first = new ArrayList<>();
        List<FrameMessage> second = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            String id = "plain/s" + s;
            List<FrameMessage> frames = sixHourly(id, FRAMES, rng);
            byStream.put(id, frames);
            first.addAll(frames.subList(0, FRAMES / 2));
            second.addAll(frames.subList(FRAMES / 2, FRAMES));
        }
        StreamingService a = StreamFixtures.startService(instance(prefix, "a", delivery), model);
        StreamingService b = StreamFixtures.startService(instance(prefix, "b", delivery), model);
        try {
            await(() -> a.metrics().assignedPartitions() + b.metrics().assignedPartitions() == 3
                    && a.metrics().assignedPartitions() > 0 && b.metrics().assignedPartitions() > 0,
                    Duration.ofSeconds(60));
            publish(producer, prefix + ".frames", first);
            await(() -> a.metrics().forecastsEmitted() + b.metrics().forecastsEmitted() >= first.size(),
                    Duration.ofSeconds(60));
            assertTrue(a.metrics().forecastsEmitted() > 0 && b.metrics().forecastsEmitted() > 0,
                    "both instances work: " + a.metrics() + " / " + b.metrics());
            b.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            await(() -> a.metrics().assignedPartitions() == 3, Duration.ofSeconds(60));
            publish(producer, prefix + ".frames", second);
            List<ForecastMessage> forecasts = readCommitted(prefix + ".forecasts", STREAMS * FRAMES);
            Map<String, List<ForecastMessage>> copies = new HashMap<>();
            for (ForecastMessage f : forecasts) {
                copies.computeIfAbsent(f.streamId() + "@" + f.basedOnTime(), k -> new ArrayList<>()).add(f);
            }
            assertEquals(STREAMS * FRAMES, copies.size(), "one forecast per frame");
            assertEquals(STREAMS * FRAMES, forecasts.size(), "no forecast repeated");
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model, byStream, forecasts);
        } finally {
            a.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aJoiningInstanceTakesOnlyItsPartitionWhileTheOtherKeepsItsStreamsInMemoryAndServing() throws Exception {
        String prefix = "own-join";
        int frames = 24;
        Random rng = new Random(22);
        Map<String, List<FrameMessage>> byStream = new HashMap<>();
        List<FrameMessage> first = new ArrayList<>();
        List<FrameMessage> second = new ArrayList<>();
        for (int s = 0; s < 9; s++) {
            String id = "plain/j" + s;
            List<FrameMessage> mine = sixHourly(id, frames, rng);
            byStream.put(id, mine);
            first.addAll(mine.subList(0, 4));
        }
        for (int i = 4; i < frames; i++) {
            for (List<FrameMessage> mine : byStream.values()) {
                second.add(mine.get(i));
            }
        }
        // Instance b joins second; ProcessAwareAssignor (sticky) leaves two partitions with a's loops and moves one
        // (which one depends on how a's loops split them): every partition holds some streams, not all.
        for (int p = 0; p < 3; p++) {
            int part = p;
            long on = byStream.keySet().stream()
                    .filter(id -> io.odecast.kafka.FramePartitioner.partition(id, false, 3, 0) == part).count();
            assertTrue(on > 0 && on < byStream.size(), "streams on partition " + p + ": " + on);
        }
        StreamingService a = StreamFixtures.startService(instance(prefix, "a", "exactly-once"), model);
        StreamingService b = null;
        Thread publisher = null;
        try {
            // Every loop of a joined and settled (a's loops may join in several rounds), all three partitions owned.
            await(() -> a.readiness().ready() && a.metrics().assignedPartitions() == 3, Duration.ofSeconds(60));
            publish(producer, prefix + ".frames", first);
            await(() -> a.metrics().forecastsEmitted() >= first.size(), Duration.ofSeconds(60));
            long restoredBefore = a.metrics().streamsRestored();
            // Frames keep coming while b starts and the group rebalances (two rounds): a keeps serving its partitions.
            publisher = new Thread(() -> {
                for (FrameMessage f : second) {
                    publish(producer, prefix + ".frames", List.of(f));
                    try {
                        Thread.sleep(25);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "join-test-publisher");
            publisher.start();
            StreamingService joined = StreamFixtures.startService(instance(prefix, "b", "exactly-once"), model);
            b = joined;
            await(() -> a.metrics().assignedPartitions() == 2 && joined.metrics().assignedPartitions() == 1
                    && a.readiness().ready() && joined.readiness().ready(), Duration.ofSeconds(60));
            publisher.join(60_000);
            // The partition b took, as its last poll saw it.
            await(() -> joined.metrics().consumerLag().size() == 1, Duration.ofSeconds(30));
            int taken = joined.metrics().consumerLag().keySet().iterator().next();
            long moved = byStream.keySet().stream()
                    .filter(id -> io.odecast.kafka.FramePartitioner.partition(id, false, 3, 0) == taken).count();
            List<ForecastMessage> forecasts = readCommitted(prefix + ".forecasts", byStream.size() * frames);
            Map<String, List<ForecastMessage>> copies = new HashMap<>();
            for (ForecastMessage f : forecasts) {
                copies.computeIfAbsent(f.streamId() + "@" + f.basedOnTime(), k -> new ArrayList<>()).add(f);
            }
            assertEquals(byStream.size() * frames, copies.size(), "one forecast per frame");
            assertEquals(byStream.size() * frames, forecasts.size(), "no forecast repeated");
            // Cooperative rebalancing: a's partitions 0 and 1 were never revoked, so none of its streams went through a
            // snapshot and back (eager rebalancing revokes and restores every partition of every member), and a held
            // its steps and commits while a round was in progress instead of failing a commit and restarting.
            assertEquals(restoredBefore, a.metrics().streamsRestored(), "a restored streams it never gave up during the"
                    + " join: " + a.metrics());
            assertEquals(moved, joined.metrics().streamsRestored(), "b restored each moved stream once");
            assertEquals(0, a.metrics().engineRestarts(), "a: " + a.metrics());
            assertEquals(0, joined.metrics().engineRestarts(), "b: " + joined.metrics());
            assertTrue(a.metrics().pollsHeldForRebalance() > 0, "a was polling while the group rebalanced");
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model, byStream, forecasts);
        } finally {
            if (publisher != null) {
                publisher.interrupt();
                publisher.join(10_000);
            }
            if (b != null) {
                b.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
            a.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /**
     * The group removes a member (as it does when a step outlasts max.poll.interval.ms, or an operator removes it) while
     * frames flow: the loop learns it at its next poll, right after a step whose commit waits for the next step's model
     * calls. That commit belongs to the generation the group left; committed under the rejoined one it would add a
     * second copy of every forecast the restored partitions replay from the last commit.
     */
    @Test
    void aMemberTheGroupRemovesDropsItsUncommittedStepAndRepeatsNothing() throws Exception {
        String prefix = "own-lost";
        int frames = 80;
        Random rng = new Random(23);
        Map<String, List<FrameMessage>> byStream = new HashMap<>();
        List<FrameMessage> all = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            String id = "plain/l" + s;
            byStream.put(id, sixHourly(id, frames, rng));
        }
        for (int i = 0; i < frames; i++) {
            for (List<FrameMessage> mine : byStream.values()) {
                all.add(mine.get(i));
            }
        }
        // One loop (one member to remove) that hears of its removal within 100 ms, so that the poll after a step learns it.
        Config config = ConfigFactory.parseString("odecast { engine.threads = 1, "
                        + "kafka.consumer.kafka-clients.heartbeat.interval.ms = 100 }")
                .withFallback(instance(prefix, "a", "exactly-once"));
        StreamingService a = StreamFixtures.startService(config, model);
        String member = ServiceSettings.fromConfig(config.withFallback(ConfigFactory.defaultReference()).resolve()).engineId(0);
        Thread publisher = null;
        try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of(
                org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            await(() -> a.readiness().ready() && a.metrics().assignedPartitions() == 3, Duration.ofSeconds(60));
            int rounds = 5;
            int block = all.size() / rounds;
            for (int round = 1; round <= rounds; round++) {
                // This round's frames flow (a block of every stream's next frames, 15 ms apart) while the member is
                // removed once at least 20 of them have their forecasts.
                List<FrameMessage> roundFrames = all.subList((round - 1) * block, round * block);
                Thread flow = new Thread(() -> {
                    for (FrameMessage f : roundFrames) {
                        publish(producer, prefix + ".frames", List.of(f));
                        try {
                            Thread.sleep(15);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "lost-test-publisher");
                publisher = flow;
                long before = a.metrics().forecastsEmitted();
                await(() -> a.readiness().ready() && a.metrics().assignedPartitions() == 3
                        && isStableMember(admin, prefix + "-group", member), Duration.ofSeconds(60));
                flow.start();
                await(() -> a.metrics().forecastsEmitted() >= before + 20, Duration.ofSeconds(60));
                admin.removeMembersFromConsumerGroup(prefix + "-group", new org.apache.kafka.clients.admin
                        .RemoveMembersFromConsumerGroupOptions(List.of(
                                new org.apache.kafka.clients.admin.MemberToRemove(member))))
                        .all().get(30, TimeUnit.SECONDS);
                // The loop hears of it from a heartbeat (its partitions lost, then given back) or from a failed commit
                // (a restart from the last commit).
                int expected = round;
                await(() -> a.metrics().partitionsLost() + a.metrics().engineRestarts() >= expected,
                        Duration.ofSeconds(60));
                flow.join(60_000);
            }
            List<ForecastMessage> forecasts = readCommitted(prefix + ".forecasts", all.size());
            Map<String, List<ForecastMessage>> copies = new HashMap<>();
            for (ForecastMessage f : forecasts) {
                copies.computeIfAbsent(f.streamId() + "@" + f.basedOnTime(), k -> new ArrayList<>()).add(f);
            }
            assertEquals(all.size(), copies.size(), "one forecast per frame");
            assertEquals(all.size(), forecasts.size(), "no forecast repeated: " + a.metrics());
            StreamFixtures.assertEachStreamsForecastsEqualTheModelAlone(model, byStream, forecasts);
        } finally {
            if (publisher != null) {
                publisher.interrupt();
                publisher.join(10_000);
            }
            a.drainAndShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
    }

    /** Whether the group is stable with {@code instanceId} among its members (so that it can be removed). */
    private static boolean isStableMember(org.apache.kafka.clients.admin.Admin admin, String group, String instanceId) {
        try {
            var description = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
            return description.groupState() == org.apache.kafka.common.GroupState.STABLE && description.members()
                    .stream().anyMatch(m -> m.groupInstanceId().filter(instanceId::equals).isPresent());
        } catch (Exception e) {
            return false;
        }
    }

    private Config instance(String prefix, String name, String delivery) {
        return ConfigFactory.parseString("odecast { instance-id = \"" + prefix + "-" + name + "\", delivery = \""
                + delivery + "\", snapshot.every-frames = 3 }").withFallback(config(kafka.bootstrapServers(), prefix));
    }

    /** Records of {@code topic} read with read_committed until {@code count} arrived (or 60 s), then 2 s more. */
    private List<ForecastMessage> readCommitted(String topic, int count) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ForecastMessage> out = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            long settle = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settle)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(forecast(r));
                }
                if (out.size() >= count && settle == Long.MAX_VALUE) {
                    settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                }
            }
        }
        return out;
    }
}
