package io.odecast.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Polls {@code /proc/<pid>/status} {@code VmRSS} of the current service process every 200 ms and keeps the peak,
 * overall and per named phase. The process may change (restarts); the supplier gives the current one. A process
 * above the cap is handed to {@code onCap} once (the harness kills it: on a shared machine a runaway service must
 * not take the memory of everything else, as the OOM killer would not do it in time).
 */
final class RssSampler implements AutoCloseable {
    private final Supplier<ChildJvm> process;
    private final long capKiB;
    private final java.util.function.BiConsumer<ChildJvm, Long> onCap;
    private final java.util.Set<ChildJvm> capped = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private final Map<String, Long> byPhase = new LinkedHashMap<>();
    private volatile String phase = "run";
    private volatile boolean running = true;
    private long peak = -1;

    RssSampler(Supplier<ChildJvm> process, long capKiB, java.util.function.BiConsumer<ChildJvm, Long> onCap) {
        this.process = process;
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

    private void loop() {
        while (running) {
            ChildJvm p = process.get();
            if (p != null && p.alive()) {
                long kib = rssKiB(p.pid());
                if (kib >= 0) {
                    synchronized (this) {
                        peak = Math.max(peak, kib);
                        byPhase.merge(phase, kib, Math::max);
                    }
                    if (kib > capKiB && capped.add(p)) {
                        onCap.accept(p, kib);
                    }
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** VmRSS of {@code pid} in KiB, or -1 when it cannot be read (process gone, no /proc). */
    static long rssKiB(long pid) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            return parseVmRss(lines);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The VmRSS value of /proc/PID/status lines, in KiB, or -1. */
    static long parseVmRss(List<String> statusLines) {
        for (String line : statusLines) {
            if (line.startsWith("VmRSS:")) {
                String[] parts = line.substring(6).trim().split("\\s+");
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
