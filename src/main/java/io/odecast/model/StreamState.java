package io.odecast.model;

import java.util.Arrays;

/**
 * The per-stream state of the online forecaster as plain arrays, so it can be copied, snapshotted and
 * restored without native memory.
 *
 * @param hidden      encoder state h after the last arrival (C_lat x H_lat x W_lat)
 * @param lastFrame   the last arrival, normalised and padded (C x Hp x Wp), null before the first arrival
 * @param lastEncoded E(lastFrame) (C_lat x H_lat x W_lat), null before the first arrival
 * @param lastValid   validity of the last arrival's cells (C x H x W), null when all were valid
 * @param lastTime    model time of the last arrival, NaN before the first
 * @param frames      arrivals absorbed so far
 * @param motion      the steady motion between the last two arrivals per unit of model time (2 x H x W, see
 *                    {@link MotionPrior#velocity}), kept only by models with a motion prior; null otherwise, before
 *                    a second arrival, or when it was not known (a snapshot of another composition)
 */
public record StreamState(float[] hidden, float[] lastFrame, float[] lastEncoded, boolean[] lastValid,
                          double lastTime, long frames, float[] motion) {

    /** A state without a motion prior. */
    public StreamState(float[] hidden, float[] lastFrame, float[] lastEncoded, boolean[] lastValid, double lastTime,
                       long frames) {
        this(hidden, lastFrame, lastEncoded, lastValid, lastTime, frames, null);
    }

    /** The state of a stream that has seen nothing: h = 0. */
    public static StreamState empty(ModelConfig config) {
        return new StreamState(new float[config.latentSize()], null, null, null, Double.NaN, 0);
    }

    public boolean isEmpty() {
        return frames == 0;
    }

    /** A deep copy. */
    public StreamState copy() {
        return new StreamState(hidden.clone(), lastFrame == null ? null : lastFrame.clone(),
                lastEncoded == null ? null : lastEncoded.clone(), lastValid == null ? null : lastValid.clone(),
                lastTime, frames, motion == null ? null : motion.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StreamState s && Arrays.equals(hidden, s.hidden) && Arrays.equals(lastFrame, s.lastFrame)
                && Arrays.equals(lastEncoded, s.lastEncoded) && Arrays.equals(lastValid, s.lastValid)
                && Double.compare(lastTime, s.lastTime) == 0 && frames == s.frames && Arrays.equals(motion, s.motion);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(hidden) * 31 + Long.hashCode(frames);
    }

    @Override
    public String toString() {
        return "StreamState[frames=" + frames + ", lastTime=" + lastTime + ", hidden=" + hidden.length + " floats]";
    }
}
