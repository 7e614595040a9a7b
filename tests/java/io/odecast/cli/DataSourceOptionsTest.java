package io.odecast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.odecast.data.FrameSequence;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DataSourceOptionsTest {

    @Test
    void timeOverridesApplyToBuiltInDataSetsToo() throws Exception {
        DataSourceOptions options = new DataSourceOptions();
        options.dataset = "storm";
        options.data = Path.of("tests/resources/fixtures/storm");
        options.timeStart = "2000-01-01T00:00:00Z";
        options.timeStep = "12h";
        FrameSequence storm = options.read(null).frames();
        Instant start = Instant.parse("2000-01-01T00:00:00Z");
        for (int i = 0; i < storm.size(); i++) {
            assertEquals(start.plus(Duration.ofHours(12L * i)), storm.frame(i).time(), "frame " + i);
        }
        assertEquals(Duration.ofHours(12), storm.nominalStep());
        assertEquals(Duration.ofHours(12), options.read(null).timeUnit());
    }
}
