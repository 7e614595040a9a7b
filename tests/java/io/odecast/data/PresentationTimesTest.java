package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class PresentationTimesTest {

    @Test
    void increasingContainerTimesAreKeptWithTheirGaps() {
        PresentationTimes t = PresentationTimes.resolve(new long[] {0, 733_337, 1_133_339}, 0, 15, null);
        assertEquals(List.of(Instant.EPOCH, Instant.EPOCH.plusNanos(733_337_000), Instant.EPOCH.plusNanos(1_133_339_000)),
                t.times());
        assertNull(t.warning());
    }

    @Test
    void aTimeThatGoesBackReplacesEveryTimeByIndexOverRate() {
        PresentationTimes t = PresentationTimes.resolve(new long[] {100_000, 200_000, 0}, 4, 10, null);
        assertEquals(List.of(Instant.EPOCH.plusMillis(400), Instant.EPOCH.plusMillis(500), Instant.EPOCH.plusMillis(600)),
                t.times());
        assertTrue(t.warning().contains("do not increase"), t.warning());
    }

    @Test
    void distrustedTimesAreReplacedEvenWhenIncreasing() {
        PresentationTimes t = PresentationTimes.resolve(new long[] {100_000, 200_000}, 0, 25, "decode times");
        assertEquals(List.of(Instant.EPOCH, Instant.EPOCH.plusMillis(40)), t.times());
        assertTrue(t.warning().startsWith("decode times"), t.warning());
    }

    @Test
    void brokenTimesWithoutAFrameRateAreAnError() {
        assertThrows(IllegalArgumentException.class, () -> PresentationTimes.resolve(new long[] {5, 5}, 0, 0, null));
    }
}
