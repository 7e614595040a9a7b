package io.odecast.chaos;

import io.odecast.kafka.ForecastMessage;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;

/** The identity of a forecast: its stream and the event time of the frame it is based on. */
public record ForecastKey(String streamId, Instant basedOn) implements Comparable<ForecastKey> {

    private static final Comparator<ForecastKey> ORDER = Comparator.comparing(ForecastKey::streamId)
            .thenComparing(ForecastKey::basedOn);

    public ForecastKey {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(basedOn, "basedOn");
    }

    /** The key of a forecast message. */
    public static ForecastKey of(ForecastMessage forecast) {
        return new ForecastKey(forecast.streamId(), forecast.basedOnTime());
    }

    @Override
    public int compareTo(ForecastKey o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return streamId + "@" + basedOn;
    }
}
