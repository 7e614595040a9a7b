package io.odecast.stream;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Every setting of the streaming service, read once from the {@code odecast} section of the configuration (see
 * {@code reference.conf} for what each key means).
 *
 * @param instanceId       this instance's stable name: its static group membership and transactional id, so that a
 *                         restarted instance takes its partitions back at once and fences its predecessor
 * @param kafka            brokers, group, topics and client properties
 * @param decoder          model calls
 * @param delivery         delivery guarantee
 * @param snapshot         state snapshots and restore
 * @param engine           the consumer loop: poll, restart backoff
 * @param input            input checks
 * @param idleTimeout      a stream not seen for this long (wall clock) has its state evicted (its snapshot stays)
 * @param stateRetention   a stream not seen for this long (wall clock) is forgotten: its snapshot is deleted from
 *                         the local store and the state topic (a tombstone), and it starts afresh if it returns;
 *                         zero keeps every stream's snapshot for ever
 * @param maxActiveStreams the most streams whose states are held in memory; beyond it the least recently seen
 *                         ones are evicted (snapshot kept in the local store, restored when they return)
 * @param stateDir         folder of the local state store (one folder per instance id and partition)
 * @param provisionalCheck how often streams with a cadence are checked for overdue ticks; zero disables
 * @param modelsDir        folder holding {@code <model name>/} checkpoints
 * @param streams          per-stream settings by stream id pattern
 */
