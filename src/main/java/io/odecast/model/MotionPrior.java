package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.odecast.data.GridShape;
import io.odecast.flow.MotionField;
import java.util.ArrayList;
import java.util.List;

/**
 * The motion prior of the {@value ModelConfig#RESIDUAL_MOTION} and {@value ModelConfig#MOTION} compositions: the
 * optical flow between a stream's last two frames (Farneback, as the flow extrapolation baseline estimates it), or for
 * a fill between the gap's neighbours, taken as steady and added to G's warp flow at every decoded step. With G's flow, mask and difference all zero a forecast is then the last frame carried along
 * that motion step by step, close to the flow baseline, and G learns the correction: where motion is not steady,
 * growth and decay. A forecaster trained on a few dozen frames (the storm) need not learn advection from them.
 */
public final class MotionPrior {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MotionPrior.class);

    private MotionPrior() {
    }

    /**
     * The steady motion from {@code previous} to {@code last}, C x H x W frames of one model (normalised or not:
     * the flow is estimated per channel on each pair's joint range) {@code gap} model time apart, per unit of model
     * time: the column displacements of the H x W cells, then the row displacements. Null when the gap is not a
     * positive finite time.
     */
    public static float[] velocity(ModelConfig config, float[] previous, boolean[] previousValid, float[] last,
                                   boolean[] lastValid, double gap) {
        if (!(gap > 0) || Double.isInfinite(gap)) {
            return null;
        }
        GridShape shape = new GridShape(config.channels(), config.height(), config.width());
        MotionField f;
        try {
            f = MotionField.between(shape, previous, previousValid, last, lastValid);
        } catch (RuntimeException e) {
            // As the flow baseline in the service: a failed estimate costs the prior for this arrival, never the frame.
            LOG.warn("no motion prior for this frame: the optical flow failed ({})", e.toString());
            return null;
        }
        int cells = config.height() * config.width();
        float[] v = new float[2 * cells];
        for (int i = 0; i < cells; i++) {
            v[i] = (float) (f.dx()[i] / gap);
            v[cells + i] = (float) (f.dy()[i] / gap);
        }
        return v;
    }

    /**
     * Per decoded step, the backward-warp flows (B, 2, Hp, Wp; x then y, in cells) that carry a frame along each
     * sample's velocity over the step: {@code -(spans[b][k + 1] - spans[b][k]) * velocity}, zero in the padding and
     * for a sample without a velocity (null). Null when no sample has one.
     *
     * @param velocities per sample, {@link #velocity} or null
     * @param spans      per sample, 0 then each decoded time's lead, as the decoder integrates them
     */
    public static List<NDArray> flows(NDManager m, ModelConfig config, List<float[]> velocities, double[][] spans) {
        if (velocities == null || velocities.stream().allMatch(java.util.Objects::isNull)) {
            return null;
        }
        int batch = velocities.size();
        int steps = spans[0].length - 1;
        double[][] lengths = new double[batch][steps];
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < steps; k++) {
                lengths[b][k] = spans[b][k + 1] - spans[b][k];
            }
        }
        return flows(m, config, batch, steps, (k, b) -> velocities.get(b), lengths);
    }

    /** A velocity per decoded step and sample, or null for none. */
    @FunctionalInterface
    public interface StepVelocity {
        float[] at(int step, int sample);
    }

    /**
     * Per decoded step, the backward-warp flows (B, 2, Hp, Wp) {@code -lengths[b][k] * velocity.at(k, b)}, zero in
     * the padding and where a velocity is null; the step lengths in model time.
     */
    public static List<NDArray> flows(NDManager m, ModelConfig config, int batch, int steps, StepVelocity velocity,
                                      double[][] lengths) {
        int h = config.height();
        int w = config.width();
        int hp = config.paddedHeight();
        int wp = config.paddedWidth();
        int cells = h * w;
        int padded = hp * wp;
        List<NDArray> out = new ArrayList<>(steps);
        for (int k = 0; k < steps; k++) {
            float[] flow = new float[batch * 2 * padded];
            for (int b = 0; b < batch; b++) {
                float[] v = velocity.at(k, b);
                if (v == null || lengths[b][k] == 0) {
                    continue;
                }
                float step = (float) -lengths[b][k];
                for (int axis = 0; axis < 2; axis++) {
                    int to = (b * 2 + axis) * padded;
                    int from = axis * cells;
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            flow[to + y * wp + x] = step * v[from + y * w + x];
                        }
                    }
                }
            }
            out.add(m.create(flow, new Shape(batch, 2, hp, wp)));
        }
        return out;
    }

    /**
     * For frames of a window in increasing time (normalised C x H x W, masks may be null), the motion an
     * interpolating render uses after each frame: per index i, the velocity from frame i to the next frame that is
     * {@code observed}, or, after the last observed one, from the observed frame before it to it (the motion
     * carried on); null where a frame is not observed or the window has fewer than two observed frames. A gap's
     * frames are rendered from the frame before it along the motion to the frame after it, as flow interpolation
     * does.
     */
    public static float[][] windowVelocities(ModelConfig config, float[][] frames, boolean[][] valid, double[] times,
                                             boolean[] observed) {
        int n = frames.length;
        float[][] out = new float[n][];
        int previous = -1;
        for (int i = 0; i < n; i++) {
            if (!observed[i]) {
                continue;
            }
            if (previous >= 0) {
                out[previous] = velocity(config, frames[previous], valid[previous], frames[i], valid[i],
                        times[i] - times[previous]);
                out[i] = out[previous];
            }
            previous = i;
        }
        return out;
    }

    /** The velocity a fill window's render uses after its frame {@code index}, per sample (may be null). */
    @FunctionalInterface
    public interface VelocityAfter {
        float[] of(int sample, int index);
    }

    /**
     * The prior flows of a fill window's render, for training and inference alike: decoded step j moves along the
     * velocity of the last observed frame at or before step j - 1 (the frame the warp chain restarts from), over
     * the step's length.
     *
     * @param velocities  per sample and frame index, as {@link #windowVelocities}; asked only for the frames that
     *                    anchor a step that gets a prior
     * @param frameAtStep per sample and decoded step, the index of the observed frame decoded there, or -1 (a query
     *                    or a hidden frame); step 0 is the window's first frame
     * @param spans       per sample and decoded step, its time after the window's first frame
     * @param queriesOnly give a prior only to steps that are no observed frame: at inference only queries are
     *                    returned, and the chain restarts from each observed frame, so an observed step's render is
     *                    never used (training scores every step)
     */
    public static List<NDArray> windowFlows(NDManager m, ModelConfig config, VelocityAfter velocities,
                                            int[][] frameAtStep, double[][] spans, boolean queriesOnly) {
        int batch = frameAtStep.length;
        int steps = spans[0].length;
        float[][][] perStep = new float[batch][steps][];
        double[][] lengths = new double[batch][steps];
        for (int b = 0; b < batch; b++) {
            int last = 0;
            for (int j = 1; j < steps; j++) {
                if (frameAtStep[b][j - 1] >= 0) {
                    last = frameAtStep[b][j - 1];
                }
                lengths[b][j] = spans[b][j] - spans[b][j - 1];
                if (!queriesOnly || frameAtStep[b][j] < 0) {
                    perStep[b][j] = velocities.of(b, last);
                }
            }
        }
        return flows(m, config, batch, steps, (j, b) -> perStep[b][j], lengths);
    }

    /** The H x W cells of a padded C x Hp x Wp frame. */
    static float[] crop(ModelConfig config, float[] padded) {
        int h = config.height();
        int w = config.width();
        int wp = config.paddedWidth();
        int hp = config.paddedHeight();
        float[] out = new float[config.frameSize()];
        for (int c = 0; c < config.channels(); c++) {
            for (int y = 0; y < h; y++) {
                System.arraycopy(padded, (c * hp + y) * wp, out, (c * h + y) * w, w);
            }
        }
        return out;
    }
}
