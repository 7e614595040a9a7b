package io.odecast.chaos;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An odecast command run as a child JVM, launched directly ({@code java -cp <this JVM's classpath>
 * io.odecast.cli.Odecast ...}, no wrapper shell), so that {@link #kill()} delivers SIGKILL and
 * {@link #terminate} SIGTERM to the JVM itself and {@link #pid()} is the JVM's pid. Output and errors go to a log
 * file. Children still running when the harness JVM exits are killed by a shutdown hook.
 */
final class ChildJvm {
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "odecast-chaos-children"));
    }

    private final String name;
    private final Process process;
    private final long startedMillis;
    private final Path log;
    private final int httpPort;

    private ChildJvm(String name, Process process, long startedMillis, Path log, int httpPort) {
        this.name = name;
        this.process = process;
        this.startedMillis = startedMillis;
        this.log = log;
        this.httpPort = httpPort;
    }

    /**
     * The command line running {@code io.odecast.cli.Odecast args} in a JVM like this one: same java, same
     * classpath, class-data sharing archive and {@code -Dodecast.*} settings, {@code -Xmx heap}, DJL offline, the
     * same logback configuration.
     */
    static List<String> odecastCommand(String heap, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-Dai.djl.offline=true");
        String logback = System.getProperty("logback.configurationFile");
        if (logback == null && Files.isRegularFile(Path.of("conf/logback.xml"))) {
            logback = Path.of("conf/logback.xml").toAbsolutePath().toString();
        }
        if (logback != null) {
            cmd.add("-Dlogback.configurationFile=" + logback);
        }
        // The class-data sharing archive bin/odecast gave this JVM (same classpath, so it fits the child too), and the
        // operator's -Dodecast.* settings (configuration overrides reach the services under test).
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-XX:SharedArchiveFile=") || arg.startsWith("-Xshare:") || arg.startsWith("-Xlog:cds")
                    || arg.startsWith("-Dodecast.")) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.odecast.cli.Odecast");
        cmd.addAll(args);
        return cmd;
    }

    /** Starts {@code command}, appending its output to {@code log}. */
    static ChildJvm start(String name, List<String> command, Path log) throws IOException {
        return start(name, command, log, 0);
    }

    /**
     * Starts {@code command}, appending its output to {@code log}; {@code httpPort} is the operations port the
     * command was given ({@code --http-port}), 0 when none.
     */
    static ChildJvm start(String name, List<String> command, Path log, int httpPort) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = pb.environment();
        env.putIfAbsent("DJL_CACHE_DIR", Path.of("target/djl-cache").toAbsolutePath().toString());
        long started = System.currentTimeMillis();
        Process p = pb.start();
        LIVE.add(p);
        p.onExit().thenRun(() -> LIVE.remove(p));
        return new ChildJvm(name, p, started, log, httpPort);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    /** Wall-clock time of the start, epoch milliseconds. */
    long startedMillis() {
        return startedMillis;
    }

    Path log() {
        return log;
    }

    /** The operations port (metrics, health) the process was started with, 0 when none. */
    int httpPort() {
        return httpPort;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The exit status, or null while running. */
    Integer exitCode() {
        return process.isAlive() ? null : process.exitValue();
    }

    /** SIGKILL, then waits for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then waits up to {@code timeout}; true when the process exited in time. */
    boolean terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code timeout}. */
    void stop(Duration timeout) throws InterruptedException {
        if (process.isAlive() && !terminate(timeout)) {
            kill();
        }
    }

    /** The last {@code n} non-blank lines of the log (from its last 64 KiB). */
    String lastLines(int n) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long from = Math.max(0, f.length() - 65536);
            byte[] buf = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(buf);
            List<String> lines = new String(buf, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }
}
