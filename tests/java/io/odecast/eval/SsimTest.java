package io.odecast.eval;

import io.odecast.data.GridShape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SsimTest {

    private static final int H = 16;
    private static final int W = 20;

    /** A fixed 16x20 grey pattern with edges in both directions. */
    private static int[] pattern() {
        int[] a = new int[H * W];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                a[y * W + x] = (37 * x + 11 * y + (x * y) % 17 * 3) % 256;
            }
        }
        return a;
    }

    /** The pattern rolled left by {@code shift} columns plus LCG noise in [-amp, amp], clipped. */
    private static int[] noisyShift(int[] a, int amp, int shift) {
        long s = 42;
        int[] b = new int[a.length];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                s = (s * 1103515245L + 12345L) % (1L << 31);
                int n = (int) ((s >> 16) % (2 * amp + 1)) - amp;
                b[y * W + x] = Math.min(255, Math.max(0, a[y * W + (x + shift) % W] + n));
            }
        }
        return b;
    }

    /**
     * Slow, direct SSIM: each pixel's weighted statistics over an explicit 11x11 window of the
     * reflect-extended image, with 2-D weights g(i) g(j) / (sum g)^2.
     */
    private static double directSsim(int[] a, int[] b, int h, int w) {
        double[] g = new double[11];
        double gs = 0;
        for (int k = -5; k <= 5; k++) {
            g[k + 5] = Math.exp(-k * k / (2 * 1.5 * 1.5));
            gs += g[k + 5];
        }
        double c1 = Math.pow(0.01 * 255, 2);
        double c2 = Math.pow(0.03 * 255, 2);
        double total = 0;
        int n = 0;
        for (int y = 5; y < h - 5; y++) {
            for (int x = 5; x < w - 5; x++) {
                double mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
                for (int dy = -5; dy <= 5; dy++) {
                    for (int dx = -5; dx <= 5; dx++) {
                        double wt = g[dy + 5] * g[dx + 5] / (gs * gs);
                        int yy = mirror(y + dy, h);
                        int xx = mirror(x + dx, w);
                        double p = a[yy * w + xx];
                        double q = b[yy * w + xx];
                        mx += wt * p;
                        my += wt * q;
                        mxx += wt * p * p;
                        myy += wt * q * q;
                        mxy += wt * p * q;
                    }
                }
                double vx = mxx - mx * mx;
                double vy = myy - my * my;
                double vxy = mxy - mx * my;
                total += (2 * mx * my + c1) * (2 * vxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                n++;
            }
        }
        return total / n;
    }

    /** (d c b a | a b c d | d c b a); never reached inside the crop, kept for a faithful definition. */
    private static int mirror(int i, int n) {
        if (i < 0) {
            return -i - 1;
        }
        return i >= n ? 2 * n - 1 - i : i;
    }

    @Test
    void identicalFramesScoreExactlyOne() {
        GridShape shape = new GridShape(1, H, W);
        float[] frame = new float[shape.size()];
        int[] p = pattern();
        for (int i = 0; i < frame.length; i++) {
            frame[i] = p[i] / 255f;
        }
        assertEquals(1.0, Ssim.ofFrames(shape, frame, frame.clone()));
    }

    @Test
    void constantImagesMatchClosedForm() {
        int[] a = new int[12 * 12];
        int[] b = new int[12 * 12];
        Arrays.fill(a, 50);
        Arrays.fill(b, 200);
        double c1 = Math.pow(0.01 * 255, 2);
        double expected = (2.0 * 50 * 200 + c1) / (50.0 * 50 + 200.0 * 200 + c1);
        assertEquals(expected, Ssim.ofGray8(a, b, 12, 12), 1e-12);
    }

    @Test
    void shiftedNoisyCopyMatchesDirectComputation() {
        int[] a = pattern();
        int[] b = noisyShift(a, 10, 1);
        assertEquals(directSsim(a, b, H, W), Ssim.ofGray8(a, b, H, W), 1e-12);
    }

    @Test
    void shiftedNoisyCopyMatchesScipyGaussianFilterValue() {
        // Computed with numpy 2.4 / scipy 1.17 gaussian_filter(sigma=1.5, truncate=3.5, mode reflect)
        // and skimage's SSIM formula; skimage itself was not installed here.
        int[] a = pattern();
        assertEquals(0.34710279632790136, Ssim.ofGray8(a, noisyShift(a, 10, 1), H, W), 1e-12);
    }

    @Test
    void ssimDropsAsNoiseGrows() {
        int[] a = pattern();
        double[] expected = {1.0, 0.9988936349839113, 0.9878531760520037, 0.8763839815425466,
            0.7326047374900118};
        int[] amps = {0, 5, 20, 60, 120};
        double previous = Double.POSITIVE_INFINITY;
        for (int k = 0; k < amps.length; k++) {
            double s = Ssim.ofGray8(a, noisyShift(a, amps[k], 0), H, W);
            assertEquals(expected[k], s, 1e-12);
            assertTrue(s < previous || k == 0);
            previous = s;
        }
    }

    @Test
    void rgbConvertsWithPillowLumaRounding() {
        GridShape shape = new GridShape(3, 1, 2);
        // Pixel 0: (10, 200, 30) -> 123.81 rounds to 124. Pixel 1: (255, 0, 0) -> 76.245 -> 76.
        float[] rgb = {10 / 255f, 1f, 200 / 255f, 0f, 30 / 255f, 0f};
        assertEquals(124, Ssim.toGray8(shape, rgb)[0]);
        assertEquals(76, Ssim.toGray8(shape, rgb)[1]);
    }

    @Test
    void greyQuantisationClampsAndRoundsHalfUp() {
        GridShape shape = new GridShape(1, 1, 4);
        int[] grey = Ssim.toGray8(shape, new float[] {-0.2f, 1.7f, 0.5f, 0.2f});
        assertEquals(0, grey[0]);
        assertEquals(255, grey[1]);
        assertEquals(128, grey[2]);
        assertEquals(51, grey[3]);
    }

    @Test
    void imagesSmallerThanTheWindowAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Ssim.ofGray8(new int[100], new int[100], 10, 10));
    }
}
