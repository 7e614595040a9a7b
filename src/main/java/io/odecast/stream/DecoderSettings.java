package io.odecast.stream;

import com.typesafe.config.Config;
import io.odecast.model.ConvPrecision;
import java.time.Duration;

/**
 * Model calls in the {@link DecoderActor}.
 *
 * @param maxBatch    the most requests run as one model call
 * @param askTimeout  how long the engine waits for one batch's results; a batch that takes longer fails the engine,
 *                    which restarts from its last commit (a frame is never dead-lettered for slowness)
 * @param maxSubsteps the most encoder solver sub-steps one arrival may cost; a longer gap restarts the stream's
 *                    state from the new frame instead (bounded work per frame, whatever its time stamp)
 * @param workers     model calls run at once, each on its own thread (0: one per available processor); a step's
 *                    work is split into at least this many equal calls when it has that many requests
 * @param intraOpThreads libtorch intra-op threads of each worker; with {@code workers} of them together about the
 *                    machine's cores. On small grids one thread per call and one call per core is 1.3x (batch 32)
 *                    to 2-3x (batch 2-8) the throughput of one call using every core (docs/benchmarks.md)
 * @param precision   the models' inference convolutions ({@link ConvPrecision}); bf16 only where the CPU has it
 * @param gatherWait  how long a small call (fewer than {@link BatchRunner#GATHER_BATCH} requests) may wait for other
 *                    consumer loops' calls to join it before it starts; zero: it starts at once
 * @param urgentWorkers workers beside {@code workers} that run only high-priority streams' calls, so that such a call
 *                    starts at once even while every worker is busy (it then shares the cores with them); idle, they
 *                    cost nothing
 */
public record DecoderSettings(int maxBatch, Duration askTimeout, long maxSubsteps, int workers, int intraOpThreads,
                              ConvPrecision precision, Duration gatherWait, int urgentWorkers) {

    /** Settings with float32 convolutions, no gathering and no urgent workers. */
    public DecoderSettings(int maxBatch, Duration askTimeout, long maxSubsteps, int workers, int intraOpThreads) {
        this(maxBatch, askTimeout, maxSubsteps, workers, intraOpThreads, ConvPrecision.FLOAT32, Duration.ZERO, 0);
    }

    /** Settings without urgent workers. */
    public DecoderSettings(int maxBatch, Duration askTimeout, long maxSubsteps, int workers, int intraOpThreads,
                           ConvPrecision precision, Duration gatherWait) {
        this(maxBatch, askTimeout, maxSubsteps, workers, intraOpThreads, precision, gatherWait, 0);
    }

    public DecoderSettings {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("decoder.max-batch must be >= 1, got " + maxBatch);
        }
        if (askTimeout.isNegative() || askTimeout.isZero()) {
            throw new IllegalArgumentException("decoder.ask-timeout must be positive, got " + askTimeout);
        }
        if (maxSubsteps < 1) {
            throw new IllegalArgumentException("decoder.max-substeps must be >= 1, got " + maxSubsteps);
        }
        if (workers < 0 || workers > 256) {
            throw new IllegalArgumentException("decoder.workers must be between 0 (one per processor) and 256, got "
                    + workers);
        }
        if (precision == null) {
            throw new IllegalArgumentException("decoder.precision must be float32 or bf16");
        }
        if (gatherWait == null || gatherWait.isNegative() || gatherWait.compareTo(Duration.ofSeconds(5)) > 0) {
            throw new IllegalArgumentException("decoder.gather-wait must be between 0s and 5s, got " + gatherWait);
        }
        if (urgentWorkers < 0 || urgentWorkers > 16) {
            throw new IllegalArgumentException("decoder.urgent-workers must be between 0 and 16, got " + urgentWorkers);
        }
        if (intraOpThreads < 1 || intraOpThreads > 256) {
            throw new IllegalArgumentException("decoder.intra-op-threads must be between 1 and 256, got "
                    + intraOpThreads);
        }
    }

    /** The number of workers, with 0 resolved to the available processors. */
    public int resolvedWorkers() {
        return workers > 0 ? workers : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    static DecoderSettings fromConfig(Config c) {
        return new DecoderSettings(c.getInt("max-batch"), c.getDuration("ask-timeout"), c.getLong("max-substeps"),
                c.getInt("workers"), c.getInt("intra-op-threads"), precision(c), c.getDuration("gather-wait"),
                c.getInt("urgent-workers"));
    }

    private static ConvPrecision precision(Config c) {
        try {
            return ConvPrecision.parse(c.getString("precision"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("decoder." + e.getMessage(), e);
        }
    }
}
