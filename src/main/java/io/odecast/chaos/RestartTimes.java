package io.odecast.chaos;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** Restart-to-first-forecast times: from each process start to the first forecast record stamped after it. */
public final class RestartTimes {
    private RestartTimes() {
    }

    /**
     * One start of a child process.
     *
     * @param process       {@code service} or {@code broker}
     * @param cause         why it started: {@code initial}, {@code kill}, {@code sigterm}, {@code outage},
     *                      {@code crash} (it had exited on its own)
     * @param startedMillis wall-clock time of the start, epoch milliseconds
     */
    public record Start(String process, String cause, long startedMillis) {
        public Start {
            Objects.requireNonNull(process, "process");
            Objects.requireNonNull(cause, "cause");
        }
    }

    /**
     * A start and how long it took until a forecast record appeared.
     *
     * @param firstForecastMillis milliseconds from the start to the first forecast record stamped at or after it
     *                            and before the next start, or {@code null} when there is none
     */
    public record Timing(Start start, Long firstForecastMillis) {
    }

    /**
     * For each start, in time order, the delay to the first of {@code forecastTimestamps} (record timestamps,
     * epoch milliseconds, any order) at or after it and before the next start.
     */
    public static List<Timing> firstForecasts(List<Start> starts, long[] forecastTimestamps) {
        long[] ts = forecastTimestamps.clone();
        Arrays.sort(ts);
        List<Start> ordered = new ArrayList<>(starts);
        ordered.sort(Comparator.comparingLong(Start::startedMillis));
        List<Timing> out = new ArrayList<>();
        for (int i = 0; i < ordered.size(); i++) {
            Start s = ordered.get(i);
            long end = i + 1 < ordered.size() ? ordered.get(i + 1).startedMillis() : Long.MAX_VALUE;
            int at = lowerBound(ts, s.startedMillis());
            Long delay = at < ts.length && ts[at] < end ? ts[at] - s.startedMillis() : null;
            out.add(new Timing(s, delay));
        }
        return out;
    }

    /** The index of the first value >= {@code key}. */
    private static int lowerBound(long[] sorted, long key) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
