package io.odecast.kafka;

import java.util.regex.Pattern;

/**
 * Stream-id patterns as configuration writes them: a glob ({@code *} and {@code ?} within one {@code /}-separated
 * part, {@code **} across parts) or {@code regex:...}. Used by the stream rules and by the partitioner's priority
 * patterns, so that both read a pattern the same way.
 */
public final class StreamPatterns {

    private StreamPatterns() {
    }

    /** The pattern as a regular expression over whole stream ids. */
    public static Pattern compile(String pattern) {
        if (pattern.startsWith("regex:")) {
            return Pattern.compile(pattern.substring("regex:".length()));
        }
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char ch = pattern.charAt(i);
            if (ch == '*' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (ch == '*') {
                regex.append("[^/]*");
            } else if (ch == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(ch)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
