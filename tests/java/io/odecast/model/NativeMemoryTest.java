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
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;

    @Test
    void freedBlocksInsideTheHeapAreReturnedToTheSystem() throws IOException {
        assumeTrue(Files.isReadable(STATUS), "Linux only");
        Libc.Calls libc = Libc.get();
        assumeTrue(libc != null, "no libc");
        // Fixed thresholds (glibc's adaptive ones depend on what this JVM allocated before): blocks under 64 MiB come
        // from the heap, and free() gives nothing back by itself below 1 GiB of free top; a fence allocated after
        // the blocks keeps them off the heap's top anyway.
        assumeTrue(libc.mallopt(M_MMAP_THRESHOLD, 64 << 20) == 1 && libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1,
                "not glibc");
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
            // In the full suite's JVM free() can give the blocks back itself (its arena's heaps shrink): nothing is
            // left then for a trim to return.
            assumeTrue(retained > 150 * 1024, "free() kept only " + retained + " kB of 192 MiB resident");
            assertTrue(NativeMemory.trim(), "malloc_trim released nothing");
            long trimmed = rssKiB();
            assertTrue(freed - trimmed > 150 * 1024, "RSS " + baseline + " kB before the blocks, " + freed
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
