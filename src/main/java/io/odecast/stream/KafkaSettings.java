package io.odecast.stream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import io.odecast.kafka.TopicNames;
import io.odecast.kafka.TopicSetup;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the service talks to Kafka.
 *
 * @param bootstrapServers   {@code host:port[,host:port]} of the brokers
 * @param groupId            consumer group of the frames topic; instances sharing it share the partitions
 * @param topics             topic names
 * @param createTopics       whether to create missing topics at start (and check the existing ones)
 * @param topicSetup         partitions, replication and message size of topics created at start
 * @param commitTimeout      how long an offset or transaction commit may take before the engine restarts
 * @param setupTimeout       how long topic creation and checks may take at start
 * @param transactionTimeout transaction.timeout.ms of the exactly-once producer: how long a crashed instance's open
 *                           transaction blocks read_committed readers when no instance with its id comes back
 * @param common             Kafka client properties for every client ({@code kafka-clients}: security, SASL, TLS)
 * @param consumer           consumer properties ({@code consumer.kafka-clients}), over {@code common}
 * @param producer           producer properties ({@code producer.kafka-clients}), over {@code common}
 * @param admin              admin client properties ({@code admin.kafka-clients}), over {@code common}
 * @param priorityPartitions how many partitions of the frames topic, the last ones, are reserved for high-priority
 *                           streams and served by each instance's priority lane (0: none)
 * @param cooperative        rebalance with the cooperative protocol (only moved partitions are revoked); false: eager,
 *                           for the first bounce of an upgrade from a version whose instances rebalance eagerly
 */
public record KafkaSettings(String bootstrapServers, String groupId, TopicNames topics, boolean createTopics,
                            TopicSetup.Settings topicSetup, Duration commitTimeout, Duration setupTimeout,
                            Duration transactionTimeout, Map<String, String> common, Map<String, String> consumer,
                            Map<String, String> producer, Map<String, String> admin, int priorityPartitions,
                            boolean cooperative) {

    public KafkaSettings {
        if (priorityPartitions < 0 || (priorityPartitions > 0 && priorityPartitions >= topicSetup.partitions())) {
            throw new IllegalArgumentException("odecast.kafka.priority-partitions must be 0 or below"
                    + " odecast.kafka.partitions (" + topicSetup.partitions() + "), got " + priorityPartitions);
        }
        common = Map.copyOf(common);
        consumer = Map.copyOf(consumer);
        producer = Map.copyOf(producer);
        admin = Map.copyOf(admin);
    }

    /** A copy with other bootstrap servers (command line override). */
    public KafkaSettings withBootstrapServers(String servers) {
        return new KafkaSettings(servers, groupId, topics, createTopics, topicSetup, commitTimeout, setupTimeout,
                transactionTimeout, common, consumer, producer, admin, priorityPartitions, cooperative);
    }

    /** Properties of an admin client: bootstrap servers, then {@code common}, then {@code admin}. */
    public Map<String, Object> adminProperties() {
        return merged(admin);
    }

    /**
     * Consumer properties from configuration: bootstrap servers, then {@code common}, then {@code consumer} (the
     * engine adds its own settings over them).
     */
    public Map<String, Object> consumerProperties() {
        return merged(consumer);
    }

    /**
     * Properties of a reader outside any group (operator tools reading a topic to its end): the consumer's, with
     * read_committed, no group and no automatic commit.
     */
    public Map<String, Object> readerProperties() {
        Map<String, Object> props = consumerProperties();
        props.put("isolation.level", "read_committed");
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.remove("group.id");
        props.remove("group.instance.id");
        return props;
    }

    /** Producer properties from configuration (before the engine's own settings). */
    public Map<String, Object> producerProperties() {
        return merged(producer);
    }

    private Map<String, Object> merged(Map<String, String> specific) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.putAll(common);
        props.putAll(specific);
        return props;
    }

    static KafkaSettings fromConfig(Config c) {
        Config t = c.getConfig("topics");
        TopicNames topics = new TopicNames(t.getString("frames"), t.getString("forecasts"),
                t.getString("regular-frames"), t.getString("state"), t.getString("models"),
                t.getString("dead-letters"));
        TopicSetup.Settings setup = new TopicSetup.Settings(c.getInt("partitions"),
                (short) c.getInt("replication-factor"), (int) c.getMemorySize("max-message-bytes").toBytes());
        return new KafkaSettings(c.getString("bootstrap-servers"), c.getString("group-id"), topics,
                c.getBoolean("create-topics"), setup, c.getDuration("commit-timeout"), c.getDuration("setup-timeout"),
                c.getDuration("transaction-timeout"), clientProperties(c, "kafka-clients"),
                clientProperties(c, "consumer.kafka-clients"), clientProperties(c, "producer.kafka-clients"),
                clientProperties(c, "admin.kafka-clients"), c.getInt("priority-partitions"), protocol(c));
    }

    private static boolean protocol(Config c) {
        String p = c.getString("rebalance-protocol");
        if (!p.equals("cooperative") && !p.equals("eager")) {
            throw new IllegalArgumentException("odecast.kafka.rebalance-protocol must be cooperative or eager, got " + p);
        }
        return p.equals("cooperative");
    }

    /** A {@code kafka-clients} section as flat Kafka property names ({@code security.protocol = SASL_SSL}). */
    static Map<String, String> clientProperties(Config c, String path) {
        Map<String, String> props = new LinkedHashMap<>();
        if (!c.hasPath(path)) {
            return props;
        }
        for (Map.Entry<String, ConfigValue> e : c.getConfig(path).entrySet()) {
            // HOCON splits "security.protocol" into nested keys; entrySet() joins them back with dots. Quoted keys
            // come back quoted.
            String key = e.getKey().replace("\"", "");
            props.put(key, String.valueOf(e.getValue().unwrapped()));
        }
        return props;
    }
}
