package io.odecast.stream;

import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.proto.Forecast;
import io.odecast.stream.ModelWork.Fill;
import io.odecast.stream.StateSnapshotCodec.TimedObservation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The per-stream step as pure functions of an immutable {@link StreamStatus} and an accepted frame: {@link #plan}
 * decides what the frame costs (a restart after a long gap, the forecast grid, the gap's ticks and how they are
 * filled) and {@link #finish} turns the model's results into the next status and the outputs. Nothing here has
 * side effects; the engine applies a finished step only once its outputs are produced.
 */
final class StreamStep {
    private StreamStep() {
    }

    /**
     * What one accepted frame asks of the model.
     *
     * @param restart   the state restarts from this frame (first frame, or a gap beyond max-gap or max-substeps)
     * @param afterGap  the frame follows a gap longer than the cadence, or restarted the state after a long one
     * @param replay    the frame only rebuilds state (it is before the committed offset): no outputs
     * @param replayed  its forecast may repeat one already produced (at-least-once after a crash): flag it
     * @param grid      forecast valid times (empty on replay)
     * @param ticks     missing cadence ticks the fill covers (empty when none)
     */
    record Plan(StreamStatus before, FrameMessage frame, int partition, long offset, boolean restart,
                boolean afterGap, boolean replay, boolean replayed, Observation observation, List<Instant> grid,
                List<Instant> ticks, ModelWork.Step work) {
    }

    /**
     * The next status and what to emit.
     *
     * @param filledValid per filled tick, its cells' validity (null: every cell valid)
     */
    record Outcome(StreamStatus next, ForecastMessage forecast, List<Instant> filledTicks, float[][] filled,
                   boolean[][] filledValid, boolean observedRegular) {
    }

    /**
     * Whether a planned step's outputs are blended, and the baseline frames the blend needs (flow extrapolation of
     * its forecast, flow interpolation of its gap; null where the card's blend has no flow member), computed from
     * frames alone: the processor computes them while the model runs.
     */
    record Baselines(boolean blend, List<Observation> forecast, List<Observation> fill) {
        /** The model's frames as they are: the stream's blend is off, a replay, or the baselines failed. */
        static final Baselines NONE = new Baselines(false, null, null);
    }

    /** The {@link Baselines} of a plan; {@link Baselines#NONE} on replay or with the stream's blend off. */
    static Baselines baselines(Plan plan) {
        StreamStatus status = plan.before();
        if (plan.replay() || !status.stream().settings().blend()) {
            return Baselines.NONE;
        }
        VidOdeModel model = plan.work().model();
        List<Observation> forecast = Blending.forecastFlows(model, plan.restart() ? null : previous(status, model),
                plan.observation(), plan.work().times());
        List<Observation> fill = plan.work().fill() instanceof ModelWork.InterpolateFill in
                ? Blending.fillFlows(in.model(), in.window(), in.times()) : null;
        return new Baselines(true, forecast, fill);
    }

    /** Plans the step of an accepted frame at {@code offset} of {@code partition}. */
    static Plan plan(StreamStatus status, FrameMessage frame, int partition, long offset, boolean replay,
                     boolean replayed, long maxSubsteps) {
        VidOdeModel model = status.stream().model();
        StreamSettings settings = status.stream().settings();
        ModelCard card = model.card();
        Observation observation = new Observation(card.modelTime(frame.eventTime()), frame.data(),
                frame.frame().maskOrNull());
        StreamState before = status.state();
        boolean restart = before.isEmpty();
        boolean afterGap = false;
        if (!restart) {
            Duration gap = Duration.between(status.lastTime(), frame.eventTime());
            if (!continuesState(status, frame.eventTime(), maxSubsteps)) {
                restart = true;
                afterGap = true;
                before = model.emptyState();
            } else {
                afterGap = settings.cadence().map(c -> gap.compareTo(c) > 0).orElse(false);
            }
        }
        List<Instant> grid = replay ? List.of()
                : ForecastGrid.after(frame.eventTime(), settings.forecastStep(), settings.leads());
        double[] times = grid.stream().mapToDouble(card::modelTime).toArray();
        // A replayed frame only rebuilds state: its gap's frames were emitted the first time.
        List<Instant> ticks = restart || replay ? List.of() : missingTicks(status, frame);
        Fill fill = ticks.isEmpty() ? null : fill(status, observation, frame.eventTime(), ticks);
        return new Plan(status, frame, partition, offset, restart, afterGap, replay, replayed, observation, grid,
                ticks, new ModelWork.Step(model, before, observation, times, fill));
    }

    /**
     * The next status and outputs of a planned step from the model's results.
     *
     * @param fill      the gap's frames, or null when there was none or it failed (the ticks are then left unfilled)
     * @param baselines the plan's {@link #baselines} ({@link Baselines#NONE}: the model's frames unblended)
     */
    static Outcome finish(Plan plan, VidOdeModel.Stepped result, float[][] fill, Baselines baselines, Instant now) {
        StreamStatus status = plan.before();
        FrameMessage frame = plan.frame();
        StreamSettings settings = status.stream().settings();
        // Only OBSERVED and FILLED times count: a PROVISIONAL frame of the same or a later tick is superseded by the
        // real frame, not a reason to leave it out (lastProvisionalTime is apart).
        Optional<Instant> regular = status.lastRegularTime();
        boolean observedRegular = settings.cadence().isPresent()
                && regular.map(t -> t.isBefore(frame.eventTime())).orElse(true);
        if (observedRegular) {
            regular = Optional.of(frame.eventTime());
        }
        StreamStatus next = status.absorbed(result.state(), frame.eventTime(),
                new TimedObservation(frame.eventTime(), plan.observation()), plan.offset(), regular, now,
                !plan.replay());
        if (plan.replay()) {
            return new Outcome(next, null, List.of(), null, null, observedRegular);
        }
        List<Forecast.Flag> flags = new ArrayList<>();
        if (plan.afterGap()) {
            flags.add(Forecast.Flag.AFTER_GAP);
        }
        if (result.state().frames() < settings.warmUpFrames()) {
            flags.add(Forecast.Flag.WARMING_UP);
        }
        if (plan.replayed()) {
            flags.add(Forecast.Flag.REPLAYED);
        }
        if (frame.frame().invalidCount() > 0) {
            flags.add(Forecast.Flag.PARTIAL_INPUT);
        }
        if (status.switched()) {
            flags.add(Forecast.Flag.MODEL_SWITCHED);
        }
        VidOdeModel model = status.stream().model();
        float[][] leads = !baselines.blend() ? result.forecast() : Blending.forecast(plan.work().model(),
                plan.observation(), plan.work().times(), result.forecast(), baselines.forecast());
        ForecastMessage forecast = OutputMessages.forecast(status.id(), settings.model(), model, frame.eventTime(), now,
                plan.grid(), leads, result.state().lastValid(), flags, plan.partition(), plan.offset());
        boolean[][] fillValid = null;
        List<Instant> ticks = fill == null ? List.of() : plan.ticks();
        if (fill != null && plan.work().fill() instanceof ModelWork.InterpolateFill in) {
            fill = baselines.blend() ? Blending.fill(in.model(), in.window(), in.times(), fill, baselines.fill()) : fill;
            // Valid where the interpolator had a valid frame to render from: the gap's frame before or after.
            fillValid = in.model().fillValidity(in.window(), in.times());
        } else if (fill != null) {
            fillValid = new boolean[fill.length][];
            java.util.Arrays.fill(fillValid, plan.work().before().lastValid());
        }
        return new Outcome(next, forecast, ticks, fill, fillValid, observedRegular);
    }

    /** The frame absorbed before this one, in the model's time, or null for a stream's first frame. */
    private static Observation previous(StreamStatus status, VidOdeModel model) {
        if (status.recent().isEmpty()) {
            return null;
        }
        return status.recent().get(status.recent().size() - 1).under(model.card());
    }

    /** The cadence ticks strictly between the stream's last frame and this one, unless too many. */
    static List<Instant> missingTicks(StreamStatus status, FrameMessage frame) {
        Optional<Duration> cadence = status.stream().settings().cadence();
        if (cadence.isEmpty() || status.lastTime() == null) {
            return List.of();
        }
        long count = ForecastGrid.countBetween(status.lastTime(), frame.eventTime(), cadence.get());
        if (count > status.stream().settings().maxFillTicks()) {
            return List.of();
        }
        return ForecastGrid.between(status.lastTime(), frame.eventTime(), cadence.get());
    }

    /**
     * How a gap is filled: an interpolator from the last {@code fill-window - 1} frames and the new one; a
     * forecaster with its forecast from the state before the gap.
     */
    private static Fill fill(StreamStatus status, Observation observation, Instant frameTime, List<Instant> ticks) {
        VidOdeModel filler = status.stream().filler();
        double[] times = ticks.stream().mapToDouble(filler.card()::modelTime).toArray();
        if (ModelCard.INTERPOLATE.equals(filler.card().task())) {
            // Model times are recomputed from the frames' instants: the filler's time unit may differ.
            List<Observation> window = new ArrayList<>();
            for (TimedObservation r : status.recent()) {
                window.add(r.under(filler.card()));
            }
            while (window.size() > status.stream().settings().fillWindow() - 1) {
                window.remove(0);
            }
            window.add(new Observation(filler.card().modelTime(frameTime), observation.data(), observation.valid()));
            return new ModelWork.InterpolateFill(filler, List.copyOf(window), times);
        }
        return new ModelWork.ForecastFill(status.stream().model(), status.state(), times);
    }

    /**
     * The cadence ticks of a stream that are overdue at {@code now}: a tick {@code t} is expected as long after the
     * stream's last arrival (wall clock) as it is after its last event time, and overdue {@code max-wait} later;
     * at most {@code max-fill-ticks}, none at or before the last regular or provisional frame, and only ticks
     * {@link #withinReach} of the stream's state: a stream silent longer than its max-gap (or max-substeps) gets no
     * more provisional frames until its next frame, so that a check's model work stays bounded however long the
     * silence.
     *
     * @param maxSubsteps {@code decoder.max-substeps}
     */
    static List<Instant> overdueTicks(StreamStatus status, Instant now, long maxSubsteps) {
        StreamSettings settings = status.stream().settings();
        if (settings.cadence().isEmpty() || status.lastTime() == null || status.lastArrival() == null
                || status.state().isEmpty()) {
            return List.of();
        }
        Duration cadence = settings.cadence().get();
        Instant from = status.lastTime();
        for (Optional<Instant> emitted : List.of(status.lastRegularTime(), status.lastProvisionalTime())) {
            if (emitted.isPresent() && emitted.get().isAfter(from)) {
                from = emitted.get();
            }
        }
        List<Instant> ticks = new ArrayList<>();
        for (Instant t = ForecastGrid.after(from, cadence, 1).get(0); ticks.size() < settings.maxFillTicks();
             t = t.plus(cadence)) {
            Instant overdue = status.lastArrival().plus(Duration.between(status.lastTime(), t))
                    .plus(settings.maxWait());
            if (now.isBefore(overdue) || !withinReach(status, t, maxSubsteps)) {
                break;
            }
            ticks.add(t);
        }
        return ticks;
    }

    /**
     * Whether a frame at {@code t} would continue the stream's state rather than restart it: no further from the last
     * frame than the stream's max-gap, nor more than {@code maxSubsteps} encoder sub-steps away.
     */
    static boolean continuesState(StreamStatus status, Instant t, long maxSubsteps) {
        Duration gap = Duration.between(status.lastTime(), t);
        if (status.stream().settings().maxGap().map(max -> gap.compareTo(max) > 0).orElse(false)) {
            return false;
        }
        VidOdeModel model = status.stream().model();
        return model.encoderSubsteps(model.card().modelTime(t) - status.state().lastTime()) <= maxSubsteps;
    }

    /**
     * Whether a provisional frame at {@code t} may be extrapolated from the stream's state: a frame arriving at
     * {@code t} would {@link #continuesState continue} it, and the decoder's solve from the last frame to {@code t}
     * takes at most {@code maxSubsteps} sub-steps.
     */
    static boolean withinReach(StreamStatus status, Instant t, long maxSubsteps) {
        VidOdeModel model = status.stream().model();
        return continuesState(status, t, maxSubsteps)
                && model.decoderSubsteps(model.card().modelTime(t) - status.state().lastTime()) <= maxSubsteps;
    }
}
