package io.odecast.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Freed malloc blocks that glibc keeps mapped go back to the system on {@link NativeMemory#trim}. Measured in a JVM
 * of its own ({@link #main}): in the suite's JVM, after hundreds of tests, glibc's arenas are in a state where free()
 * may return such blocks by itself, and the resident set moves with every other test's allocations.
 */
class NativeMemoryTest {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final long BLOCKS_KIB = 48 * 4 * 1024;

    @Test
    void freedBlocksInsideTheHeapAreReturnedToTheSystem() throws Exception {
        assumeTrue(Files.isReadable(STATUS), "Linux only");
        assumeTrue(Libc.get() != null, "no libc");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), NativeMemoryTest.class.getName())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assumeTrue(!out.startsWith("skip"), out);
        assertEquals(0, p.exitValue(), out);
        // "baseline freed trimmed released" in kB, the last line of the child's output
        String[] lines = out.split("\n");
        String[] f = lines[lines.length - 1].strip().split(" ");
        long baseline = Long.parseLong(f[0]);
        long freed = Long.parseLong(f[1]);
        long trimmed = Long.parseLong(f[2]);
        String figures = "RSS " + baseline + " kB before 192 MiB of blocks, " + freed + " kB after freeing them, "
                + trimmed + " kB after the trim";
        // The fixed thresholds leave freed blocks resident: the trim has something to give back ...
        assertTrue(freed - baseline > BLOCKS_KIB * 3 / 4, figures);
        assertEquals("true", f[3], "malloc_trim reported no release; " + figures);
        // ... and gives (nearly) all of it back.
        assertTrue(freed - trimmed > BLOCKS_KIB * 3 / 4, figures);
    }

    /**
     * The measurement, in a fresh JVM: prints "baseline freed trimmed released" (kB, kB, kB, boolean), or a line
     * starting "skip" where glibc's thresholds cannot be fixed.
     */
    public static void main(String[] args) throws IOException {
        Libc.Calls libc = Libc.get();
        // Fixed thresholds (glibc's adaptive ones depend on what the JVM allocated before): blocks under 64 MiB come
        // from the heap, and free() gives nothing back by itself below 1 GiB of free top; a fence allocated after
        // the blocks keeps them off the heap's top anyway.
        if (libc == null || libc.mallopt(M_MMAP_THRESHOLD, 64 << 20) != 1
                || libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1) {
            System.out.println("skip: not glibc");
            return;
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
            boolean released = NativeMemory.trim();
            long trimmed = rssKiB();
            System.out.println(baseline + " " + freed + " " + trimmed + " " + released);
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
