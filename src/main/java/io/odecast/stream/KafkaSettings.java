package io.odecast.stream;

import com.typesafe.config.Config;
import io.odecast.kafka.TopicNames;
import io.odecast.kafka.TopicSetup;
import java.time.Duration;

/**
 * How the service talks to Kafka.
 *
 * @param bootstrapServers {@code host:port[,host:port]} of the brokers
 * @param groupId          consumer group of the frames topic; instances sharing it share the partitions
 * @param topics           topic names
 * @param createTopics     whether to create missing topics at start (and check the existing ones)
 * @param topicSetup       partitions, replication and message size of topics created at start
 * @param commitTimeout    how long an offset commit may take before the stream fails
 * @param setupTimeout     how long topic creation and checks may take at start
 */
public record KafkaSettings(String bootstrapServers, String groupId, TopicNames topics, boolean createTopics,
                            TopicSetup.Settings topicSetup, Duration commitTimeout, Duration setupTimeout) {

    /** A copy with other bootstrap servers (command line override). */
    public KafkaSettings withBootstrapServers(String servers) {
        return new KafkaSettings(servers, groupId, topics, createTopics, topicSetup, commitTimeout, setupTimeout);
    }

    static KafkaSettings fromConfig(Config c) {
        Config t = c.getConfig("topics");
        TopicNames topics = new TopicNames(t.getString("frames"), t.getString("forecasts"),
                t.getString("regular-frames"), t.getString("state"), t.getString("models"),
                t.getString("dead-letters"));
        TopicSetup.Settings setup = new TopicSetup.Settings(c.getInt("partitions"),
                (short) c.getInt("replication-factor"), (int) c.getMemorySize("max-message-bytes").toBytes());
        return new KafkaSettings(c.getString("bootstrap-servers"), c.getString("group-id"), topics,
                c.getBoolean("create-topics"), setup, c.getDuration("commit-timeout"), c.getDuration("setup-timeout"));
    }
}
