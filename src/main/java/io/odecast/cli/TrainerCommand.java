package io.odecast.cli;

import com.typesafe.config.Config;
import io.odecast.stream.ServiceSettings;
import io.odecast.train.actor.TrainerService;
import io.odecast.train.actor.TrainingRound;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code odecast trainer}: the training actor alone against the service's Kafka. */
@Command(name = "trainer", description = "Record the frames of the streams that use each model and fine-tune"
        + " candidates from the serving version on the odecast.trainer schedule; publish a candidate on the models"
        + " topic only when the gate finds it better. With --once: record for a while, run one round, print the"
        + " decisions and exit.")
final class TrainerCommand implements Callable<Integer> {

    @Mixin
    ServiceConfigOptions configuration;

    @Option(names = "--once", description = "Run one round after --record-for, print the decisions, exit.")
    boolean once;

    @Option(names = "--record-for", defaultValue = "PT30S", paramLabel = "DURATION",
            description = "With --once: how long to record before the round (ISO-8601, default ${DEFAULT-VALUE}).")
    Duration recordFor;

    @Option(names = "--model", defaultValue = "", paramLabel = "NAME",
            description = "With --once: only this model (default: every trained model).")
    String model;

    @Override
    public Integer call() throws Exception {
        Config full = configuration.load();
        ServiceSettings settings = ServiceSettings.fromConfig(full);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "odecast-trainer", full);
        try (TrainerService trainer = TrainerService.start(full, settings, system)) {
            if (once) {
                Thread.sleep(recordFor.toMillis());
                System.err.println("odecast trainer: " + trainer.recorded() + " frames recorded " + trainer.setBytes());
                List<TrainingRound.Outcome> outcomes = trainer.train(model, Duration.ofHours(24))
                        .toCompletableFuture().get(24, TimeUnit.HOURS);
                for (TrainingRound.Outcome o : outcomes) {
                    System.out.println(o.model() + " serving=" + o.servingVersion() + " candidate="
                            + (o.candidateVersion() == null ? "-" : o.candidateVersion()) + " "
                            + (o.published() ? "PUBLISHED" : o.verdict() == null ? "SKIPPED" : "REJECTED") + ": "
                            + o.note());
                }
                return 0;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "odecast-trainer-shutdown"));
            System.err.println("odecast trainer: recording " + settings.kafka().topics().frames() + " from "
                    + settings.kafka().bootstrapServers() + "; Ctrl-C to stop");
            stopped.await();
            return 0;
        } finally {
            system.terminate();
        }
    }
}
