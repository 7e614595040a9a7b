package io.odecast.render;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** File names derived from stream ids, times and leads, safe on every file system. */
public final class StreamFileNames {
    private static final DateTimeFormatter BASIC = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")
            .withZone(ZoneOffset.UTC);

    private StreamFileNames() {
    }

    /**
     * {@code streamId} with every character other than letters, digits, {@code .}, {@code _} and {@code -}
     * (a {@code /} in particular) replaced by {@code _}; never empty, never starting with a dot.
     */
    public static String safe(String streamId) {
        String s = streamId.replaceAll("[^A-Za-z0-9._-]", "_");
        return s.isEmpty() || s.startsWith(".") ? "_" + s : s;
    }

    /** {@code 19960105T060000Z}, with milliseconds ({@code 19700101T000001.900Z}) when they are not zero. */
    public static String time(Instant t) {
        int millis = t.getNano() / 1_000_000;
        return BASIC.format(t) + (millis == 0 ? "" : String.format(".%03d", millis)) + "Z";
    }

    /** {@code 19960105T060000Z+PT6H}: a forecast's base time and one lead. */
    public static String lead(Instant basedOn, Duration lead) {
        return time(basedOn) + "+" + lead;
    }
}
