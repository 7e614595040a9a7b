package io.odecast.eval;

import io.odecast.data.GridShape;

import java.util.List;

/**
 * SSIM exactly as the Vid-ODE reference scores it: both frames written as 8-bit PNGs and read back as
 * 8-bit grayscale (PIL mode "L"), then scikit-image {@code structural_similarity} with
 * {@code data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, K1=0.01,
 * K2=0.03}: separable Gaussian filtering (scipy {@code gaussian_filter}, truncate 3.5, so an 11-tap
 * normalised kernel, border mode "reflect" = d c b a | a b c d | d c b a) of x, y, x², y², xy, and the
 * mean of the SSIM map after cropping 5 pixels from every border. Because the crop equals the kernel
 * radius, no kept pixel's window reaches past the image, so the border mode never changes the result.
 */
public final class Ssim {

    /** Gaussian standard deviation in pixels. */
    public static final double SIGMA = 1.5;
    /** Kernel radius: {@code int(truncate * sigma + 0.5)} with truncate 3.5, as scipy computes it. */
    public static final int RADIUS = (int) (3.5 * SIGMA + 0.5);
    /** Window size {@code 2 * RADIUS + 1} = 11; the SSIM map is cropped by {@code (WIN - 1) / 2}. */
    public static final int WINDOW = 2 * RADIUS + 1;
    /** Dynamic range of the 8-bit images. */
    public static final double DATA_RANGE = 255.0;
    /** Luminance stabiliser (K1 * L)^2. */
    public static final double C1 = Math.pow(0.01 * DATA_RANGE, 2);
    /** Contrast stabiliser (K2 * L)^2. */
    public static final double C2 = Math.pow(0.03 * DATA_RANGE, 2);

    private static final double[] KERNEL = gaussianKernel();

    private Ssim() {
    }

    /**
     * SSIM of two frames with values nominally in [0, 1] (clamped), with 1 channel (grey) or 3 (RGB).
     */
    public static double ofFrames(GridShape shape, float[] truth, float[] prediction) {
        return ofGray8(toGray8(shape, truth), toGray8(shape, prediction), shape.height(), shape.width());
    }

    /** Mean of {@link #ofFrames} over paired frame lists, as the reference averages over all frames. */
    public static double meanOfFrames(GridShape shape, List<float[]> truths, List<float[]> predictions) {
        if (truths.size() != predictions.size() || truths.isEmpty()) {
            throw new IllegalArgumentException("need equally many truth and predicted frames (and at "
                    + "least one), got " + truths.size() + " and " + predictions.size());
        }
        double sum = 0;
        for (int i = 0; i < truths.size(); i++) {
            sum += ofFrames(shape, truths.get(i), predictions.get(i));
        }
        return sum / truths.size();
    }

