package io.odecast.stream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.odecast.kafka.TopicSetup;
import io.odecast.kafka.TopicSetupException;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.StateSnapshot;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.kafka.CommitterSettings;
import org.apache.pekko.kafka.ConsumerMessage;
import org.apache.pekko.kafka.ConsumerSettings;
import org.apache.pekko.kafka.ProducerMessage;
import org.apache.pekko.kafka.ProducerSettings;
import org.apache.pekko.kafka.Subscriptions;
import org.apache.pekko.kafka.javadsl.Committer;
import org.apache.pekko.kafka.javadsl.Consumer;
import org.apache.pekko.kafka.javadsl.Producer;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running streaming service: one consumer of the frames topic, the per-stream state stage, a batching
 * decoder actor, and one producer of forecasts, regular frames and dead letters, in one Pekko stream:
 *
 * <pre>
 * committableSource ─► mapAsync(parallelism): decode, validate, per-stream model work ─► CommitGate
 *   + ticks         ─► flexiFlow (outputs and snapshots) ─► Committer.sink (offsets, once acknowledged)
 * </pre>
 *
 * <p>The ticks ({@code provisional-check-every}) go through the same stage, in order with the frames: each asks
 * for provisional frames of overdue cadence ticks and evicts idle streams; they carry no offset to commit.
 *
 * <p>Delivery is at-least-once and the states are exact. A frame's offset is committed only after all its outputs
 * are acknowledged, in input order, and, with snapshots on, only once every frame up to it is in an acknowledged
 * snapshot of its stream ({@link CommitGate}). At start the state topic is read to its end and each stream is
 * seeded from its latest snapshot (same model name and version only); replayed frames a snapshot already
 * includes are skipped, the others are absorbed again. So after a crash no forecast is lost, the forecasts of
 * up to {@code every-frames - 1} frames per stream may be repeated, and each state equals the one of an
 * uninterrupted run. With snapshots off, a restarted stream starts from an empty state.
 *
 * <pre>{@code
 * StreamingService service = StreamingService.start(ConfigFactory.load());
 * ...
 * service.drainAndShutdown().toCompletableFuture().join();
 * }</pre>
 */
