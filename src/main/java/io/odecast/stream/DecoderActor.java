package io.odecast.stream;

import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Runs model calls for many streams as few batched calls. Requests are collected until {@code max-batch} are
 * pending or the first has waited {@code max-wait}; then requests of one kind, for one model and with the same
 * shape (number of times, window length) go to the model as one call. Model calls are blocking native work,
 * so the actor runs on its own dispatcher ({@code odecast.decoder-dispatcher}); while a batch runs, new requests
 * queue in the mailbox and form the next batch.
 *
 * <p>A failing batch is retried one request at a time, so that one bad request fails alone.
 */
public final class DecoderActor extends AbstractBehavior<DecoderActor.Command> {

    /** The protocol. */
    public sealed interface Command permits Advance, Forecast, Interpolate, Flush {
    }

    /** Advance {@code state} by one arrival; replies with the new state. */
    public record Advance(VidOdeModel model, StreamState state, Observation observation,
                          ActorRef<StatusReply<StreamState>> replyTo) implements Command {
    }

    /** Frames at model {@code times} after the state's last arrival; replies with one frame per time. */
    public record Forecast(VidOdeModel model, StreamState state, double[] times,
                           ActorRef<StatusReply<float[][]>> replyTo) implements Command {
    }

    /** Frames at model {@code times} inside a window of observations; replies with one frame per time. */
    public record Interpolate(VidOdeModel model, List<Observation> window, double[] times,
                              ActorRef<StatusReply<float[][]>> replyTo) implements Command {
    }

    /** The wait of the oldest pending request is over. */
    enum Flush implements Command {
        INSTANCE
    }

    private final DecoderSettings settings;
    private final ServiceMetrics metrics;
    private final TimerScheduler<Command> timers;
    private final List<Command> pending = new ArrayList<>();

    private DecoderActor(ActorContext<Command> context, TimerScheduler<Command> timers, DecoderSettings settings,
                         ServiceMetrics metrics) {
        super(context);
        this.timers = timers;
        this.settings = settings;
        this.metrics = metrics;
    }

    /** The behaviour; spawn it with {@code DispatcherSelector.fromConfig("odecast.decoder-dispatcher")}. */
    public static Behavior<Command> create(DecoderSettings settings, ServiceMetrics metrics) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new DecoderActor(context, timers, settings, metrics)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Advance.class, this::enqueue)
                .onMessage(Forecast.class, this::enqueue)
                .onMessage(Interpolate.class, this::enqueue)
                .onMessageEquals(Flush.INSTANCE, this::flush)
                .build();
    }

    private Behavior<Command> enqueue(Command request) {
        pending.add(request);
        if (pending.size() >= settings.maxBatch()) {
            timers.cancel(Flush.INSTANCE);
            return flush();
        }
        if (pending.size() == 1) {
            timers.startSingleTimer(Flush.INSTANCE, settings.maxWait());
        }
        return this;
    }

    private Behavior<Command> flush() {
        List<Command> batch = new ArrayList<>(pending);
        pending.clear();
        Map<Object, List<Advance>> advances = new LinkedHashMap<>();
        Map<Object, List<Forecast>> forecasts = new LinkedHashMap<>();
        Map<Object, List<Interpolate>> interpolations = new LinkedHashMap<>();
        for (Command c : batch) {
            if (c instanceof Advance a) {
                advances.computeIfAbsent(a.model(), k -> new ArrayList<>()).add(a);
            } else if (c instanceof Forecast f) {
                forecasts.computeIfAbsent(List.of(f.model(), f.times().length), k -> new ArrayList<>()).add(f);
            } else if (c instanceof Interpolate i) {
                interpolations.computeIfAbsent(List.of(i.model(), i.window().size(), i.times().length),
                        k -> new ArrayList<>()).add(i);
            }
        }
        advances.values().forEach(group -> run(group, this::advance, Advance::replyTo));
        forecasts.values().forEach(group -> run(group, this::forecast, Forecast::replyTo));
        interpolations.values().forEach(group -> run(group, this::interpolate, Interpolate::replyTo));
        return this;
    }

    private <R, T> void run(List<R> group, Function<List<R>, List<T>> call, Function<R, ActorRef<StatusReply<T>>> replyTo) {
        List<T> results;
        try {
            metrics.batchRun(group.size());
            results = call.apply(group);
        } catch (RuntimeException e) {
            if (group.size() == 1) {
                getContext().getLog().warn("Model call failed: {}", e.toString());
                replyTo.apply(group.get(0)).tell(StatusReply.error(e));
            } else {
                for (R request : group) {
                    run(List.of(request), call, replyTo);
                }
            }
            return;
        }
        for (int i = 0; i < group.size(); i++) {
            replyTo.apply(group.get(i)).tell(StatusReply.success(results.get(i)));
        }
    }

    private List<StreamState> advance(List<Advance> group) {
        return group.get(0).model().advance(group.stream().map(Advance::state).toList(),
                group.stream().map(Advance::observation).toList());
    }

    private List<float[][]> forecast(List<Forecast> group) {
        return group.get(0).model().forecast(group.stream().map(Forecast::state).toList(),
                group.stream().map(Forecast::times).toArray(double[][]::new));
    }

    private List<float[][]> interpolate(List<Interpolate> group) {
        return group.get(0).model().interpolate(group.stream().map(Interpolate::window).toList(),
                group.stream().map(Interpolate::times).toArray(double[][]::new));
    }
}
