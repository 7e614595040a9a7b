package io.odecast.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Polls {@code /proc/<pid>/status} of the service processes every 200 ms: {@code VmRSS} (the resident set now) and
 * {@code VmHWM} (its high-water mark, which the kernel keeps per process, so a spike between two polls is not
 * missed). Each process is sampled until it exits, also after it stopped being current (a restart); its peak is the
 * larger of the two and is kept per process and overall. Per named phase the peak is the sampled RSS, or the new
 * high-water mark where it rose since the previous poll (reached in between, so in the current phase). The
 * processes may change (restarts); the supplier gives the current ones. A process above the cap is handed to
 * {@code onCap} once (the harness kills it: on a shared machine a runaway service must not take the memory of
 * everything else, as the OOM killer would not do it in time).
 */
final class RssSampler implements AutoCloseable {
    private final Supplier<List<ChildJvm>> processes;
    private final long capKiB;
    private final java.util.function.BiConsumer<ChildJvm, Long> onCap;
    private final java.util.Set<ChildJvm> capped = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private final Map<String, Long> byPhase = new LinkedHashMap<>();
    private final Map<ChildJvm, Long> byProcess = new LinkedHashMap<>();
    private final Map<ChildJvm, Long> lastHwm = new java.util.HashMap<>();
    private final java.util.Set<ChildJvm> tracked = new java.util.LinkedHashSet<>();
    private volatile String phase = "run";
    private volatile boolean running = true;
    private long peak = -1;

    RssSampler(Supplier<List<ChildJvm>> processes, long capKiB, java.util.function.BiConsumer<ChildJvm, Long> onCap) {
        this.processes = processes;
        this.capKiB = capKiB;
        this.onCap = onCap;
        this.thread = new Thread(this::loop, "odecast-chaos-rss");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Peaks from now on are attributed to {@code name} (and to the overall peak). */
    void phase(String name) {
        phase = name;
    }

    synchronized long peakKiB() {
        return peak;
    }

    synchronized Map<String, Long> peakByPhaseKiB() {
        return new LinkedHashMap<>(byPhase);
    }

    /** Peak per process ({@code name (pid N)}), max of VmHWM and VmRSS, KiB, in order of first sample. */
    synchronized Map<String, Long> peakByProcessKiB() {
        Map<String, Long> m = new LinkedHashMap<>();
        byProcess.forEach((p, kib) -> m.put(p.toString(), kib));
        return m;
    }

    private void loop() {
        while (running) {
            sampleOnce();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One poll of every tracked process still alive (the current ones added). */
    void sampleOnce() {
        for (ChildJvm p : processes.get()) {
            if (p != null) {
                tracked.add(p);
            }
        }
        for (java.util.Iterator<ChildJvm> it = tracked.iterator(); it.hasNext(); ) {
            ChildJvm p = it.next();
            if (!p.alive()) {
                it.remove();
                continue;
            }
            long[] m = memoryKiB(p.pid());
            long rss = m[0];
            long hwm = m[1];
            if (rss < 0 && hwm < 0) {
                continue;
            }
            long before = lastHwm.getOrDefault(p, -1L);
            // A high-water mark that rose since the last poll was reached in between: in this phase.
            long phaseValue = hwm > before ? Math.max(rss, hwm) : rss;
            lastHwm.put(p, Math.max(before, hwm));
            long processPeak = Math.max(rss, hwm);
            synchronized (this) {
                peak = Math.max(peak, processPeak);
                byProcess.merge(p, processPeak, Math::max);
                byPhase.merge(phase, phaseValue, Math::max);
            }
            if (phaseValue > capKiB && capped.add(p)) {
                onCap.accept(p, phaseValue);
            }
        }
    }

    /** VmRSS and VmHWM of {@code pid} in KiB, each -1 when it cannot be read (process gone, no /proc). */
    static long[] memoryKiB(long pid) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            return new long[] {parseVmRss(lines), parseStatusKiB(lines, "VmHWM:")};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /** VmRSS of {@code pid} in KiB, or -1 when it cannot be read (process gone, no /proc). */
    static long rssKiB(long pid) {
        return memoryKiB(pid)[0];
    }

    /** The VmRSS value of /proc/PID/status lines, in KiB, or -1. */
    static long parseVmRss(List<String> statusLines) {
        return parseStatusKiB(statusLines, "VmRSS:");
    }

    /** The value of the /proc/PID/status line starting with {@code field} (e.g. {@code VmHWM:}), in KiB, or -1. */
    static long parseStatusKiB(List<String> statusLines, String field) {
        for (String line : statusLines) {
            if (line.startsWith(field)) {
                String[] parts = line.substring(field.length()).trim().split("\\s+");
                long value = Long.parseLong(parts[0]);
                return parts.length > 1 && parts[1].equalsIgnoreCase("mB") ? value * 1024 : value;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
