package io.odecast.chaos;

import com.google.protobuf.ByteString;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The forecast an uninterrupted run issues for one frame.
 *
 * @param key          stream and based-on time
 * @param modelVersion version hash of the model
 * @param validTimes   valid time of each lead
 * @param leads        per lead, C x H x W values in physical units
 * @param mask         the validity mask the service writes with every lead (empty when all cells are valid)
 */
public record ExpectedForecast(ForecastKey key, String modelVersion, List<Instant> validTimes, float[][] leads,
                               ByteString mask) {

    public ExpectedForecast {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(modelVersion, "modelVersion");
        validTimes = List.copyOf(validTimes);
        Objects.requireNonNull(leads, "leads");
        mask = mask == null ? ByteString.EMPTY : mask;
        if (leads.length != validTimes.size()) {
            throw new IllegalArgumentException(key + ": " + leads.length + " leads for " + validTimes.size()
                    + " valid times");
        }
    }
}
