package io.odecast.model;

/**
 * Architecture and solver hyper-parameters of a Vid-ODE network (spec section 1; defaults are the reference's
 * except where noted).
 *
 * @param channels        input channels C (3 for u/v/psl, 1 for grey video)
 * @param height          frame height H (any; padded inside to a multiple of 2^nDowns)
 * @param width           frame width W
 * @param initDim         width of the first encoder convolution (reference 32)
 * @param nDowns          encoder down-samplings = decoder up-samplings (reference 2)
 * @param nLayers         hidden convolutions in each ODE function (reference 2)
 * @param encoderSolver   solver between arrivals: euler (the reference's single step), midpoint, rk4, dopri5
 * @param encoderMaxStep  largest encoder sub-step in model time (long gaps are sub-stepped)
 * @param decoderSolver   decoder solver (reference dopri5; rk4 keeps streaming inference batch-independent)
 * @param decoderMaxStep  largest decoder sub-step in model time for fixed-step solvers
 * @param rtol            dopri5 relative tolerance (reference 1e-3)
 * @param atol            dopri5 absolute tolerance (reference 1e-4)
 * @param discWidth       width multiplier of the discriminators (reference widths at 1.0)
 * @param composition     how G's outputs make a frame: {@value #PAPER} (the reference's M W + (1 - M) D, where D is
 *                        also trained toward frame differences; the warp chain runs on warped images only) or
 *                        {@value #RESIDUAL} (W + (1 - M) D: D is a correction added to the warped frame, so static
 *                        regions pass through, and the next step warps the composed frame, so D is one step's
 *                        correction, as its difference loss asks), or {@value #RESIDUAL_MOTION} (the residual
 *                        composition whose warp adds a motion prior to G's flow: the optical flow between the stream's
 *                        last two frames, or between a gap's neighbours, taken as steady, so that zero G outputs give
 *                        the flow baseline and G learns only what steady motion misses), or {@value #MOTION} (the same
 *                        motion prior with the frame the warped image alone: G corrects the motion, and its D and
 *                        mask are not used); absent (null) in a model.json means {@value #PAPER}
 */
public record ModelConfig(int channels, int height, int width, int initDim, int nDowns, int nLayers,
                          String encoderSolver, double encoderMaxStep, String decoderSolver, double decoderMaxStep,
                          double rtol, double atol, double discWidth, String composition) {

    /** The reference's composition M W + (1 - M) D. */
    public static final String PAPER = "paper";
    /** The residual composition W + (1 - M) D. */
    public static final String RESIDUAL = "residual";
    /** The residual composition with a motion prior added to G's warp flow (forecasts and fills). */
    public static final String RESIDUAL_MOTION = "residual-motion";
    /** Warp only, along G's flow plus the motion prior: a frame is W (no D, no mask). */
    public static final String MOTION = "motion";

    @com.fasterxml.jackson.annotation.JsonCreator
    public ModelConfig {
        composition = composition == null ? PAPER : composition;
        require(PAPER.equals(composition) || RESIDUAL.equals(composition) || RESIDUAL_MOTION.equals(composition)
                || MOTION.equals(composition), "composition must be " + PAPER + ", " + RESIDUAL + ", " + RESIDUAL_MOTION
                + " or " + MOTION + ", got " + composition);
        require(channels >= 1, "channels must be >= 1, got " + channels);
        require(height >= 1 && width >= 1, "height and width must be >= 1, got " + height + "x" + width);
        require(initDim >= 1, "initDim must be >= 1, got " + initDim);
        require(nDowns >= 0 && nDowns <= 6, "nDowns must be in 0..6, got " + nDowns);
        require(nLayers >= 0, "nLayers must be >= 0, got " + nLayers);
        require(encoderMaxStep > 0 && decoderMaxStep > 0, "max steps must be positive");
        require(discWidth > 0, "discWidth must be positive, got " + discWidth);
    }

    /** A configuration with the reference's composition. */
    public ModelConfig(int channels, int height, int width, int initDim, int nDowns, int nLayers,
                       String encoderSolver, double encoderMaxStep, String decoderSolver, double decoderMaxStep,
                       double rtol, double atol, double discWidth) {
        this(channels, height, width, initDim, nDowns, nLayers, encoderSolver, encoderMaxStep, decoderSolver,
                decoderMaxStep, rtol, atol, discWidth, PAPER);
    }

    /** A configuration with the reference's layer sizes and our streaming solver defaults (rk4, max step 0.1). */
    public static ModelConfig of(int channels, int height, int width, int initDim, int nDowns) {
        return new ModelConfig(channels, height, width, initDim, nDowns, 2, "rk4", 0.1, "rk4", 0.1, 1e-3, 1e-4, 0.25);
    }

    public ModelConfig withSolvers(String encoder, double encoderMax, String decoder, double decoderMax) {
        return new ModelConfig(channels, height, width, initDim, nDowns, nLayers, encoder, encoderMax, decoder,
                decoderMax, rtol, atol, discWidth, composition);
    }

    /** The same network with another composition (the weights fit both: only how G's outputs combine changes). */
    public ModelConfig withComposition(String name) {
        return new ModelConfig(channels, height, width, initDim, nDowns, nLayers, encoderSolver, encoderMaxStep,
                decoderSolver, decoderMaxStep, rtol, atol, discWidth, name);
    }

    /** Whether frames are W + (1 - M) D. */
    public boolean residual() {
        return RESIDUAL.equals(composition) || RESIDUAL_MOTION.equals(composition) || MOTION.equals(composition);
    }

    /** Whether G's difference D (and mask) make part of a frame; not under {@value #MOTION}, where a frame is W. */
    public boolean usesDifference() {
        return !MOTION.equals(composition);
    }

    /**
     * Whether a forecast's warp adds the stream's steady motion (optical flow between its last two frames, per unit
     * of model time, times each decoded step's length) to G's flow.
     */
    public boolean motionPrior() {
        return RESIDUAL_MOTION.equals(composition) || MOTION.equals(composition);
    }

    /** Channels of the latent state: initDim * 2^nDowns. */
    public int latentChannels() {
        return initDim << nDowns;
    }

    /** Padding multiple 2^nDowns. */
    public int multiple() {
        return 1 << nDowns;
    }

    public int paddedHeight() {
        return ceilTo(height, multiple());
    }

    public int paddedWidth() {
        return ceilTo(width, multiple());
    }

    public int latentHeight() {
        return paddedHeight() >> nDowns;
    }

    public int latentWidth() {
        return paddedWidth() >> nDowns;
    }

    /** Floats in one latent state (C_lat x H_lat x W_lat). */
    public int latentSize() {
        return latentChannels() * latentHeight() * latentWidth();
    }

    /** Floats in one frame (C x H x W). */
    public int frameSize() {
        return channels * height * width;
    }

    private static int ceilTo(int v, int m) {
        return (v + m - 1) / m * m;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("model config: " + message);
        }
    }
}
