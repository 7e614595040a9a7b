package io.odecast.publish;

import java.time.Duration;

/**
 * How fast frames are sent: as fast as possible, at the pace of their event times, or that pace sped up.
 *
 * @param mode   the pacing
 * @param factor how many times faster than real time ({@code 1} for {@link Mode#REAL}, unused when fast)
 */
public record Timing(Mode mode, double factor) {

    /** The pacing modes. */
    public enum Mode {
        /** No waiting between frames. */
        AS_FAST_AS_POSSIBLE,
        /** The real gaps between event times. */
        REAL,
        /** The real gaps divided by {@code factor}. */
        SCALED
    }

    /** Checks the factor. */
    public Timing {
        if (mode == null) {
            throw new IllegalArgumentException("timing mode is required");
        }
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("timing speed-up factor must be positive and finite, got " + factor);
        }
    }

    /** No waiting. */
    public static Timing asFastAsPossible() {
        return new Timing(Mode.AS_FAST_AS_POSSIBLE, 1);
    }

    /** Real gaps. */
    public static Timing real() {
        return new Timing(Mode.REAL, 1);
    }

    /** Real gaps divided by {@code factor} (e.g. 3600: six hours pass in six seconds). */
    public static Timing scaled(double factor) {
        return new Timing(Mode.SCALED, factor);
    }

    /**
     * Parses {@code fast}, {@code real} or {@code scaled:N}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static Timing parse(String text) {
        String t = text.trim();
        if (t.equals("fast") || t.equals("as-fast-as-possible")) {
            return asFastAsPossible();
        }
        if (t.equals("real")) {
            return real();
        }
        if (t.startsWith("scaled:")) {
            try {
                return scaled(Double.parseDouble(t.substring("scaled:".length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("timing '" + text + "': the factor after 'scaled:' must be a"
                        + " number, e.g. scaled:3600");
            }
        }
        throw new IllegalArgumentException("timing '" + text + "' is not one of fast, real, scaled:N");
    }

    /**
     * Wall-clock time from the first frame's send to the send of a frame whose event time is {@code sinceFirst}
     * after the first's; zero when fast.
     */
    public Duration wallOffset(Duration sinceFirst) {
        return switch (mode) {
            case AS_FAST_AS_POSSIBLE -> Duration.ZERO;
            case REAL -> sinceFirst;
            case SCALED -> Duration.ofNanos(Math.round(sinceFirst.toNanos() / factor));
        };
    }

    @Override
    public String toString() {
        return switch (mode) {
            case AS_FAST_AS_POSSIBLE -> "fast";
            case REAL -> "real";
            case SCALED -> "scaled:" + factor;
        };
    }
}
