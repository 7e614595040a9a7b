package io.odecast.stream;

import io.odecast.stream.ModelWork.Fill;
import io.odecast.stream.ModelWork.FillResult;
import io.odecast.stream.ModelWork.Step;
import io.odecast.stream.ModelWork.StepResult;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;

/**
 * Runs model work on the device the models live on, on its own dispatcher ({@code odecast.decoder-dispatcher}):
 * model calls are blocking native work and must never run on the default dispatcher. The engine sends one
 * {@link Run} per step with every accepted frame's work; the {@link BatchRunner} turns it into batched calls.
 */
public final class DecoderActor {

    /** The protocol. */
    public sealed interface Command permits Run {
    }

    /** The steps and fills of one engine step; replies with their results in request order. */
    record Run(List<Step> steps, List<Fill> fills, ActorRef<StatusReply<Results>> replyTo) implements Command {
    }

    /** Results in request order. */
    record Results(List<StepResult> steps, List<FillResult> fills) {
    }

    private DecoderActor() {
    }

    /**
     * The behaviour; spawn it with {@code DispatcherSelector.fromConfig("odecast.decoder-dispatcher")}. Each consumer
     * loop has a decoder actor of its own, and they share one {@link BatchRunner} (its workers): a loop's step waits
     * for its own calls only, and the steps of several loops run their calls at once. The runner is closed by its
     * owner, not by the actor.
     */
    public static Behavior<Command> create(BatchRunner runner) {
        return running(runner);
    }

    private static Behavior<Command> running(BatchRunner runner) {
        return Behaviors.receive(Command.class)
                .onMessage(Run.class, run -> {
                    try {
                        run.replyTo().tell(StatusReply.success(new Results(runner.steps(run.steps()),
                                runner.fills(run.fills()))));
                    } catch (RuntimeException | Error e) {
                        run.replyTo().tell(StatusReply.error(e));
                    }
                    return Behaviors.same();
                })
                .build();
    }
}
