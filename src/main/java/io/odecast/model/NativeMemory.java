package io.odecast.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives freed native memory back to the operating system. libtorch allocates its tensors with glibc's malloc; blocks
 * of a few MiB (a decoder batch's activations) come from malloc's heaps once its adaptive mmap threshold has risen,
 * and freed ones stay mapped for reuse. After a burst that used more than the steady state needs (the warm-up's
 * largest batches, a backlog), {@link #trim} returns the free pages (glibc {@code malloc_trim(0)}, which releases
 * free pages inside every arena, not only at the top). Where libc or {@code malloc_trim} is missing (not glibc) it
 * does nothing.
 */
public final class NativeMemory {
    private static final Logger LOG = LoggerFactory.getLogger(NativeMemory.class);

    private static volatile boolean unavailable;

    private NativeMemory() {
    }

    /** Returns free native memory to the system; true when libc did release some. */
    public static boolean trim() {
        if (unavailable) {
            return false;
        }
        Libc.Calls c = Libc.get();
        if (c == null) {
            unavailable = true;
            return false;
        }
        try {
            return c.malloc_trim(0) == 1;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            unavailable = true;
            LOG.debug("malloc_trim is not available here: {}", e.toString());
            return false;
        }
    }
}