    /**
     * The 8-bit grayscale image the reference compares. One channel: {@code floor(clamp(x,0,1)*255+0.5)}
     * in float32 as torchvision {@code save_image} does. Three channels: each channel quantised that
     * way, then Pillow's RGB to "L" conversion {@code (R*19595 + G*38470 + B*7471 + 0x8000) >> 16},
     * i.e. R*299/1000 + G*587/1000 + B*114/1000 rounded.
     *
     * @return height x width grey levels in 0..255, row-major
     */
    public static int[] toGray8(GridShape shape, float[] frame) {
        shape.requireSize("frame", frame.length);
        int plane = shape.planeSize();
        int[] grey = new int[plane];
        switch (shape.channels()) {
            case 1 -> {
                for (int i = 0; i < plane; i++) {
                    grey[i] = quantise8(frame[i], i);
                }
            }
            case 3 -> {
                for (int i = 0; i < plane; i++) {
                    int r = quantise8(frame[i], i);
                    int g = quantise8(frame[plane + i], plane + i);
                    int b = quantise8(frame[2 * plane + i], 2 * plane + i);
                    grey[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
                }
            }
            default -> throw new IllegalArgumentException("SSIM needs 1 (grey) or 3 (RGB) channels, got "
                    + shape.channels() + "; score weather variables with ErrorMetrics instead");
        }
        return grey;
    }

    /**
     * The reference's PNG quantisation of one value: clamp to [0,1], then {@code floor(x*255+0.5)}.
     */
    public static int quantise8(float value, int index) {
        if (Float.isNaN(value)) {
            throw new IllegalArgumentException("NaN at flat index " + index
                    + "; fill or mask invalid cells before image metrics");
        }
        float clamped = Math.min(1f, Math.max(0f, value));
        return (int) (clamped * 255f + 0.5f);
    }

    /**
     * Mean SSIM of two 8-bit grey images (row-major, values 0..255).
     *
     * @throws IllegalArgumentException if either side is smaller than the 11-pixel window, as skimage
     */
    public static double ofGray8(int[] a, int[] b, int height, int width) {
        if (a.length != height * width || b.length != height * width) {
            throw new IllegalArgumentException("grey images have " + a.length + " and " + b.length
                    + " pixels, expected " + height + "x" + width);
        }
        if (height < WINDOW || width < WINDOW) {
            throw new IllegalArgumentException("SSIM window " + WINDOW + " exceeds image extent "
                    + height + "x" + width);
        }
        int n = height * width;
        double[] x = new double[n];
        double[] y = new double[n];
        double[] xx = new double[n];
        double[] yy = new double[n];
        double[] xy = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = a[i];
            y[i] = b[i];
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        double[] ux = gaussianFilter(x, height, width);
        double[] uy = gaussianFilter(y, height, width);
        double[] uxx = gaussianFilter(xx, height, width);
        double[] uyy = gaussianFilter(yy, height, width);
        double[] uxy = gaussianFilter(xy, height, width);
        int pad = (WINDOW - 1) / 2;
        double sum = 0;
        for (int r = pad; r < height - pad; r++) {
            for (int c = pad; c < width - pad; c++) {
                int i = r * width + c;
                // Population covariance (use_sample_covariance=False): cov_norm = 1.
                double vx = uxx[i] - ux[i] * ux[i];
                double vy = uyy[i] - uy[i] * uy[i];
                double vxy = uxy[i] - ux[i] * uy[i];
                double num = (2 * ux[i] * uy[i] + C1) * (2 * vxy + C2);
                double den = (ux[i] * ux[i] + uy[i] * uy[i] + C1) * (vx + vy + C2);
                sum += num / den;
            }
        }
        return sum / ((long) (height - 2 * pad) * (width - 2 * pad));
    }

    private static double[] gaussianKernel() {
        double[] k = new double[WINDOW];
        double total = 0;
        for (int j = -RADIUS; j <= RADIUS; j++) {
            k[j + RADIUS] = Math.exp(-0.5 / (SIGMA * SIGMA) * (double) (j * j));
            total += k[j + RADIUS];
        }
        for (int j = 0; j < WINDOW; j++) {
            k[j] /= total;
        }
        return k;
    }

    /** scipy gaussian_filter on a 2-D image: axis 0 (rows) first, then axis 1, mode "reflect". */
    private static double[] gaussianFilter(double[] image, int height, int width) {
        double[] alongRows = new double[image.length];
        double[] line = new double[Math.max(height, width)];
        double[] out = new double[line.length];
        for (int c = 0; c < width; c++) {
            for (int r = 0; r < height; r++) {
                line[r] = image[r * width + c];
            }
            correlateReflect(line, height, out);
            for (int r = 0; r < height; r++) {
                alongRows[r * width + c] = out[r];
            }
        }
        double[] result = new double[image.length];
        for (int r = 0; r < height; r++) {
            System.arraycopy(alongRows, r * width, line, 0, width);
            correlateReflect(line, width, out);
            System.arraycopy(out, 0, result, r * width, width);
        }
        return result;
    }

    /** Symmetric-kernel correlation with scipy's "reflect" border, summed in scipy's order. */
    private static void correlateReflect(double[] in, int n, double[] out) {
        for (int i = 0; i < n; i++) {
            double acc = in[i] * KERNEL[RADIUS];
            for (int j = RADIUS; j >= 1; j--) {
                acc += (in[reflect(i - j, n)] + in[reflect(i + j, n)]) * KERNEL[RADIUS - j];
            }
            out[i] = acc;
        }
    }

    /** Index into a line of length n extended by half-sample symmetric reflection. */
    private static int reflect(int i, int n) {
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }
}
