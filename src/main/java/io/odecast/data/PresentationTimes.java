package io.odecast.data;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses the times of decoded video frames: the container's presentation times when they can be trusted,
 * else frame index / frame rate.
 *
 * <p>Why: an AVI stores no presentation times, one chunk per frame tick in decode order. With B-frames
 * (XVID/DivX "packed" or not) FFmpeg's guess from those decode times is late by the reorder delay, and the
 * frames flushed from the decoder at the end come back with time 0 ("frame times must increase"). Variable-rate
 * files without B-frames (tree.avi) keep their real gaps.
 *
 * @param times   one per frame, increasing
 * @param warning why the container's times were replaced, or {@code null} when they were kept
 */
record PresentationTimes(List<Instant> times, String warning) {

    /**
     * Times for frames with the container's times {@code containerMicros} (microseconds, in output order),
     * the first of which is decoded frame {@code firstIndex}.
     *
     * @param distrust why the container's times are wrong whatever their values (e.g. decode times of a
     *                 stream with B-frames), or {@code null}
     * @throws IllegalArgumentException if the times must be replaced and the frame rate is not positive
     */
    static PresentationTimes resolve(long[] containerMicros, int firstIndex, double frameRate, String distrust) {
        String reason = distrust != null ? distrust : firstNonIncreasing(containerMicros);
        List<Instant> times = new ArrayList<>(containerMicros.length);
        if (reason == null) {
            for (long us : containerMicros) {
                times.add(Instant.EPOCH.plusNanos(us * 1000));
            }
            return new PresentationTimes(times, null);
        }
        if (!(frameRate > 0) || Double.isInfinite(frameRate)) {
            throw new IllegalArgumentException(reason + ", and the frame rate (" + frameRate
                    + ") cannot replace them");
        }
        for (int k = 0; k < containerMicros.length; k++) {
            times.add(atIndex(firstIndex + k, frameRate));
        }
        return new PresentationTimes(times, reason + "; using frame index / " + frameRate + " fps instead");
    }

    /** Frame {@code index} at {@code frameRate} frames per second from the epoch. */
    static Instant atIndex(int index, double frameRate) {
        return Instant.EPOCH.plus(Duration.ofNanos(Math.round(index * 1e9 / frameRate)));
    }

    private static String firstNonIncreasing(long[] micros) {
        for (int k = 0; k < micros.length; k++) {
            if (micros[k] < 0) {
                return "the container's time of frame " + k + " is negative (" + micros[k] + " us)";
            }
            if (k > 0 && micros[k] <= micros[k - 1]) {
                return "the container's times do not increase (" + micros[k] + " us after " + micros[k - 1]
                        + " us at frame " + k + ")";
            }
        }
        return null;
    }
}