public record ServiceSettings(String instanceId, KafkaSettings kafka, DecoderSettings decoder, DeliveryMode delivery,
                              SnapshotSettings snapshot, EngineSettings engine, InputSettings input,
                              Duration idleTimeout, Duration stateRetention, int maxActiveStreams, Path stateDir,
                              Duration provisionalCheck, Path modelsDir, StreamRules streams) {

    /** Delivery guarantees. */
    public enum DeliveryMode {
        /**
         * Offsets are committed after a frame's outputs are acknowledged; a crash may repeat the outputs of frames
         * read since the last commit, and a repeated forecast is marked {@code REPLAYED}.
         */
        AT_LEAST_ONCE,
        /**
         * Kafka transactions: a batch's outputs, snapshots, dead letters and input offsets commit atomically;
         * readers use {@code read_committed}. A crash repeats nothing.
         */
        EXACTLY_ONCE;

        static DeliveryMode parse(String value) {
            return switch (value) {
                case "at-least-once" -> AT_LEAST_ONCE;
                case "exactly-once" -> EXACTLY_ONCE;
                default -> throw new IllegalArgumentException("odecast.delivery = \"" + value + "\" is not a delivery"
                        + " mode; use \"at-least-once\" or \"exactly-once\"");
            };
        }
    }

    /**
     * The consumer loop.
     *
     * @param pollTimeout   the longest one poll waits for records
     * @param backoffMin    first wait before the engine restarts after a failure (broker outage, commit timeout)
     * @param backoffMax    the wait doubles per consecutive failure up to this
     * @param maintenance   how often idle eviction and timed snapshots are checked
     * @param targetStep    a poll's records are processed and committed in chunks sized to take about this long
     * @param threads       consumer loops in this process (each with its own consumer, producer and partitions,
     *                      sharing the decoder's workers), so that steps of different partitions are in flight at
     *                      once; 0: two per decoder worker
     */
    public record EngineSettings(Duration pollTimeout, Duration backoffMin, Duration backoffMax,
                                 Duration maintenance, Duration targetStep, int threads) {
        public EngineSettings {
            if (threads < 0 || threads > 64) {
                throw new IllegalArgumentException("odecast.engine.threads must be between 0 (two per decoder worker)"
                        + " and 64, got " + threads);
            }
            if (backoffMin.isNegative() || backoffMax.compareTo(backoffMin) < 0) {
                throw new IllegalArgumentException("odecast.engine.restart-backoff: need 0 <= min <= max, got "
                        + backoffMin + " and " + backoffMax);
            }
        }

        static EngineSettings fromConfig(Config c) {
            return new EngineSettings(c.getDuration("poll-timeout"), c.getDuration("restart-backoff.min"),
                    c.getDuration("restart-backoff.max"), c.getDuration("maintenance-every"),
                    c.getDuration("target-step"), c.getInt("threads"));
        }
    }

    /**
     * Input checks.
     *
     * @param maxClockSkew         a frame whose event time is further ahead of its record's timestamp is rejected
     *                             as FUTURE_TIME
     * @param maxStdDevs           a valid cell further than this many of the model's standard deviations from its
     *                             channel mean is rejected as OUT_OF_RANGE
     * @param deadLetterValueBytes the most bytes of a rejected value a dead letter copies
     */
    public record InputSettings(Duration maxClockSkew, double maxStdDevs, int deadLetterValueBytes) {
        public InputSettings {
            if (maxClockSkew.isNegative() || !(maxStdDevs > 0) || deadLetterValueBytes < 0) {
                throw new IllegalArgumentException("odecast.input: max-clock-skew >= 0, max-std-devs > 0 and"
                        + " dead-letter-value-bytes >= 0 needed, got " + maxClockSkew + ", " + maxStdDevs + ", "
                        + deadLetterValueBytes);
            }
        }

        static InputSettings fromConfig(Config c) {
            return new InputSettings(c.getDuration("max-clock-skew"), c.getDouble("max-std-devs"),
                    (int) c.getMemorySize("dead-letter-value-bytes").toBytes());
        }
    }

    public ServiceSettings {
        if (instanceId == null || instanceId.isBlank() || !instanceId.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("odecast.instance-id must be letters, digits, '.', '_' or '-', got \""
                    + instanceId + "\"");
        }
        if (stateRetention.isNegative() || (!stateRetention.isZero() && stateRetention.compareTo(idleTimeout) <= 0)) {
            throw new IllegalArgumentException("odecast.state-retention (" + stateRetention + ") must be longer than "
                    + "odecast.idle-timeout (" + idleTimeout + "), or 0s to keep every stream's snapshot for ever");
        }
        if (!stateRetention.isZero() && streams != null) {
            for (StreamRules.Rule rule : streams.rules()) {
                StreamSettings st = rule.settings();
                Optional<Duration> longest = java.util.stream.Stream.of(st.maxGap(), st.cadence())
                        .flatMap(Optional::stream).max(Duration::compareTo);
                if (longest.isPresent() && longest.get().compareTo(stateRetention) >= 0) {
                    throw new IllegalArgumentException("odecast.state-retention (" + stateRetention + ") must be"
                            + " longer than the max-gap and cadence of stream rule \"" + rule.pattern() + "\" ("
                            + longest.get() + "): a stream silent that long would be forgotten before it could go on;"
                            + " raise state-retention, or 0s to keep every stream's snapshot for ever");
                }
            }
        }
        if (provisionalCheck.isNegative()) {
            throw new IllegalArgumentException("odecast.provisional-check-every must not be negative (0s disables),"
                    + " got " + provisionalCheck);
        }
        if (maxActiveStreams < 1) {
            throw new IllegalArgumentException("odecast.max-active-streams must be >= 1, got " + maxActiveStreams);
        }
    }

    /** Reads {@code config.getConfig("odecast")}; the configuration should include the reference defaults. */
    public static ServiceSettings fromConfig(Config config) {
        Config c = config.getConfig("odecast");
        String instance = c.getString("instance-id");
        return new ServiceSettings(instance.isEmpty() ? hostName() : instance,
                KafkaSettings.fromConfig(c.getConfig("kafka")), DecoderSettings.fromConfig(c.getConfig("decoder")),
                DeliveryMode.parse(c.getString("delivery")), SnapshotSettings.fromConfig(c.getConfig("snapshot")),
                EngineSettings.fromConfig(c.getConfig("engine")), InputSettings.fromConfig(c.getConfig("input")),
                c.getDuration("idle-timeout"), c.getDuration("state-retention"), c.getInt("max-active-streams"),
                Path.of(c.getString("state-dir")),
                c.getDuration("provisional-check-every"), Path.of(c.getString("models-dir")),
                StreamRules.fromConfig(c.getConfigList("streams"), c.getConfig("stream-defaults")));
    }

    /**
     * Consumer loops of this process: {@code engine.threads}, with 0 resolved to two per decoder worker. A loop runs
     * one step at a time; with a loop per worker a worker can idle while a frame waits behind its loop's step in
     * progress, with two per worker the workers stay fed (docs/benchmarks.md).
     */
    public int engineThreads() {
        return engine.threads() > 0 ? engine.threads() : 2 * decoder.resolvedWorkers();
    }

    /**
     * The identity of consumer loop {@code index} (group.instance.id, transactional id, state folder): the
     * instance id for the first, {@code <instance id>-e<index>} for the others, so a single-loop instance keeps the
     * names it always had, and a restarted instance with the same loop count takes back every loop's partitions and
     * fences every loop's predecessor.
     */
    public String engineId(int index) {
        if (isPriorityLane(index)) {
            return instanceId + "-priority";
        }
        return index == 0 ? instanceId : instanceId + "-e" + index;
    }

    /**
     * Every consumer loop of this process: {@link #engineThreads()}, plus the priority lane when partitions are
     * reserved for high-priority streams ({@code kafka.priority-partitions}).
     */
    public int consumerLoops() {
        return engineThreads() + (kafka.priorityPartitions() > 0 ? 1 : 0);
    }

    /** Whether loop {@code index} is the priority lane: the last loop, present when partitions are reserved. */
    public boolean isPriorityLane(int index) {
        return kafka.priorityPartitions() > 0 && index == engineThreads();
    }

    /** A copy with other bootstrap servers. */
    public ServiceSettings withBootstrapServers(String servers) {
        return new ServiceSettings(instanceId, kafka.withBootstrapServers(servers), decoder, delivery, snapshot, engine,
                input, idleTimeout, stateRetention, maxActiveStreams, stateDir, provisionalCheck, modelsDir, streams);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (UnknownHostException e) {
            return "odecast";
        }
    }
}
