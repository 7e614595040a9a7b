package io.odecast.train.actor;

import io.odecast.model.VidOdeModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs training rounds, one at a time, on its own dispatcher ({@code odecast.trainer-dispatcher}, whose pool is the
 * training thread budget) so serving threads never wait for it: on a {@link Train} command, and on a timer every
 * {@code odecast.trainer.every} when that is not zero. A round blocks the actor while it runs; commands that arrive
 * meanwhile wait in its mailbox.
 */
public final class TrainingActor extends AbstractBehavior<TrainingActor.Command> {

    /** The serving version of a model, loaded (closed by the caller of the round). */
    public interface ServingModels {
        VidOdeModel serving(String name) throws IOException;
    }

    /** The actor's protocol. */
    public sealed interface Command permits Train, Tick {
    }

    /** Runs a round for {@code model} (every trained model when empty) and replies with the outcomes. */
    public record Train(String model, ActorRef<List<TrainingRound.Outcome>> replyTo) implements Command {
    }

    /** The schedule's turn: a round for every model. */
    private record Tick() implements Command {
    }

    private final Map<String, TrainingSet> sets;
    private final ServingModels serving;
    private final TrainingRound round;
    private final Path dir;
    private final int keepCandidates;
    private long rounds;

    private TrainingActor(ActorContext<Command> context, TrainerSettings settings, Map<String, TrainingSet> sets,
                          ServingModels serving, TrainingRound round) {
        super(context);
        this.sets = Map.copyOf(sets);
        this.serving = serving;
        this.round = round;
        this.dir = settings.dir();
        this.keepCandidates = settings.keepCandidates();
    }

    /** The actor over {@code sets} (training set by model name). */
    public static Behavior<Command> create(TrainerSettings settings, Map<String, TrainingSet> sets,
                                           ServingModels serving, TrainingRound round) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            if (!settings.every().isZero()) {
                timers.startTimerWithFixedDelay(new Tick(), settings.every());
            }
            return new TrainingActor(context, settings, sets, serving, round);
        }));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Train.class, t -> {
                    t.replyTo().tell(runRounds(t.model()));
                    return this;
                })
                .onMessage(Tick.class, t -> {
                    runRounds("");
                    return this;
                })
                .build();
    }

    private List<TrainingRound.Outcome> runRounds(String only) {
        List<TrainingRound.Outcome> outcomes = new ArrayList<>();
        for (Map.Entry<String, TrainingSet> e : sets.entrySet()) {
            String name = e.getKey();
            if (!only.isEmpty() && !only.equals(name)) {
                continue;
            }
            rounds++;
            Path candidate = dir.resolve(name).resolve("candidates")
                    .resolve(Instant.now().toEpochMilli() + "-" + rounds);
            try (VidOdeModel model = serving.serving(name)) {
                outcomes.add(round.run(name, model, e.getValue().frames(), candidate, rounds));
            } catch (IOException | RuntimeException ex) {
                getContext().getLog().warn("Model {}: training round failed: {}", name, ex.toString(), ex);
                outcomes.add(new TrainingRound.Outcome(name, "", null, null, null, "failed: " + ex.getMessage()));
            }
            try {
                List<Path> gone = TrainingRound.prune(candidate.getParent(), keepCandidates, candidate);
                if (!gone.isEmpty()) {
                    getContext().getLog().info("Model {}: deleted {} old candidate folder(s), keeping the newest {}",
                            name, gone.size(), keepCandidates);
                }
            } catch (IOException | RuntimeException ex) {
                getContext().getLog().warn("Model {}: could not delete old candidates in {}: {}", name,
                        candidate.getParent(), ex.toString());
            }
        }
        if (!only.isEmpty() && outcomes.isEmpty()) {
            outcomes.add(new TrainingRound.Outcome(only, "", null, null, null, "no training set for model " + only
                    + "; trained models: " + sets.keySet()));
        }
        return outcomes;
    }
}
