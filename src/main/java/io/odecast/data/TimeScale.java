package io.odecast.data;

import java.time.Duration;
import java.time.Instant;

/**
 * Maps real time to model time: {@code modelTime = (t - origin) / unit * scale}. For example
 * {@code TimeScale(PT6H, 0.1)} puts 6-hourly storm frames at the reference spacing 1/10 used for 10-frame
 * windows, and a later frame after a 12 h gap at +0.2.
 *
 * @param unit  real duration of one time unit (e.g. PT6H, or 0.1 s for 10 fps video)
 * @param scale model time per unit
 */
public record TimeScale(Duration unit, double scale) {

    /** Checks that unit and scale are positive. */
    public TimeScale {
        if (unit == null || unit.isZero() || unit.isNegative() || !(scale > 0)) {
            throw new IllegalArgumentException("time scale needs a positive unit and scale, got " + unit + ", " + scale);
        }
    }

    /** Model time of {@code t} relative to {@code origin}. */
    public double modelTime(Instant origin, Instant t) {
        return (double) Duration.between(origin, t).toNanos() / unit.toNanos() * scale;
    }

    /** The instant at {@code modelTime} after {@code origin}. */
    public Instant instant(Instant origin, double modelTime) {
        return origin.plusNanos(Math.round(modelTime / scale * unit.toNanos()));
    }
}
