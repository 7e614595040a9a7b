package io.odecast.stream;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Times on a regular grid of multiples of a step, counted from the epoch (1970-01-01T00:00Z). */
public final class ForecastGrid {
    private ForecastGrid() {
    }

    /** The first {@code count} grid times strictly after {@code t}. */
    public static List<Instant> after(Instant t, Duration step, int count) {
        long index = floorIndex(t, step) + 1;
        List<Instant> times = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            times.add(at(index + k, step));
        }
        return times;
    }

    /** The grid times strictly between {@code from} and {@code to}, in increasing order. */
    public static List<Instant> between(Instant from, Instant to, Duration step) {
        List<Instant> times = new ArrayList<>();
        for (long i = floorIndex(from, step) + 1; ; i++) {
            Instant t = at(i, step);
            if (!t.isBefore(to)) {
                return times;
            }
            times.add(t);
        }
    }

    /** How many grid times lie strictly between {@code from} and {@code to}, without listing them. */
    public static long countBetween(Instant from, Instant to, Duration step) {
        long first = floorIndex(from, step) + 1;
        long last = floorIndex(to, step);
        if (at(last, step).equals(to)) {
            last--;
        }
        return Math.max(0, last - first + 1);
    }

    /** The largest i with i * step at or before t. */
    private static long floorIndex(Instant t, Duration step) {
        Duration sinceEpoch = Duration.between(Instant.EPOCH, t);
        long index = sinceEpoch.dividedBy(step);
        if (step.multipliedBy(index).compareTo(sinceEpoch) > 0) {
            index--;
        }
        return index;
    }

    private static Instant at(long index, Duration step) {
        return Instant.EPOCH.plus(step.multipliedBy(index));
    }
}
