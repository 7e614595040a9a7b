package io.odecast.chaos;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What the harness does to the processes while the streams are published. */
public enum Scenario {
    /** SIGKILL the service at random moments, at least {@code --kills} times, restarting it after each kill. */
    KILL("kill"),
    /** One SIGTERM mid-stream (the service drains and stops), then a restart. */
    SIGTERM("sigterm"),
    /** SIGKILL the broker mid-stream, restart it on the same folder and port after the outage; the service runs on. */
    BROKER_OUTAGE("broker-outage"),
    /** Publish four bad records into a live stream; the service runs on and must dead-letter them. */
    BAD_INPUT("bad-input");

    private final String cliName;

    Scenario(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in reports, e.g. {@code broker-outage}. */
    public String cliName() {
        return cliName;
    }

    /** Parses a command-line name. */
    public static Scenario parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Scenario s : values()) {
            if (s.cliName.equals(t)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + text + "'; use one of " + names());
    }

    /** Every command-line name, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(Scenario::cliName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
