package io.odecast.stream;

/**
 * Receives the service's timings and sizes one by one as they happen, for histograms (the {@code ops} package's
 * Prometheus registry); the running totals stay in {@link ServiceMetrics}. Called on the engine and decoder threads:
 * implementations must be quick, thread-safe and must not throw.
 */
public interface ServiceObserver {
    /** An observer that keeps nothing. */
    ServiceObserver NONE = new ServiceObserver() {
    };

    /** One batched model call of {@code batchSize} requests took {@code nanos}. */
    default void modelCall(int batchSize, long nanos) {
    }

    /**
     * A forecast was acknowledged by the brokers (or its transaction committed) {@code millis} after its input frame's
     * record timestamp (the time the frame was produced): the arrival-to-forecast latency.
     */
    default void forecastDelivered(long millis) {
    }

    /** Encoding and storing one stream's state snapshot locally took {@code nanos}. */
    default void snapshotWritten(long nanos) {
    }

    /** Producing a step's outputs and committing its offsets (or its transaction) took {@code nanos}. */
    default void committed(long nanos) {
    }
}
