package io.odecast.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    private static String line(int total, long deadline) throws InterruptedException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 0, total,
                Duration.ofSeconds(30), deadline);
        Thread.sleep(20);
        bar.update(1, "loss 1", true);
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTimeCapShorterThanTheStepsLeftIsWhatTheLinePromises() throws Exception {
        String capped = line(1_000_000, System.nanoTime() + Duration.ofMinutes(12).toNanos());
        assertTrue(capped.contains("left (time cap)"), capped);
        assertTrue(capped.contains("12:00 left") || capped.contains("11:59 left"), capped);
    }

    @Test
    void withoutACapTheStepsLeftDecide() throws Exception {
        String free = line(1_000_000, Long.MAX_VALUE);
        assertFalse(free.contains("time cap"), free);
    }
}
