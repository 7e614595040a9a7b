package io.odecast.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the odecast topics that are missing and checks the ones that exist. Safe to run from every instance
 * at start: a topic created concurrently by another instance is not an error.
 *
 * <p>State and models are compacted (only the latest snapshot per stream and version per model matter). The
 * state topic has as many partitions as the frames topic, so that with the default partitioner a stream's
 * snapshots sit in the state partition numbered like its input partition and can be restored on assignment.
 * The models topic has one partition, so every instance sees versions in one order.
 */
public final class TopicSetup {
    private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

    /**
     * How to create topics.
     *
     * @param partitions        partitions of frames, forecasts, regular frames, state and dead letters
     * @param replicationFactor replicas of every topic (1 for the embedded broker, 3 in production)
     * @param maxMessageBytes   {@code max.message.bytes} of every topic; frames and snapshots of large grids need
     *                          more than Kafka's 1 MiB default (producers need {@code max.request.size} to match)
     */
    public record Settings(int partitions, short replicationFactor, int maxMessageBytes) {
        public Settings {
            if (partitions < 1 || replicationFactor < 1 || maxMessageBytes < 1) {
                throw new IllegalArgumentException("topic settings must be positive, got partitions=" + partitions
                        + " replicationFactor=" + replicationFactor + " maxMessageBytes=" + maxMessageBytes);
            }
        }

        /** 3 partitions, replication 1, 64 MiB messages: the embedded broker's settings. */
        public static Settings defaults() {
            return new Settings(3, (short) 1, 64 * 1024 * 1024);
        }
    }

    private final Admin admin;
    private final TopicNames names;
    private final Settings settings;

    public TopicSetup(Admin admin, TopicNames names, Settings settings) {
        this.admin = admin;
        this.names = names;
        this.settings = settings;
    }

    /** The topics as they would be created. */
    public List<NewTopic> plannedTopics() {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names.all()) {
            Map<String, String> configs = new HashMap<>();
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(settings.maxMessageBytes()));
            if (names.compacted().contains(name)) {
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            }
            int partitions = name.equals(names.models()) ? 1 : settings.partitions();
            topics.add(new NewTopic(name, partitions, settings.replicationFactor()).configs(configs));
        }
        return topics;
    }

    /**
     * Creates the missing topics, then {@link #verify verifies} all of them.
     *
     * @return the names of the topics this call created
     * @throws TopicSetupException when the broker cannot be reached in time or an existing topic is unusable
     */
    public List<String> ensureTopics(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Set<String> existing = call(admin.listTopics().names(), deadline, "list topics");
        List<NewTopic> missing = plannedTopics().stream().filter(t -> !existing.contains(t.name())).toList();
        List<String> created = new ArrayList<>();
        if (!missing.isEmpty()) {
            var result = admin.createTopics(missing);
            for (NewTopic topic : missing) {
                try {
                    call(result.values().get(topic.name()), deadline, "create topic " + topic.name());
                    created.add(topic.name());
                } catch (TopicSetupException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            LOG.info("Created Kafka topics {}", created);
        }
        verify(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        return created;
    }

    /**
     * Checks that every topic exists, that state and models are compacted, that state and forecasts have as
     * many partitions as frames, and that models has one.
     *
     * @throws TopicSetupException naming the topic, what was found and what to change
     */
    public void verify(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, TopicDescription> descriptions = describeWithRetry(deadline);
        List<ConfigResource> compacted = names.compacted().stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        Map<ConfigResource, Config> configs = call(admin.describeConfigs(compacted).all(), deadline,
                "describe configs of " + names.compacted());
        for (var entry : configs.entrySet()) {
            String topic = entry.getKey().name();
            var policy = entry.getValue().get(TopicConfig.CLEANUP_POLICY_CONFIG);
            String value = policy == null ? "" : policy.value();
            if (!List.of(value.split(",")).contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                throw new TopicSetupException("topic " + topic + " has cleanup.policy=" + value
                        + " but odecast needs compact; change it with kafka-configs.sh --alter --entity-type topics"
                        + " --entity-name " + topic + " --add-config cleanup.policy=compact");
            }
        }
        int framePartitions = descriptions.get(names.frames()).partitions().size();
        for (String topic : List.of(names.state(), names.forecasts())) {
            int partitions = descriptions.get(topic).partitions().size();
            if (framePartitions != partitions) {
                throw new TopicSetupException("topic " + topic + " has " + partitions + " partitions but "
                        + names.frames() + " has " + framePartitions + "; they must match: a stream's snapshots"
                        + " and forecasts go to the partition numbered like its frames' (co-partitioning)");
            }
        }
        int modelPartitions = descriptions.get(names.models()).partitions().size();
        if (modelPartitions != 1) {
            throw new TopicSetupException("topic " + names.models() + " has " + modelPartitions + " partitions but"
                    + " odecast needs 1: model versions are read in one order from partition 0, and versions"
                    + " written elsewhere would never serve; recreate it with one partition");
        }
    }

    private Map<String, TopicDescription> describeWithRetry(long deadline) {
        while (true) {
            try {
                return call(admin.describeTopics(names.all()).allTopicNames(), deadline, "describe topics "
                        + names.all());
            } catch (TopicSetupException e) {
                // Just-created topics can take a moment to reach the metadata cache.
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw e;
                }
                sleep();
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new TopicSetupException("interrupted while waiting for topic metadata", ie);
        }
    }

    private static <T> T call(org.apache.kafka.common.KafkaFuture<T> future, long deadline, String what) {
        try {
            return future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new TopicSetupException("could not " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new TopicSetupException("timed out trying to " + what + "; is the Kafka broker reachable?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TopicSetupException("interrupted trying to " + what, e);
        }
    }

    /**
     * Waits until every partition of the just-created topics answers a request for its end offset: the
     * broker may report a leader before it hosts the partition, and a producer writing in that window can
     * get its first batch both appended and refused, then retry it forever as out of sequence.
     */
    public static void awaitPartitionLeaders(Admin admin, Collection<String> topics, Duration timeout) {
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                admin.describeTopics(topics).allTopicNames().get().forEach((name, description) ->
                        description.partitions().forEach(p ->
                                latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
                admin.listOffsets(latest).all().get();
                return;
            } catch (ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw new TopicSetupException("partitions of " + topics + " have no leader after " + timeout
                            + ": " + e.getCause().getMessage(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TopicSetupException("interrupted while waiting for partition leaders of " + topics, e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TopicSetupException("interrupted while waiting for partition leaders of " + topics, e);
            }
        }
    }
}
