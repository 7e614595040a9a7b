package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServiceMetricsTest {

    @Test
    void theRecentP99IsOverTheLatenciesDeliveredInTheWindow() throws Exception {
        ServiceMetrics metrics = new ServiceMetrics();
        assertEquals(-1, metrics.recentLatencyP99(Duration.ofMinutes(1)), "nothing delivered yet");
        for (int ms = 1; ms <= 100; ms++) {
            metrics.forecastDelivered(ms);
        }
        assertEquals(99, metrics.recentLatencyP99(Duration.ofMinutes(1)));
        Thread.sleep(20);
        assertEquals(-1, metrics.recentLatencyP99(Duration.ofMillis(10)), "all older than the window");
    }

    @Test
    void onlyTheLast1024LatenciesCount() {
        ServiceMetrics metrics = new ServiceMetrics();
        for (int i = 0; i < 5000; i++) {
            metrics.forecastDelivered(i < 3976 ? 100_000 : 1);
        }
        assertEquals(1, metrics.recentLatencyP99(Duration.ofMinutes(1)));
    }
}
