package io.odecast.stream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import io.odecast.kafka.TopicSetup;
import io.odecast.kafka.TopicSetupException;
import io.odecast.model.VidOdeModel;
import io.odecast.models.ModelFollower;
import io.odecast.models.ModelTopic;
import io.odecast.models.ModelVersionSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running streaming service: a {@link StreamEngine} (the consumer loop that owns partitions, their streams'
 * states and the commits) and a {@link DecoderActor} on its own dispatcher that runs the model work.
 *
 * <pre>
 * odecast.frames ─► engine: poll ─► validate ─► per-stream waves ─► decoder actor (batched model calls)
 *                          ─► forecasts, regular frames, dead letters, snapshots ─► commit (transaction or acks)
 * </pre>
 *
 * <p>Delivery is {@code at-least-once} (a repeat after a crash is flagged REPLAYED) or {@code exactly-once} (Kafka
 * transactions); see {@link StreamEngine} for ownership, restore and survival. Every model a stream rule names is
 * loaded and checked at start.
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
    private final List<StreamEngine> engines;
    private final BatchRunner runner;
    private final Map<String, String> modelVersions;
    private final ModelSwaps swaps;
    private final ModelFollower follower;
    private volatile boolean draining;

    private StreamingService(ServiceSettings settings, ServiceMetrics metrics, ActorSystem<Void> system,
                             ModelRegistry models, List<StreamEngine> engines, BatchRunner runner,
                             Map<String, String> modelVersions, ModelSwaps swaps, ModelFollower follower) {
        this.settings = settings;
        this.metrics = metrics;
        this.system = system;
        this.models = models;
        this.engines = List.copyOf(engines);
        this.runner = runner;
        this.modelVersions = Map.copyOf(modelVersions);
        this.swaps = swaps;
        this.follower = follower;
    }

    /**
     * The facts an orchestrator's readiness probe needs. A started service has loaded and checked its models and
     * checked (or, with {@code create-topics = false}, left to the operator) its topics.
     *
     * @param modelsLoaded       every rule's models are loaded and ran once
     * @param topicsChecked      the topics exist with usable settings (checked at start when create-topics is on)
     * @param kafkaConnected     every consumer loop has joined its group since its clients were last created
     * @param partitionsRestored no partition's state restore and no rebalance round is in progress in any consumer loop
     * @param draining           the service is stopping
     * @param partitions         partitions of the frames topic owned with their states in place
     * @param loopPartitions     the same per consumer loop ({@code odecast.engine.threads}), in loop order
     */
    public record Readiness(boolean modelsLoaded, boolean topicsChecked, boolean kafkaConnected,
                            boolean partitionsRestored, boolean draining, int partitions,
                            List<Integer> loopPartitions) {
        /** Ready to serve: everything in place and not stopping. */
        public boolean ready() {
            return modelsLoaded && topicsChecked && kafkaConnected && partitionsRestored && !draining;
        }
    }

    /** What the service can do right now; cheap, read at any time. */
    public Readiness readiness() {
        return new Readiness(true, true, engines.stream().allMatch(StreamEngine::joined),
                engines.stream().allMatch(StreamEngine::partitionsRestored), draining,
                engines.stream().mapToInt(StreamEngine::ownedPartitions).sum(),
                engines.stream().map(StreamEngine::ownedPartitions).toList());
    }

    /**
     * The version of every model a stream rule uses, by model name (forecasters and fill models): those loaded at
     * start, replaced by those swapped in from the models topic since.
     */
    public Map<String, String> modelVersions() {
        Map<String, String> now = new java.util.TreeMap<>(modelVersions);
        now.putAll(swaps.serving());
        return now;
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

    /** The model versions serving, refused and switched to (see {@code odecast.model-versions}). */
    public ModelSwaps modelSwaps() {
        return swaps;
    }

    /** The actor system the service runs on (a training actor may run beside the decoder on it). */
    public ActorSystem<Void> system() {
        return system;
    }

    /**
     * Completes when the service has stopped after {@link #drainAndShutdown()}. Failures do not complete it: the
     * engine restarts by itself (see {@link ServiceMetrics#engineRestarts()}).
     */
    public CompletionStage<Done> completion() {
        return allStopped().thenApply(v -> Done.getInstance());
    }

    private java.util.concurrent.CompletableFuture<Void> allStopped() {
        return java.util.concurrent.CompletableFuture.allOf(engines.stream().map(StreamEngine::completion)
                .toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    /**
     * Stops consuming, finishes the step in progress, snapshots and commits every stream, leaves the consumer group
     * (its partitions move to other instances at once), then stops the decoder and the actor system.
     */
    public CompletionStage<Done> drainAndShutdown() {
        draining = true;
        if (follower != null) {
            follower.close();
        }
        engines.forEach(StreamEngine::stop);
        return allStopped()
                .thenCompose(done -> {
                    system.terminate();
                    return system.getWhenTerminated();
                })
                .thenApply(done -> {
                    runner.close();
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
        private ServiceObserver observer = ServiceObserver.NONE;

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

        /** The clock of wall-clock decisions and fields (issued_at, eviction, provisional frames). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /** Receives every timing and size as it happens (histograms); none by default. */
        public Builder observer(ServiceObserver observer) {
            this.observer = observer;
            return this;
        }

        /**
         * Loads and checks the models of every stream rule, creates and checks the topics if configured, starts
         * the actor system, the decoder and the engine.
         *
         * @throws IllegalArgumentException naming the rule when a model is missing or does not fit
         * @throws io.odecast.kafka.TopicSetupException when the brokers cannot be reached or a topic is unusable
         */
        public StreamingService start() {
            Config full = ConfigFactory.load(config);
            ServiceSettings settings = ServiceSettings.fromConfig(full);
            if (bootstrapServers != null) {
                settings = settings.withBootstrapServers(bootstrapServers);
            }
            ModelRegistry registry = new ModelRegistry(settings.modelsDir(), models);
            StreamCatalog catalog;
            try {
                catalog = new StreamCatalog(settings.streams(), registry);
            } catch (RuntimeException e) {
                registry.close();
                throw e;
            }
            KafkaSettings kafka = settings.kafka();
            if (kafka.createTopics()) {
                try (Admin admin = Admin.create(kafka.adminProperties())) {
                    List<String> created = new TopicSetup(admin, kafka.topics(), kafka.topicSetup())
                            .ensureTopics(kafka.setupTimeout());
                    TopicSetup.awaitPartitionLeaders(admin, created, kafka.setupTimeout());
                } catch (RuntimeException e) {
                    registry.close();
                    throw e;
                }
            }
            StateCheckpoints checkpoints;
            try (Admin admin = Admin.create(kafka.adminProperties())) {
                checkpoints = StateCheckpoints.of(admin, kafka.topics().state(), kafka.setupTimeout());
            }
            ServiceMetrics metrics = new ServiceMetrics(observer);
            ModelSwaps swaps = new ModelSwaps();
            ModelVersionSettings versions = ModelVersionSettings.fromConfig(full.getConfig("odecast"),
                    kafka.topicSetup().maxMessageBytes());
            ModelFollower follower = null;
            if (versions.follow()) {
                try {
                    follower = follow(settings, versions, catalog, registry, swaps);
                } catch (RuntimeException e) {
                    registry.close();
                    throw e;
                }
            }
            int threads = settings.consumerLoops();
            // One decoder actor per consumer loop, each on its own thread of the decoder dispatcher.
            String poolSize = "odecast.decoder-dispatcher.thread-pool-executor.fixed-pool-size";
            Config withPool = full.withValue(poolSize,
                    ConfigValueFactory.fromAnyRef(Math.max(threads, full.getInt(poolSize))));
            ActorSystem<Void> system;
            try {
                system = ActorSystem.create(Behaviors.empty(), "odecast", withPool);
            } catch (RuntimeException e) {
                if (follower != null) {
                    follower.close();
                }
                registry.close();
                throw e;
            }
            BatchRunner batches = new BatchRunner(settings.decoder(), metrics);
            try {
                Duration timeout = settings.decoder().askTimeout();
                List<StreamEngine> engines = new java.util.ArrayList<>();
                for (int k = 0; k < threads; k++) {
                    ActorRef<DecoderActor.Command> decoder = system.systemActorOf(DecoderActor.create(batches),
                            k == 0 ? "decoder" : "decoder-" + k,
                            DispatcherSelector.fromConfig("odecast.decoder-dispatcher"));
                    StreamProcessor.ModelRunner runner = (steps, fills) -> AskPattern
                            .<DecoderActor.Command, DecoderActor.Results>askWithStatus(decoder,
                                    replyTo -> new DecoderActor.Run(steps, fills, replyTo), timeout,
                                    system.scheduler())
                            .toCompletableFuture();
                    if (k == 0) {
                        warmUp(catalog, settings, runner, full.getBoolean("odecast.memory.trim-after-warm-up"));
                    }
                    engines.add(new StreamEngine(settings, k, catalog, runner, metrics, swaps, clock, checkpoints));
                }
                // The lane's calls are urgent and never join bulk calls, so it is no loop a small call waits for.
                List<StreamEngine> loops = engines.stream().filter(e -> !e.lane()).toList();
                batches.sharedBy(() -> (int) loops.stream().filter(e -> e.ownedPartitions() > 0).count());
                engines.forEach(StreamEngine::start);
                if (follower != null) {
                    follower.start();
                }
                Duration trimEvery = full.getDuration("odecast.memory.trim-every");
                if (!trimEvery.isZero()) {
                    // Freed native blocks of past bursts (a backlog's large batches) back to the system now and then.
                    system.scheduler().scheduleWithFixedDelay(trimEvery, trimEvery,
                            io.odecast.model.NativeMemory::trim, system.executionContext());
                }
                LOG.info("Streaming service {} consuming {} from {} as group {}, {}, {} consumer loop(s)",
                        settings.instanceId(), kafka.topics().frames(), kafka.bootstrapServers(), kafka.groupId(),
                        settings.delivery(), threads);
                Map<String, String> loaded = new java.util.TreeMap<>();
                for (StreamRules.Rule rule : settings.streams().rules()) {
                    StreamCatalog.ResolvedStream stream = catalog.resolved(rule);
                    loaded.put(stream.settings().model(), stream.model().version());
                    stream.settings().fillModel().ifPresent(name -> loaded.put(name, stream.filler().version()));
                }
                return new StreamingService(settings, metrics, system, registry, engines, batches, loaded, swaps,
                        follower);
            } catch (RuntimeException e) {
                if (follower != null) {
                    follower.close();
                }
                system.terminate();
                batches.close();
                registry.close();
                throw e;
            }
        }

        /**
         * Reads the models topic to its end and serves the latest version of each model the rules use before the
         * engine joins the group, so a restart after a swap restores snapshots of the version they were taken
         * with (nothing to re-encode); the follower then keeps reading once the engine runs.
         */
        private static ModelFollower follow(ServiceSettings settings, ModelVersionSettings versions,
                                            StreamCatalog catalog, ModelRegistry registry, ModelSwaps swaps) {
            KafkaSettings kafka = settings.kafka();
            for (StreamRules.Rule rule : settings.streams().rules()) {
                swaps.serving(rule.settings().model(), catalog.resolved(rule).model().version());
            }
            ModelTopic topic = new ModelTopic(kafka.topics().models(), kafka.consumerProperties(),
                    kafka.topicSetup().maxMessageBytes(), kafka.setupTimeout());
            ModelSwitcher switcher = new ModelSwitcher(catalog, registry, swaps,
                    settings.stateDir().resolve(settings.instanceId()).resolve("model-versions"));
            ModelFollower follower = new ModelFollower(topic, kafka.consumerProperties(),
                    kafka.topicSetup().maxMessageBytes(), versions.pollTimeout(), switcher, settings.instanceId());
            try {
                follower.catchUp(kafka.setupTimeout());
            } catch (RuntimeException e) {
                follower.close();
                throw e;
            }
            return follower;
        }

        /**
         * Runs every rule's model once at batch 1 and once at the decoder's largest batch before the engine joins the
         * group: the first native calls of a process (library set-up, kernel selection per shape) take seconds, which
         * would otherwise land on the first frames after every start while the instance already holds partitions.
         */
        private static void warmUp(StreamCatalog catalog, ServiceSettings settings,
                                   StreamProcessor.ModelRunner runner, boolean trimAfterWarmUp) {
            long start = System.nanoTime();
            for (StreamRules.Rule rule : settings.streams().rules()) {
                StreamCatalog.ResolvedStream stream = catalog.resolved(rule);
                VidOdeModel model = stream.model();
                var config = model.config();
                float[] data = new float[config.frameSize()];
                int plane = config.height() * config.width();
                for (int i = 0; i < data.length; i++) {
                    data[i] = model.card().mean()[i / plane];
                }
                double[] times = new double[stream.settings().leads()];
                for (int k = 0; k < times.length; k++) {
                    times[k] = 1 + model.card().modelDuration(stream.settings().forecastStep().multipliedBy(k + 1));
                }
                for (int batch : new int[] {1, settings.decoder().maxBatch()}) {
                    java.util.List<ModelWork.Step> steps = new java.util.ArrayList<>();
                    for (int b = 0; b < batch; b++) {
                        steps.add(new ModelWork.Step(model, model.emptyState(),
                                new io.odecast.model.Observation(1, data, null), times, null));
                    }
                    try {
                        for (ModelWork.StepResult r : runner.run(steps, java.util.List.of()).steps()) {
                            if (r instanceof ModelWork.Failed failed) {
                                throw new IllegalStateException(failed.error());
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException("model " + stream.settings().model() + " of rule \""
                                + rule.pattern() + "\" fails on a frame of its own means: " + e.getMessage(), e);
                    }
                }
            }
            // The warm-up's largest batches leave a few hundred MB of freed native blocks mapped; serving needs far
            // less until a backlog comes (measured: RSS 1.9-2.0 GB after warm-up without this, docs/reliability.md).
            if (!trimAfterWarmUp) {
                LOG.info("Models warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
                return;
            }
            long trimStart = System.nanoTime();
            io.odecast.model.NativeMemory.trim();
            long now = System.nanoTime();
            LOG.info("Models warmed up in {} ms (giving freed memory back: {} ms)", (now - start) / 1_000_000,
                    (now - trimStart) / 1_000_000);
        }

    }
}
