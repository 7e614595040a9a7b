package io.odecast.render;

import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.RegularFrameMessage;
import java.util.List;
import java.util.SortedMap;

/**
 * What a {@link ForecastCollector} read, per stream id (sorted).
 *
 * @param forecasts     forecasts per stream in increasing base time; a forecast repeated for the same base
 *                      time (replayed after a restore) counts once, the last one read
 * @param regularFrames regular-cadence frames per stream in increasing time, the last one read per time (a
 *                      filled frame supersedes a provisional one); empty when not asked for
 * @param undecodable   records that were not parsable or did not fit their shape, skipped
 */
public record CollectedForecasts(SortedMap<String, List<ForecastMessage>> forecasts,
                                 SortedMap<String, List<RegularFrameMessage>> regularFrames, int undecodable) {

    /** Number of forecasts over all streams. */
    public int forecastCount() {
        return forecasts.values().stream().mapToInt(List::size).sum();
    }

    /** Forecasts of one stream, empty if none. */
    public List<ForecastMessage> forecastsOf(String streamId) {
        return forecasts.getOrDefault(streamId, List.of());
    }

    @Override
    public String toString() {
        return forecastCount() + " forecasts of " + forecasts.size() + " streams, "
                + regularFrames.values().stream().mapToInt(List::size).sum() + " regular frames, " + undecodable
                + " undecodable records" + (forecasts.isEmpty() ? "" : " " + forecasts.keySet());
    }
}
