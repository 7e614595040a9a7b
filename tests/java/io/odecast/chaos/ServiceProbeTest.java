package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ServiceProbeTest {

    @Test
    void consumedSumsTheProcessesOwnFrameCounters() {
        String text = """
                # HELP odecast_frames_received_total Frames read from the frames topic
                # TYPE odecast_frames_received_total counter
                odecast_frames_received_total 12.0
                odecast_frames_replayed_total 3.0
                odecast_frames_skipped_total{lane="0"} 2.0
                odecast_frames_skipped_total{lane="1"} 1.0
                odecast_frames_received_totally_else 100.0
                odecast_forecasts_emitted_total 9.0
                """;
        assertEquals(18, ServiceProbe.consumed(text));
        assertEquals(0, ServiceProbe.consumed("odecast_frames_received_total 0.0\n"));
        assertEquals(-1, ServiceProbe.consumed("jvm_threads_live 30.0\n"));
    }

    @Test
    void workingNeedsReadyAndFramesOfItsOwn() {
        assertTrue(new ServiceProbe.State(true, 4).working());
        assertFalse(new ServiceProbe.State(true, 0).working());
        assertFalse(new ServiceProbe.State(false, 40).working());
        assertFalse(ServiceProbe.probe(null).working());
    }

    @Test
    void lagIsEndLessCommittedOrTheWholePartitionWithoutACommit() {
        TopicPartition p0 = new TopicPartition("f", 0);
        TopicPartition p1 = new TopicPartition("f", 1);
        TopicPartition p2 = new TopicPartition("f", 2);
        Map<TopicPartition, Long> end = Map.of(p0, 10L, p1, 5L, p2, 7L);
        Map<TopicPartition, Long> start = Map.of(p0, 0L, p1, 0L, p2, 2L);
        assertEquals(7, ChaosKafka.lag(end, start, Map.of(p0, 8L, p1, 0L, p2, 7L)));
        assertEquals(0, ChaosKafka.lag(end, start, Map.of(p0, 10L, p1, 5L, p2, 7L)));
        assertEquals(5, ChaosKafka.lag(end, start, Map.of(p0, 10L, p2, 7L)));
        assertEquals(5, ChaosKafka.lag(end, start, Map.of(p0, 10L, p1, 5L)));
    }
}
