package io.odecast.eval;

/**
 * PSNR over a set of frames with values nominally in [0, 1] (clamped first, as the reference's PNGs
 * are), accumulated frame by frame. Two summaries are kept apart because they differ:
 * <ul>
 *   <li>{@link #psnrOfMeanMse()}: the Vid-ODE reference number, {@code 10 log10(1 / mean MSE)} with the
 *   MSE of each frame averaged over all frames first;</li>
 *   <li>{@link #meanOfFramePsnr()}: the mean over frames of {@code 10 log10(1 / MSE_frame)}, which is
 *   never above the first (Jensen) and is what many other papers report.</li>
 * </ul>
 * An MSE of zero would give infinite PSNR; every PSNR here is capped at {@link #CAP_DB} so that one
 * identical frame does not make the mean infinite. With {@code quantise8Bit} the values are first
 * rounded to the 8-bit levels the reference writes to PNG ({@link Ssim#quantise8}), then divided by 255.
 */
public final class Psnr {

    /** Largest PSNR reported, in dB, used for identical (or nearly identical) frames. */
    public static final double CAP_DB = 100.0;

    private final boolean quantise8Bit;
    private double sumMse;
    private double sumFramePsnr;
    private long frames;

    /**
     * @param quantise8Bit round clamped values to k/255 before comparing, as the reference's PNGs do
     */
    public Psnr(boolean quantise8Bit) {
        this.quantise8Bit = quantise8Bit;
    }

    /** Adds one frame pair; the arrays may have any layout but must match in length. */
    public void add(float[] truth, float[] prediction) {
        double mse = frameMse(truth, prediction, quantise8Bit);
        sumMse += mse;
        sumFramePsnr += fromMse(mse);
        frames++;
    }

    /** Number of frame pairs added. */
    public long frames() {
        return frames;
    }

    /** Mean over frames of the per-frame MSE; NaN before any frame. */
    public double meanMse() {
        return frames == 0 ? Double.NaN : sumMse / frames;
    }

    /** The reference PSNR: {@code 10 log10(1 / meanMse())}, capped; NaN before any frame. */
    public double psnrOfMeanMse() {
        return frames == 0 ? Double.NaN : fromMse(meanMse());
    }

    /** Mean over frames of each frame's capped PSNR; NaN before any frame. */
    public double meanOfFramePsnr() {
        return frames == 0 ? Double.NaN : sumFramePsnr / frames;
    }

    /** MSE of one frame pair after clamping to [0, 1] and, optionally, 8-bit quantisation. */
    public static double frameMse(float[] truth, float[] prediction, boolean quantise8Bit) {
        if (truth.length != prediction.length || truth.length == 0) {
            throw new IllegalArgumentException("frames have " + truth.length + " and "
                    + prediction.length + " values; need the same, non-zero number");
        }
        double sum = 0;
        for (int i = 0; i < truth.length; i++) {
            double d = level(prediction[i], i, quantise8Bit) - level(truth[i], i, quantise8Bit);
            sum += d * d;
        }
        return sum / truth.length;
    }

    /** {@code 10 log10(1 / mse)} for peak value 1, capped at {@link #CAP_DB}. */
    public static double fromMse(double mse) {
        if (mse <= 0) {
            return CAP_DB;
        }
        return Math.min(CAP_DB, 10.0 * Math.log10(1.0 / mse));
    }

    private static double level(float value, int index, boolean quantise8Bit) {
        if (quantise8Bit) {
            return Ssim.quantise8(value, index) / 255.0;
        }
        if (Float.isNaN(value)) {
            throw new IllegalArgumentException("NaN at flat index " + index
                    + "; fill or mask invalid cells before image metrics");
        }
        return Math.min(1.0, Math.max(0.0, value));
    }
}
