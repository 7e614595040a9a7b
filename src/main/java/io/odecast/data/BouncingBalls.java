package io.odecast.data;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic non-linear motion (the Vid-ODE paper's bouncing-balls test): balls moving at constant speed and
 * reflecting off the walls of an {@code H x W} box, rendered as soft (anti-aliased) discs in one channel with
 * values in [0,1]. Balls pass through each other.
 *
 * <p>Positions are computed in closed form (the unfolded straight path folded back into the box), so a frame
 * at any real time, regular or not, is exact and depends only on the seed.
 */
public final class BouncingBalls {

    private final int height;
    private final int width;
    private final double radius;
    private final double[] y0;
    private final double[] x0;
    private final double[] vy;
    private final double[] vx;

    /**
     * Balls with seeded random starting positions inside the box and random directions.
     *
     * @param height box height in pixels
     * @param width  box width in pixels
     * @param balls  number of balls
     * @param radius ball radius in pixels, less than half of the box's smaller side
     * @param speed  distance travelled per unit of time, in pixels
     * @param seed   random seed
     */
    public BouncingBalls(int height, int width, int balls, double radius, double speed, long seed) {
        if (balls <= 0 || radius <= 0 || 2 * radius >= Math.min(height, width)) {
            throw new IllegalArgumentException("need at least one ball of radius in (0, " + Math.min(height, width) / 2.0
                    + "), got " + balls + " balls of radius " + radius);
        }
        this.height = height;
        this.width = width;
        this.radius = radius;
        Random rng = new Random(seed);
        y0 = new double[balls];
        x0 = new double[balls];
        vy = new double[balls];
        vx = new double[balls];
        for (int b = 0; b < balls; b++) {
            y0[b] = radius + rng.nextDouble() * (height - 2 * radius);
            x0[b] = radius + rng.nextDouble() * (width - 2 * radius);
            double angle = rng.nextDouble() * 2 * Math.PI;
            vy[b] = speed * Math.sin(angle);
            vx[b] = speed * Math.cos(angle);
        }
    }

    /** Centre ({@code [y, x]}, pixel units, cell centres at {@code i + 0.5}) of each ball at time {@code t}. */
    public double[][] centres(double t) {
        double[][] out = new double[y0.length][];
        for (int b = 0; b < y0.length; b++) {
            out[b] = new double[] {fold(y0[b] + vy[b] * t, radius, height - radius),
                fold(x0[b] + vx[b] * t, radius, width - radius)};
        }
        return out;
    }

    /** Pixel values ({@code 1 x H x W}) at time {@code t}. */
    public float[] render(double t) {
        float[] out = new float[height * width];
        for (double[] c : centres(t)) {
            int yMin = Math.max(0, (int) Math.floor(c[0] - radius - 1));
            int yMax = Math.min(height - 1, (int) Math.ceil(c[0] + radius + 1));
            int xMin = Math.max(0, (int) Math.floor(c[1] - radius - 1));
            int xMax = Math.min(width - 1, (int) Math.ceil(c[1] + radius + 1));
            for (int y = yMin; y <= yMax; y++) {
                for (int x = xMin; x <= xMax; x++) {
                    double d = Math.hypot(y + 0.5 - c[0], x + 0.5 - c[1]);
                    float v = (float) Math.max(0, Math.min(1, radius + 0.5 - d));
                    out[y * width + x] = Math.max(out[y * width + x], v);
                }
            }
        }
        return out;
    }

    /** {@code frames} regular frames at times {@code 0, 1, 2, ...}, one {@code step} apart from the epoch. */
    public FrameSequence regular(int frames, Duration step) {
        double[] times = new double[frames];
        for (int i = 0; i < frames; i++) {
            times[i] = i;
        }
        return at(times, step, step);
    }

    /**
     * Frames at the given increasing {@code times} (in units of {@code unit} from the epoch).
     */
    public FrameSequence at(double[] times, Duration unit) {
        return at(times, unit, null);
    }

    private FrameSequence at(double[] times, Duration unit, Duration nominalStep) {
        GridShape shape = new GridShape(1, height, width);
        List<String> channels = List.of("intensity");
        List<TimedFrame> frames = new ArrayList<>(times.length);
        for (double t : times) {
            Instant time = Instant.EPOCH.plusNanos(Math.round(t * unit.toNanos()));
            frames.add(TimedFrame.of(time, channels, shape, render(t)));
        }
        return new FrameSequence("bouncing-balls", channels, shape, frames, null, null, new String[] {"1"},
                Double.NaN, nominalStep);
    }

    /**
     * {@code n} increasing times from 0 with seeded random gaps uniform in {@code [0.25, 1.75] * meanGap}.
     */
    public static double[] irregularTimes(int n, double meanGap, long seed) {
        Random rng = new Random(seed);
        double[] t = new double[n];
        for (int i = 1; i < n; i++) {
            t[i] = t[i - 1] + meanGap * (0.25 + 1.5 * rng.nextDouble());
        }
        return t;
    }

    /** Folds an unbounded coordinate back into {@code [lo, hi]} as repeated elastic reflections would. */
    private static double fold(double p, double lo, double hi) {
        double span = hi - lo;
        double u = (p - lo) % (2 * span);
        if (u < 0) {
            u += 2 * span;
        }
        return lo + (u <= span ? u : 2 * span - u);
    }
}
