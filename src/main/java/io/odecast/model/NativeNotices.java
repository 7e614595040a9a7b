package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps libtorch's one-time developer notice off a user's terminal. The first in-place write into a tensor
 * ({@code NDArray.set}, as loading parameters does) makes libtorch 2.7 print "AutoNonVariableTypeMode is
 * deprecated..." from DJL's JNI straight to file descriptor 2, past every Java logger, and no libtorch setting
 * reachable from Java turns it off. {@link #absorb} triggers that notice once per process with descriptor 2 pointed
 * at /dev/null for the duration of one tiny write, then puts it back. Where libc cannot be reached the notice is
 * simply printed.
 *
 * <p>It also sets libtorch's own log threshold. libtorch 2.7.1 logs "Could not initialize NNPACK! Reason:
 * Unsupported hardware." on <em>every</em> convolution that reaches its NNPACK check (on CPUs NNPACK does not
 * support, e.g. this project's AVX-512 EPYC: the 1x1 convolutions of small single-threaded calls, the service's
 * usual call), 37,526 lines in one demo run. libtorch reads {@code TORCH_CPP_LOG_LEVEL} only where Python's torch
 * initialises it, never in a C++ host like this one, so {@link #absorb} writes the threshold into libc10's
 * {@code FLAGS_caffe2_log_level} itself: {@code TORCH_CPP_LOG_LEVEL} when set (INFO, WARNING, ERROR, FATAL or 0-3),
 * else ERROR.
 */
final class NativeNotices {
    private static final Logger LOG = LoggerFactory.getLogger(NativeNotices.class);
    /** libtorch's threshold when {@code TORCH_CPP_LOG_LEVEL} is not set: errors only (c10's GLOG_ERROR). */
    static final int DEFAULT_LOG_LEVEL = 2;
    private static final String LOG_LEVEL_FLAG = "FLAGS_caffe2_log_level";
    private static final int RTLD_LAZY = 0x1;
    private static final int RTLD_NOLOAD = 0x4;
    private static final AtomicBoolean ABSORBED = new AtomicBoolean();
    private static final int STDERR = 2;
    private static final int O_WRONLY = 1;

    private NativeNotices() {
    }

    /**
     * Sets libtorch's log threshold and triggers its one-time notices while descriptor 2 is silenced; later calls do
     * nothing.
     */
    static void absorb() {
        if (!ABSORBED.compareAndSet(false, true)) {
            return;
        }
        setLibtorchLogLevel(System.getenv("TORCH_CPP_LOG_LEVEL"));
        Libc.Calls libc = Libc.get();
        if (libc == null) {
            trigger();
            return;
        }
        System.err.flush();
        int saved = libc.dup(STDERR);
        int devNull = libc.open("/dev/null", O_WRONLY);
        if (saved < 0 || devNull < 0 || libc.dup2(devNull, STDERR) < 0) {
            trigger();
            return;
        }
        try {
            trigger();
        } finally {
            libc.dup2(saved, STDERR);
            libc.close(saved);
            libc.close(devNull);
        }
    }

    /**
     * The threshold {@code TORCH_CPP_LOG_LEVEL} asks for (libtorch's names and numbers), or {@link #DEFAULT_LOG_LEVEL}
     * when it is unset or blank.
     *
     * @throws IllegalArgumentException naming the variable when its value is none of them
     */
    static int logLevel(String setting) {
        if (setting == null || setting.isBlank()) {
            return DEFAULT_LOG_LEVEL;
        }
        return switch (setting.strip().toUpperCase(Locale.ROOT)) {
            case "INFO", "0" -> 0;
            case "WARNING", "1" -> 1;
            case "ERROR", "2" -> 2;
            case "FATAL", "3" -> 3;
            default -> throw new IllegalArgumentException("TORCH_CPP_LOG_LEVEL: '" + setting
                    + "' is none of INFO, WARNING, ERROR, FATAL, 0-3");
        };
    }

    /** libtorch's current log threshold, or -1 where libc10 or its flag cannot be found. */
    static int libtorchLogLevel() {
        Pointer flag = LogLevelFlag.ADDRESS;
        return flag == null ? -1 : flag.getInt(0);
    }

    private static void setLibtorchLogLevel(String setting) {
        int level;
        try {
            level = logLevel(setting);
        } catch (IllegalArgumentException e) {
            LOG.warn("{}; libtorch logs errors only", e.getMessage());
            level = DEFAULT_LOG_LEVEL;
        }
        Pointer flag = LogLevelFlag.ADDRESS;
        if (flag == null) {
            LOG.debug("libc10's {} not found; libtorch logs at its own threshold", LOG_LEVEL_FLAG);
            return;
        }
        flag.setInt(0, level);
    }

    /** The address of libc10's log threshold in this process, found once (on first use), or null. */
    private static final class LogLevelFlag {
        static final Pointer ADDRESS = find();

        private static Pointer find() {
            NDManager.newBaseManager().close(); // starting the engine loads libc10
            Path c10 = loadedLibrary("libc10.so");
            if (c10 == null) {
                return null;
            }
            try {
                // RTLD_NOLOAD: the library already loaded (libtorch's own flag) or nothing; local scope as loaded.
                Map<String, Integer> options = Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY | RTLD_NOLOAD);
                return NativeLibrary.getInstance(c10.toString(), options).getGlobalVariableAddress(LOG_LEVEL_FLAG);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return null;
            }
        }
    }

    /** The path of a shared library this process has mapped, by file name, from /proc/self/maps; null if none. */
    private static Path loadedLibrary(String fileName) {
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.map(l -> l.indexOf('/') < 0 ? "" : l.substring(l.indexOf('/')).strip())
                    .filter(f -> f.endsWith("/" + fileName))
                    .findFirst().map(Path::of).orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void trigger() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.zeros(new ai.djl.ndarray.types.Shape(1));
            a.set(new float[] {1f});
        }
    }
}
