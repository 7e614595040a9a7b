package io.odecast.chaos;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one chaos run measured, before it is judged ({@link ChaosReport#judge}).
 *
 * @param scenario            what was done to the processes
 * @param delivery            the delivery guarantee the service was configured with
 * @param settings            the run's settings, for the report (name to value, in display order)
 * @param framesPublished     frames the broker acknowledged (each should get one forecast)
 * @param framesFailed        frames the driver could not publish
 * @param accounting          the verifier's accounting of the forecasts
 * @param restarts            each process start and its time to the first forecast
 * @param killsRequested      kills asked for (scenario kill), else 0
 * @param kills               SIGKILLs sent to the service
 * @param workingKills        of those, the ones that landed while the killed process was working (ready, frames of
 *                            its own consumed, frames still unprocessed): only these count as the scenario's kills
 * @param signals             SIGTERMs sent to the service that it honoured (scenario sigterm)
 * @param brokerOutages       times the broker was killed and restarted (scenario broker-outage)
 * @param unexpectedExits     times the service exited without being told to
 * @param exitNotes           one line per unexpected exit: exit code and the last log line
 * @param serviceAliveAtEnd   whether the service was running when the harness stopped it at the end
 * @param peakRssKiB          the service's peak resident set size over all its processes (VmHWM, the kernel's
 *                            high-water mark, and sampled VmRSS), KiB (-1: unknown)
 * @param peakRssByPhase      peak RSS per phase of the run, KiB
 * @param rssLimitKiB         the bound the bad-input scenario holds the peak RSS to, KiB
 * @param badInputs           what became of each bad record (scenario bad-input), else empty
 * @param deadLettersByReason every dead letter read back, counted by reason
 * @param largestDeadLetter   the largest dead-letter record value, bytes (0 when none)
 * @param wallSeconds         the whole run, seconds
 * @param phaseSeconds        seconds per phase (startup, publish, drain, verify, reference)
 * @param notes               anything else worth reading (why the service exited, what was skipped)
 * @param drained             whether the group caught up before the harness stopped the services: committed
 *                            offsets on the frames topic at its end offsets with the services ready, then a settle
 * @param drainDetail         how the drain ended
 * @param framesPlanned       frames the run meant to publish (every frame of every stream)
 * @param unreadTopics        the topics the verifier could not read to their end in time ("" when it read both)
 * @param unparsableForecasts forecast records that did not parse as a Forecast
 * @param peakRssByProcess    peak per service process ({@code name (pid N)}): max of VmHWM and sampled VmRSS, KiB
 */
public record ChaosFacts(Scenario scenario, Delivery delivery, Map<String, Object> settings, int framesPublished,
                         int framesFailed, ForecastAccounting.Accounting accounting, List<RestartTimes.Timing> restarts,
                         int killsRequested, int kills, int workingKills, int signals, int brokerOutages, int unexpectedExits,
                         List<String> exitNotes, boolean serviceAliveAtEnd, long peakRssKiB,
                         Map<String, Long> peakRssByPhase, long rssLimitKiB, List<BadInputs.Outcome> badInputs,
                         Map<String, Integer> deadLettersByReason, long largestDeadLetter, double wallSeconds,
                         Map<String, Double> phaseSeconds, List<String> notes, boolean drained,
                         String drainDetail, int framesPlanned, String unreadTopics, int unparsableForecasts,
                         Map<String, Long> peakRssByProcess) {

    public ChaosFacts {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(accounting, "accounting");
        settings = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(settings));
        restarts = List.copyOf(restarts);
        exitNotes = List.copyOf(exitNotes);
        peakRssByPhase = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(peakRssByPhase));
        badInputs = List.copyOf(badInputs);
        deadLettersByReason = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(deadLettersByReason));
        phaseSeconds = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(phaseSeconds));
        notes = List.copyOf(notes);
        Objects.requireNonNull(unreadTopics, "unreadTopics");
        peakRssByProcess = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(peakRssByProcess));
    }
}
