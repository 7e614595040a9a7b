package io.odecast.model;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** The C library calls this package makes (through JNA), loaded once; absent where libc cannot be loaded. */
final class Libc {

    /** The calls; JNA binds each on first use, so one a libc lacks fails only when called. */
    interface Calls extends Library {
        int dup(int fd);

        int dup2(int from, int to);

        int open(String path, int flags);

        int close(int fd);

        int malloc_trim(long pad);

        int mallopt(int param, int value);
    }

    private static final Calls CALLS = load();

    private Libc() {
    }

    /** The calls, or null where libc could not be loaded. */
    static Calls get() {
        return CALLS;
    }

    private static Calls load() {
        try {
            return Native.load("c", Calls.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }
}
