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

    @Test
    void urgentCallsAndTheirRequestsAreCountedApartFromTheBulkCalls() {
        ServiceMetrics metrics = new ServiceMetrics();
        metrics.batchRun(8, 1_000_000, false);
        metrics.batchRun(6, 1_000_000, false);
        metrics.batchRun(1, 500_000, true);
        metrics.batchRun(2, 500_000, true);
        assertEquals(4, metrics.decoderBatches());
        assertEquals(17, metrics.batchedRequests());
        assertEquals(2, metrics.urgentCalls());
        assertEquals(3, metrics.urgentRequests());
        // The bulk calls' mean batch: 7, where the mean over all calls is 4.25.
        assertEquals(7.0, (double) (metrics.batchedRequests() - metrics.urgentRequests())
                / (metrics.decoderBatches() - metrics.urgentCalls()));
    }

    @Test
    void modelTimeOfOverlappingStepsCountsOnceAndGaugesSumOverConsumerLoops() throws Exception {
        ServiceMetrics metrics = new ServiceMetrics();
        long t0 = System.nanoTime();
        metrics.modelStarted();
        Thread.sleep(30);
        metrics.modelStarted();
        Thread.sleep(30);
        metrics.modelFinished();
        assertEquals(0.0, metrics.modelSeconds(), "a call still runs: the busy period is open");
        metrics.modelFinished();
        double wall = (System.nanoTime() - t0) * 1e-9;
        double busy = metrics.modelSeconds();
        // Overlapping periods count once: never more than the wall time around them (a sum would exceed it by the
        // inner period, at least 30 ms), and at least the sleeps inside them.
        org.junit.jupiter.api.Assertions.assertTrue(busy >= 0.06 && busy <= wall, busy + " s busy in " + wall);

        ServiceMetrics.EngineGauges a = metrics.engineGauges();
        ServiceMetrics.EngineGauges b = metrics.engineGauges();
        a.memory(10, 1000, 2);
        b.memory(5, 500, 1);
        a.consumerLag(java.util.Map.of(0, 3L, 2, 0L));
        b.consumerLag(java.util.Map.of(1, 7L));
        assertEquals(15, metrics.activeStreams());
        assertEquals(1500, metrics.stateBytes());
        assertEquals(3, metrics.assignedPartitions());
        assertEquals(java.util.Map.of(0, 3L, 1, 7L, 2, 0L), metrics.consumerLag());
    }
}
