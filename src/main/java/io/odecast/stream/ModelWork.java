package io.odecast.stream;

import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import java.util.List;

/**
 * The model work of one engine step, as data: one {@link Step} per accepted frame (advance and forecast together,
 * with the gap fill it needs) and {@link Fill}s on their own (provisional frames). The {@link BatchRunner} runs
 * them as batched model calls; results come back in request order.
 */
final class ModelWork {
    private ModelWork() {
    }

    /**
     * Frames at model {@code times} from a state or inside a window; {@code urgent}: for a high-priority stream (or
     * an engine step taken for one), so its calls go ahead of the waiting ones of every consumer loop.
     */
    sealed interface Fill permits ForecastFill, InterpolateFill {
        VidOdeModel model();

        double[] times();

        boolean urgent();

        /** This fill, urgent. */
        Fill urgently();
    }

    /** A forecaster's frames at {@code times} after {@code state}'s last arrival. */
    record ForecastFill(VidOdeModel model, StreamState state, double[] times, boolean urgent) implements Fill {
        /** Frames of normal priority. */
        ForecastFill(VidOdeModel model, StreamState state, double[] times) {
            this(model, state, times, false);
        }

        @Override
        public ForecastFill urgently() {
            return urgent ? this : new ForecastFill(model, state, times, true);
        }
    }

    /** An interpolator's frames at {@code times} inside a window of observations. */
    record InterpolateFill(VidOdeModel model, List<Observation> window, double[] times, boolean urgent)
            implements Fill {
        /** Frames of normal priority. */
        InterpolateFill(VidOdeModel model, List<Observation> window, double[] times) {
            this(model, window, times, false);
        }

        @Override
        public InterpolateFill urgently() {
            return urgent ? this : new InterpolateFill(model, window, times, true);
        }
    }

    /**
     * One accepted frame: advance {@code before} by {@code observation}, forecast at {@code times} (none when only
     * the state is wanted, on replay), and fill the gap before it when {@code fill} is set. {@code urgent}: the step
     * belongs to an engine step taken for a high-priority stream's frame (with the records before it in its
     * partition), so its calls go ahead of the waiting ones of every consumer loop.
     */
    record Step(VidOdeModel model, StreamState before, Observation observation, double[] times, Fill fill,
                boolean urgent) {
        /** A step of normal priority. */
        Step(VidOdeModel model, StreamState before, Observation observation, double[] times, Fill fill) {
            this(model, before, observation, times, fill, false);
        }

        /** This step, urgent, with its fill. */
        Step urgently() {
            return urgent ? this : new Step(model, before, observation, times, fill == null ? null : fill.urgently(),
                    true);
        }

        /** Encoder sub-steps this step costs (0 for a stream's first frame). */
        long substeps() {
            return before.isEmpty() ? 0 : model.encoderSubsteps(observation.time() - before.lastTime());
        }
    }

    /** What became of a step. */
    sealed interface StepResult permits Stepped, Failed {
    }

    /**
     * A step done: the new state, the forecast, and the gap's frames (null when there was no fill or it failed,
     * then {@code fillError} says why).
     */
    record Stepped(VidOdeModel.Stepped result, float[][] fill, String fillError) implements StepResult {
    }

    /** A step whose model call failed; the stream's state stays as it was. */
    record Failed(String error) implements StepResult {
    }

    /** What became of a fill: frames, or the error. */
    record FillResult(float[][] frames, String error) {
        boolean ok() {
            return frames != null;
        }
    }
}
