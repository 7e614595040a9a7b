package io.odecast.train.actor;

import com.typesafe.config.Config;
import io.odecast.model.VidOdeModel;
import io.odecast.models.ModelTopic;
import io.odecast.models.ModelVersionSettings;
import io.odecast.models.ModelVersions;
import io.odecast.models.ModelVersionsAdmin;
import io.odecast.proto.ModelVersion;
import io.odecast.stream.KafkaSettings;
import io.odecast.stream.ServiceSettings;
import io.odecast.stream.StreamRules;
import io.odecast.stream.StreamSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop wired to Kafka: a {@link FrameRecorder} filling one {@link TrainingSet} per trained model, and
 * the {@link TrainingActor} on {@code odecast.trainer-dispatcher} that fine-tunes from the serving version (the
 * latest on the models topic, else the checkpoint in models-dir) and publishes what the gate passes. Runs inside
 * {@code odecast serve} on the service's actor system, or alone in {@code odecast trainer}.
 */
public final class TrainerService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TrainerService.class);

    private final ActorSystem<?> system;
    private final ActorRef<TrainingActor.Command> actor;
    private final FrameRecorder recorder;
    private final Map<String, TrainingSet> sets;

    private TrainerService(ActorSystem<?> system, ActorRef<TrainingActor.Command> actor, FrameRecorder recorder,
                           Map<String, TrainingSet> sets) {
        this.system = system;
        this.actor = actor;
        this.recorder = recorder;
        this.sets = sets;
    }

    /**
     * Starts recording and the training actor on {@code system}.
     *
     * @param config the resolved configuration (reference defaults filled in)
     */
    public static TrainerService start(Config config, ServiceSettings service, ActorSystem<?> system)
            throws IOException {
        return start(config, service, system, window -> -1L);
    }

    /**
     * Starts the training actor beside a running service whose recent arrival-to-forecast p99 (in ms, -1 when
     * unknown) {@code servingP99} reports: with {@code odecast.trainer.serving-p99-budget} set, training steps wait
     * while that p99 is above the budget.
     */
    public static TrainerService start(Config config, ServiceSettings service, ActorSystem<?> system,
                                       java.util.function.ToLongFunction<Duration> servingP99) throws IOException {
        Config odecast = config.getConfig("odecast");
        TrainerSettings settings = TrainerSettings.fromConfig(odecast);
        KafkaSettings kafka = service.kafka();
        int maxBytes = kafka.topicSetup().maxMessageBytes();
        ModelVersionSettings versions = ModelVersionSettings.fromConfig(odecast, maxBytes);
        StreamRules rules = service.streams();
        List<String> names = settings.models().isEmpty()
                ? rules.rules().stream().map(r -> r.settings().model()).distinct().toList() : settings.models();
        Map<String, TrainingSet> sets = new LinkedHashMap<>();
        for (String name : names) {
            sets.put(name, new TrainingSet(settings.dir().resolve(folder(name)).resolve("frames"),
                    settings.limits(), Clock.systemUTC()));
        }
        ModelTopic topic = new ModelTopic(kafka.topics().models(), kafka.producerProperties(), maxBytes,
                kafka.setupTimeout());
        ModelVersionsAdmin admin = new ModelVersionsAdmin(topic, versions, Clock.systemUTC());
        Path work = settings.dir().resolve("serving");
        TrainingActor.ServingModels serving = name -> {
            ModelVersion latest = topic.latest().get(name);
            return latest != null ? ModelVersions.load(latest, work)
                    : VidOdeModel.load(service.modelsDir().resolve(name));
        };
        Duration budget = odecast.getDuration("trainer.serving-p99-budget");
        Duration window = odecast.getDuration("trainer.serving-p99-window");
        java.util.function.BooleanSupplier holdBack = budget.isZero() ? () -> false
                : () -> servingP99.applyAsLong(window) > budget.toMillis();
        TrainingRound.Publisher publisher = new TrainingRound.Publisher() {
            @Override
            public void publish(Path checkpoint, String name, String parent, Map<String, Double> metrics)
                    throws IOException {
                admin.publish(checkpoint, name, parent, metrics);
            }

            @Override
            public String latest(String name) {
                ModelVersion latest = topic.latest().get(name);
                return latest == null ? null : latest.getVersion();
            }
        };
        TrainingRound round = new TrainingRound(settings, publisher, holdBack, service.input().maxStdDevs());
        ActorRef<TrainingActor.Command> actor = system.systemActorOf(
                TrainingActor.create(settings, sets, serving, round), "trainer",
                DispatcherSelector.fromConfig("odecast.trainer-dispatcher"));
        FrameRecorder recorder = new FrameRecorder(kafka.consumerProperties(), settings.groupId(), maxBytes,
                kafka.topics().frames(), sets, id -> rules.settingsFor(id).map(StreamSettings::model));
        recorder.start();
        LOG.info("Training actor recording {} for models {} into {}; rounds {}", kafka.topics().frames(), names,
                settings.dir(), settings.every().isZero() ? "on command" : "every " + settings.every());
        return new TrainerService(system, actor, recorder, sets);
    }

    /** Runs a round for {@code model} ("" for every model) and completes with the outcomes. */
    public CompletionStage<List<TrainingRound.Outcome>> train(String model, Duration timeout) {
        return AskPattern.ask(actor, replyTo -> new TrainingActor.Train(model, replyTo), timeout,
                system.scheduler());
    }

    /** Frames recorded since start. */
    public long recorded() {
        return recorder.recorded();
    }

    /** Bytes held by each model's training set. */
    public Map<String, Long> setBytes() {
        Map<String, Long> out = new LinkedHashMap<>();
        sets.forEach((name, set) -> {
            try {
                out.put(name, set.bytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return out;
    }

    /** Stops recording; the actor stops with its actor system. */
    @Override
    public void close() {
        recorder.close();
    }

    /** A model name as one folder name. */
    private static String folder(String model) {
        return model.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
