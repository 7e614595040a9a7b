package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Freed malloc blocks that glibc keeps mapped go back to the system on {@link NativeMemory#trim}. */
class NativeMemoryTest {
    private static final Path STATUS = Path.of("/proc/self/status");

    @Test
    void freedBlocksInsideTheHeapAreReturnedToTheSystem() throws IOException {
        assumeTrue(Files.isReadable(STATUS), "Linux only");
        // Freeing one large mapped block raises glibc's adaptive mmap threshold above the blocks below, so those come
        // from the heap; a fence allocated after them keeps free() from trimming the heap's top by itself.
        try (Memory large = new Memory(16L << 20)) {
            large.clear();
        }
        long baseline = rssKiB();
        List<Memory> blocks = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            Memory m = new Memory(4L << 20);
            m.clear(); // touch every page: resident
            blocks.add(m);
        }
        try (Memory fence = new Memory(64 << 10)) {
            fence.clear();
            blocks.forEach(Memory::close);
            long freed = rssKiB();
            long retained = freed - baseline;
            // Where malloc already unmapped the blocks (they were above its threshold in this process), there is
            // nothing left for a trim to give back.
            assumeTrue(retained > 64 * 1024, "free() kept only " + retained + " kB resident");
            NativeMemory.trim();
            long trimmed = rssKiB();
            assertTrue(freed - trimmed > retained / 4, "RSS " + baseline + " kB before the blocks, " + freed
                    + " kB after freeing them, " + trimmed + " kB after the trim");
        }
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(STATUS)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in " + STATUS);
    }
}
