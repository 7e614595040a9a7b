package io.odecast.train;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;

/**
 * A progress line: step, percentage, losses, rate and time left. The time left is the lesser of the steps still
 * to go at the current rate and the time budget still unspent (then marked "time cap"), so a capped run never
 * promises more than its cap. On a terminal it redraws one line; otherwise (logs, CI) it prints a line every
 * {@code interval}.
 */
final class ProgressBar {

    private final PrintStream out;
    private final int total;
    private final boolean terminal;
    private final long intervalNanos;
    private final long started = System.nanoTime();
    private long lastPrint;
    private final int firstStep;
    private final long deadlineNanos;

    /** A bar from {@code firstStep} to {@code total}; {@code deadlineNanos} ({@link System#nanoTime}) ends the run. */
    ProgressBar(PrintStream out, int firstStep, int total, Duration interval, long deadlineNanos) {
        this.out = out;
        this.deadlineNanos = deadlineNanos;
        this.firstStep = firstStep;
        this.total = total;
        this.terminal = System.console() != null;
        this.intervalNanos = interval.toNanos();
    }

    void update(int step, String losses, boolean force) {
        long now = System.nanoTime();
        if (!force && now - lastPrint < (terminal ? 200_000_000L : intervalNanos)) {
            return;
        }
        lastPrint = now;
        double seconds = (now - started) / 1e9;
        double rate = (step - firstStep) / Math.max(seconds, 1e-9);
        double stepsLeft = rate > 0 ? (total - step) / rate : Double.NaN;
        double budgetLeft = Math.max(0, (deadlineNanos - now) / 1e9);
        boolean capped = deadlineNanos != Long.MAX_VALUE && !(stepsLeft <= budgetLeft);
        double left = capped ? budgetLeft : stepsLeft;
        int width = 24;
        int filled = total == 0 ? width : (int) ((long) width * step / total);
        String bar = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
        String line = String.format(Locale.ROOT, "step %d/%d [%s] %3.0f%% %s %.2f step/s, %s elapsed, %s left%s",
                step, total, bar, total == 0 ? 100.0 : 100.0 * step / total, losses, rate, clock(seconds), clock(left),
                capped ? " (time cap)" : "");
        if (terminal) {
            out.print("\r" + line);
            if (force) {
                out.println();
            }
        } else {
            out.println(line);
        }
        out.flush();
    }

    private static String clock(double seconds) {
        if (!Double.isFinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
