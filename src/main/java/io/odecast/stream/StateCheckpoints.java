package io.odecast.stream;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a local state folder's checkpoint may stand for the state topic (incremental restore, see
 * {@link SnapshotStore#checkpoint}): only for the same topic of the same cluster ({@code identity}: cluster id, topic
 * name and topic id, so a recreated topic or another cluster behind the same address is never mistaken for it), and
 * for at most half the topic's {@code delete.retention.ms} (a tombstone written after the checkpoint is kept at least
 * that long by compaction, so the restore still reads it). A topic that also deletes by time ({@code cleanup.policy}
 * with {@code delete}) drops records a folder would keep: no checkpoints then.
 *
 * @param identity cluster, topic and topic id, written into each checkpoint and compared on restore
 * @param maxAge   the oldest checkpoint used; zero: none is (every restore reads the whole partition)
 */
record StateCheckpoints(String identity, Duration maxAge) {
    private static final Logger LOG = LoggerFactory.getLogger(StateCheckpoints.class);
    /** Kafka's default delete.retention.ms. */
    private static final long DEFAULT_DELETE_RETENTION_MS = 86_400_000L;

    static final StateCheckpoints NONE = new StateCheckpoints("", Duration.ZERO);

    boolean enabled() {
        return !maxAge.isZero() && !identity.isEmpty();
    }

    /** Reads the state topic's identity and cleanup settings; on any failure, no checkpoints (never fatal). */
    static StateCheckpoints of(Admin admin, String stateTopic, Duration timeout) {
        try {
            long ms = timeout.toMillis();
            String cluster = admin.describeCluster().clusterId().get(ms, TimeUnit.MILLISECONDS);
            TopicDescription topic = admin.describeTopics(List.of(stateTopic)).allTopicNames()
                    .get(ms, TimeUnit.MILLISECONDS).get(stateTopic);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, stateTopic);
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(resource)).all()
                    .get(ms, TimeUnit.MILLISECONDS);
            Config config = configs.get(resource);
            var policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if (policy != null && List.of(policy.value().split(",")).contains(TopicConfig.CLEANUP_POLICY_DELETE)) {
                LOG.info("State topic {} also deletes by time (cleanup.policy={}): every restore reads the whole"
                        + " partition", stateTopic, policy.value());
                return NONE;
            }
            var retention = config.get(TopicConfig.DELETE_RETENTION_MS_CONFIG);
            long deleteRetention = retention == null || retention.value() == null ? DEFAULT_DELETE_RETENTION_MS
                    : Long.parseLong(retention.value());
            return new StateCheckpoints(cluster + "/" + stateTopic + "/" + topic.topicId(),
                    Duration.ofMillis(deleteRetention / 2));
        } catch (Exception e) {
            LOG.warn("Cannot read the state topic {}'s identity and settings ({}): every restore reads the whole"
                    + " partition", stateTopic, e.toString());
            return NONE;
        }
    }
}
