package io.odecast.chaos;

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
 * @param valid        the validity the service gives every lead (that of the last frame), null when all cells are
 *                     valid
 */
public record ExpectedForecast(ForecastKey key, String modelVersion, List<Instant> validTimes, float[][] leads,
                               boolean[] valid) {

    public ExpectedForecast {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(modelVersion, "modelVersion");
        validTimes = List.copyOf(validTimes);
        Objects.requireNonNull(leads, "leads");
        if (leads.length != validTimes.size()) {
            throw new IllegalArgumentException(key + ": " + leads.length + " leads for " + validTimes.size()
                    + " valid times");
        }
    }

    /** The validity of each lead's {@code cells} cells. */
    public boolean[] mask(int cells) {
        if (valid != null) {
            return valid;
        }
        boolean[] all = new boolean[cells];
        java.util.Arrays.fill(all, true);
        return all;
    }
}
