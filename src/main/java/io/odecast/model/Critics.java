package io.odecast.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The two LSGAN discriminators used in training (spec 2.2): the image discriminator on single frames and the
 * sequence discriminator on frames stacked along channels. They are not part of a model checkpoint (the
 * reference saves the generator only); the trainer saves them with its own state to resume.
 */
public final class Critics implements AutoCloseable {

    private final NDManager manager;
    private final ParameterStore store;
    private final Discriminator image;
    private final Discriminator sequence;
    private final int sequenceFrames;

    /**
     * @param channels       frame channels C
     * @param sequenceFrames frames per sequence seen by the sequence discriminator
     * @param widthMultiplier scale of the reference widths (1.0 = 64..512)
     */
    public Critics(int channels, int sequenceFrames, double widthMultiplier, long seed) {
        this.manager = NDManager.newBaseManager();
        this.store = new ParameterStore(manager, seed);
        this.sequenceFrames = sequenceFrames;
        image = new Discriminator(store, "disc.image", channels, widthMultiplier);
        sequence = new Discriminator(store, "disc.sequence", channels * sequenceFrames, widthMultiplier);
    }

    /** Patch scores of (N, C, H, W) frames. */
    public NDArray scoreImages(NDArray frames) {
        return image.forward(frames);
    }

    /** Patch scores of (N, C * sequenceFrames, H, W) stacked sequences. */
    public NDArray scoreSequences(NDArray stacked) {
        return sequence.forward(stacked);
    }

    public int sequenceFrames() {
        return sequenceFrames;
    }

    public ParameterStore parameters() {
        return store;
    }

    @Override
    public void close() {
        manager.close();
    }
}
