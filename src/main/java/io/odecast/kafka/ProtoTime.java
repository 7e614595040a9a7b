package io.odecast.kafka;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import java.time.DateTimeException;
import java.time.Instant;

/** Conversions between {@code google.protobuf} time types and {@code java.time}, at nanosecond precision. */
public final class ProtoTime {
    private ProtoTime() {
    }

    public static Timestamp toTimestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    public static Instant toInstant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }

    /** Negative durations get seconds and nanos of the same sign, as the protobuf spec requires. */
    public static Duration toDuration(java.time.Duration duration) {
        long seconds = duration.getSeconds();
        int nanos = duration.getNano();
        if (seconds < 0 && nanos > 0) {
            seconds += 1;
            nanos -= 1_000_000_000;
        }
        return Duration.newBuilder().setSeconds(seconds).setNanos(nanos).build();
    }

    public static java.time.Duration toJavaDuration(Duration duration) {
        return java.time.Duration.ofSeconds(duration.getSeconds(), duration.getNanos());
    }

    /**
     * {@link #toInstant}, for the codecs: a time outside {@link Instant}'s range (a {@link DateTimeException}, or an
     * {@link ArithmeticException} when the nanos overflow the seconds) is an {@link IllegalArgumentException} naming
     * {@code what}, as the codecs document for every value that does not fit.
     */
    public static Instant checkedInstant(String what, Timestamp timestamp) {
        try {
            return toInstant(timestamp);
        } catch (DateTimeException | ArithmeticException e) {
            throw new IllegalArgumentException(what + " " + timestamp.getSeconds() + " s + " + timestamp.getNanos()
                    + " ns since the epoch is outside the representable range", e);
        }
    }

    /** {@link #toJavaDuration}, with an overflow as an {@link IllegalArgumentException} naming {@code what}. */
    static java.time.Duration checkedDuration(String what, Duration duration) {
        try {
            return toJavaDuration(duration);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " " + duration.getSeconds() + " s + " + duration.getNanos()
                    + " ns is outside the representable range", e);
        }
    }

    /** {@code time + duration}, with a result outside {@link Instant}'s range as an {@link IllegalArgumentException}. */
    static Instant checkedPlus(String what, Instant time, java.time.Duration duration) {
        try {
            return time.plus(duration);
        } catch (DateTimeException | ArithmeticException e) {
            throw new IllegalArgumentException(what + ": " + time + " + " + duration
                    + " is outside the representable range", e);
        }
    }
}
