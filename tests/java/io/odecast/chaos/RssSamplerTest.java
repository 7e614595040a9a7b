package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RssSamplerTest {

    @Test
    void theHighWaterMarkIsReadBesideTheResidentSet() {
        List<String> status = List.of("Name:\tjava", "VmPeak:\t 9 kB", "VmHWM:\t  200000 kB", "VmRSS:\t  123456 kB");
        assertEquals(123456, RssSampler.parseVmRss(status));
        assertEquals(200000, RssSampler.parseStatusKiB(status, "VmHWM:"));
        assertEquals(-1, RssSampler.parseStatusKiB(List.of("Name:\tjava"), "VmHWM:"));
    }

    @Test
    void aProcessIsSampledUntilItExitsEvenWhenNoLongerCurrent(@TempDir Path dir) throws Exception {
        ChildJvm p = ChildJvm.start("sleeper", List.of("sleep", "30"), dir.resolve("sleeper.log"));
        try {
            List<ChildJvm> current = new ArrayList<>(List.of(p));
            List<ChildJvm> capped = new ArrayList<>();
            RssSampler sampler = new RssSampler(() -> List.copyOf(current), Long.MAX_VALUE,
                    (c, kib) -> capped.add(c));
            sampler.sampleOnce();
            long[] m = RssSampler.memoryKiB(p.pid());
            assertTrue(m[0] > 0 && m[1] >= m[0], m[0] + " / " + m[1]);
            assertTrue(sampler.peakKiB() > 0);
            assertEquals(List.of(p.toString()), List.copyOf(sampler.peakByProcessKiB().keySet()));
            current.clear();
            sampler.sampleOnce();
            assertTrue(sampler.peakByProcessKiB().get(p.toString()) >= m[0]);
            assertTrue(capped.isEmpty());
            p.kill();
            sampler.sampleOnce();
            assertEquals(1, sampler.peakByProcessKiB().size());
        } finally {
            p.kill();
        }
    }
}
