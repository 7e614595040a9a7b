package io.odecast.chaos;

import java.util.Locale;

/** The delivery guarantee the service is configured with ({@code odecast.delivery}) and judged by. */
public enum Delivery {
    /** Forecasts in Kafka transactions: none lost, none duplicated (read with {@code read_committed}). */
    EXACTLY_ONCE("exactly-once"),
    /** None lost; a repeated forecast is flagged REPLAYED and equal in content to the first copy. */
    AT_LEAST_ONCE("at-least-once");

    private final String configValue;

    Delivery(String configValue) {
        this.configValue = configValue;
    }

    /** The value of {@code odecast.delivery} and the command-line name. */
    public String configValue() {
        return configValue;
    }

    /** Parses a command-line name. */
    public static Delivery parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Delivery d : values()) {
            if (d.configValue.equals(t)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown delivery '" + text + "'; use exactly-once or at-least-once");
    }

    @Override
    public String toString() {
        return configValue;
    }
}