public final class StreamingService {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingService.class);

    private final ServiceSettings settings;
    private final ServiceMetrics metrics;
    private final ActorSystem<Void> system;
    private final ModelRegistry models;
    private final Consumer.DrainingControl<Done> control;

    private StreamingService(ServiceSettings settings, ServiceMetrics metrics, ActorSystem<Void> system,
                             ModelRegistry models, Consumer.DrainingControl<Done> control) {
        this.settings = settings;
        this.metrics = metrics;
        this.system = system;
        this.models = models;
        this.control = control;
    }

    /** Starts the service with the {@code odecast} settings of {@code config} (reference defaults filled in). */
    public static StreamingService start(Config config) {
        return builder(config).start();
    }

    /** A builder, for overriding the brokers or injecting models. */
    public static Builder builder(Config config) {
        return new Builder(config);
    }

    public ServiceSettings settings() {
        return settings;
    }

    /** Live counters. */
    public ServiceMetrics metrics() {
        return metrics;
    }

    /** Completes when the stream stops: normally after {@link #drainAndShutdown()}, exceptionally on failure. */
    public CompletionStage<Done> completion() {
        return control.streamCompletion();
    }

    /**
     * Stops consuming, lets the frames in flight finish (outputs produced, offsets committed), then stops the
     * consumer, the decoder and the actor system.
     */
    public CompletionStage<Done> drainAndShutdown() {
        return control.drainAndShutdown(system.executionContext())
                .handle((done, error) -> {
                    if (error != null) {
                        LOG.warn("Stream ended with a failure while draining: {}", error.toString());
                    }
                    return Done.getInstance();
                })
                .thenCompose(done -> {
                    system.terminate();
                    return system.getWhenTerminated();
                })
                .thenApply(done -> {
                    models.close();
                    LOG.info("Streaming service stopped: {}", metrics);
                    return Done.getInstance();
                });
    }

    /** Settings of a service to start; only the configuration is required. */
    public static final class Builder {
        private final Config config;
        private String bootstrapServers;
        private Map<String, VidOdeModel> models = Map.of();
        private Clock clock = Clock.systemUTC();

        private Builder(Config config) {
            this.config = config;
        }

        /** Overrides {@code odecast.kafka.bootstrap-servers}. */
        public Builder bootstrapServers(String servers) {
            this.bootstrapServers = servers;
            return this;
        }

        /** Models by name, used instead of loading checkpoints from the models directory. */
        public Builder models(Map<String, VidOdeModel> models) {
            this.models = new HashMap<>(models);
            return this;
        }

        /** The clock stamping forecasts and dead letters (wall-clock fields only). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Creates the topics if configured, starts the actor system, the decoder and the stream.
         *
         * @throws io.odecast.kafka.TopicSetupException when the brokers cannot be reached or a topic is unusable
         */
        public StreamingService start() {
            Config full = ConfigFactory.load(config);
            ServiceSettings settings = ServiceSettings.fromConfig(full);
            if (bootstrapServers != null) {
                settings = settings.withBootstrapServers(bootstrapServers);
            }
            KafkaSettings kafka = settings.kafka();
            if (kafka.createTopics()) {
                try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.bootstrapServers()))) {
                    List<String> created = new TopicSetup(admin, kafka.topics(), kafka.topicSetup())
                            .ensureTopics(kafka.setupTimeout());
                    awaitPartitionLeaders(admin, created, kafka.setupTimeout());
                }
            }
            ServiceMetrics metrics = new ServiceMetrics();
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "odecast", full);
            ModelRegistry registry = new ModelRegistry(settings.modelsDir(), models);
            try {
                ActorRef<DecoderActor.Command> decoder = system.systemActorOf(
                        DecoderActor.create(settings.decoder(), metrics), "decoder",
                        DispatcherSelector.fromConfig("odecast.decoder-dispatcher"));
                Map<String, StateSnapshot> restored = settings.snapshot().enabled() && settings.snapshot().restore()
                        ? StateTopicReader.readLatest(kafka.bootstrapServers(), kafka.topics().state(),
                                kafka.topicSetup().maxMessageBytes(), kafka.setupTimeout())
                        : Map.of();
                StreamStateStage stage = new StreamStateStage(settings, registry, decoder, system.scheduler(),
                        metrics, clock, restored);
                Consumer.DrainingControl<Done> control = run(settings, system, stage);
                LOG.info("Streaming service consuming {} from {} as group {}", kafka.topics().frames(),
                        kafka.bootstrapServers(), kafka.groupId());
                return new StreamingService(settings, metrics, system, registry, control);
            } catch (RuntimeException e) {
                system.terminate();
                registry.close();
                throw e;
            }
        }

        /**
         * Waits until every partition of the just-created topics answers a request for its end offset: the
         * broker may report a leader before it hosts the partition, and a producer writing in that window can
         * get its first batch both appended and refused, then retry it forever as out of sequence.
         */
        private static void awaitPartitionLeaders(Admin admin, List<String> topics, Duration timeout) {
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

        private static Consumer.DrainingControl<Done> run(ServiceSettings settings, ActorSystem<Void> system,
                                                          StreamStateStage stage) {
            KafkaSettings kafka = settings.kafka();
            String maxBytes = Integer.toString(kafka.topicSetup().maxMessageBytes());
            ConsumerSettings<String, byte[]> consumerSettings = ConsumerSettings
                    .create(system, new StringDeserializer(), new ByteArrayDeserializer())
                    .withBootstrapServers(kafka.bootstrapServers())
                    .withGroupId(kafka.groupId())
                    .withProperty(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                    .withProperty(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, maxBytes)
                    // Draining needs no extra wait: the control stops the source, then in-flight frames finish.
                    .withStopTimeout(Duration.ZERO)
                    .withCommitTimeout(kafka.commitTimeout());
            ProducerSettings<String, byte[]> producerSettings = ProducerSettings
                    .create(system, new StringSerializer(), new ByteArraySerializer())
                    .withBootstrapServers(kafka.bootstrapServers())
                    .withProperty(ProducerConfig.ACKS_CONFIG, "all")
                    .withProperty(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxBytes);
            CommitGate<ConsumerMessage.CommittableOffset> gate = new CommitGate<>();
            // An empty element is a tick of the provisional-frame check; it carries no offset to commit.
            Source<Optional<ConsumerMessage.CommittableMessage<String, byte[]>>, Consumer.Control> input = Consumer
                    .committableSource(consumerSettings, Subscriptions.topics(kafka.topics().frames()))
                    .map(Optional::of);
            Duration check = settings.provisionalCheck();
            if (!check.isZero()) {
                // Eager completion: draining stops the consumer, and the stream must end without the ticks.
                input = input.merge(Source.tick(check, check, Optional.empty()), true);
            }
            return input
                    .mapAsync(settings.parallelism(), element -> {
                        if (element.isEmpty()) {
                            StreamStateStage.Processed tick = stage.tick();
                            tick.evicted().forEach(gate::covered);
                            return tick.records().thenApply(
                                    records -> envelope(records, Optional.<ConsumerMessage.CommittableOffset>empty()));
                        }
                        var message = element.get();
                        // Both calls run here, in input order: the gate relies on it.
                        StreamStateStage.Processed processed = stage.process(message.record());
                        processed.evicted().forEach(gate::covered);
                        var record = message.record();
                        Optional<ConsumerMessage.CommittableOffset> commit = gate.passed(
                                new TopicPartition(record.topic(), record.partition()), record.offset(),
                                message.committableOffset(), processed.streamId(), processed.coverage());
                        return processed.records().thenApply(records -> envelope(records, commit));
                    })
                    .via(Producer.flexiFlow(producerSettings))
                    .map(ProducerMessage.Results::passThrough)
                    .filter(Optional::isPresent)
                    .map(Optional::get)
                    .toMat(Committer.sink(CommitterSettings.create(system)), Keep.both())
                    .mapMaterializedValue(Consumer::createDrainingControl)
                    .run(system);
        }

        private static <P> ProducerMessage.Envelope<String, byte[], P> envelope(
                List<ProducerRecord<String, byte[]>> records, P offset) {
            return records.isEmpty() ? ProducerMessage.passThrough(offset) : ProducerMessage.multi(records, offset);
        }
    }
}
