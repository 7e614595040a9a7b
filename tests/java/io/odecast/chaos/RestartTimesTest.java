package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class RestartTimesTest {

    @Test
    void eachStartGetsTheFirstForecastBeforeTheNextStart() {
        List<RestartTimes.Start> starts = List.of(
                new RestartTimes.Start("service", "kill", 2_000),
                new RestartTimes.Start("service", "initial", 0),
                new RestartTimes.Start("broker", "outage", 5_000),
                new RestartTimes.Start("service", "kill", 9_000));
        long[] forecasts = {9_500, 1_500, 1_200, 6_250, 4_000};
        List<RestartTimes.Timing> t = RestartTimes.firstForecasts(starts, forecasts);
        assertEquals(List.of("initial", "kill", "outage", "kill"), t.stream().map(x -> x.start().cause()).toList());
        assertEquals(1_200L, t.get(0).firstForecastMillis());
        assertEquals(2_000L, t.get(1).firstForecastMillis());
        assertEquals(1_250L, t.get(2).firstForecastMillis());
        assertEquals(500L, t.get(3).firstForecastMillis());
    }

    @Test
    void aStartWithoutAForecastBeforeTheNextHasNone() {
        List<RestartTimes.Timing> t = RestartTimes.firstForecasts(List.of(
                new RestartTimes.Start("service", "initial", 0), new RestartTimes.Start("service", "kill", 100),
                new RestartTimes.Start("service", "crash", 200)), new long[] {50, 250});
        assertEquals(50L, t.get(0).firstForecastMillis());
        assertNull(t.get(1).firstForecastMillis());
        assertEquals(50L, t.get(2).firstForecastMillis());
        assertNull(RestartTimes.firstForecasts(List.of(new RestartTimes.Start("service", "initial", 10)),
                new long[] {5}).get(0).firstForecastMillis());
    }
}
