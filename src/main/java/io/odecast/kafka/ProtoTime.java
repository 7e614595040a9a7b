package io.odecast.kafka;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
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
}
