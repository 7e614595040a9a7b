package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps libtorch's one-time developer notice off a user's terminal. The first in-place write into a tensor
 * ({@code NDArray.set}, as loading parameters does) makes libtorch 2.7 print "AutoNonVariableTypeMode is
 * deprecated..." from DJL's JNI straight to file descriptor 2, past every Java logger, and no libtorch setting
 * reachable from Java turns it off. {@link #absorb} triggers that notice once per process with descriptor 2 pointed
 * at /dev/null for the duration of one tiny write, then puts it back. Where libc cannot be reached the notice is
 * simply printed.
 */
final class NativeNotices {
    private static final AtomicBoolean ABSORBED = new AtomicBoolean();
    private static final int STDERR = 2;
    private static final int O_WRONLY = 1;

    private NativeNotices() {
    }

    /** Triggers libtorch's one-time notices while descriptor 2 is silenced; later calls do nothing. */
    static void absorb() {
        if (!ABSORBED.compareAndSet(false, true)) {
            return;
        }
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

    private static void trigger() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.zeros(new ai.djl.ndarray.types.Shape(1));
            a.set(new float[] {1f});
        }
    }
}
