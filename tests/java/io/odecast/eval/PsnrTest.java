package io.odecast.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PsnrTest {

    private static float[] filled(float v) {
        float[] a = new float[64];
        Arrays.fill(a, v);
        return a;
    }

    @Test
    void uniformErrorOfOneTenthIsTwentyDecibels() {
        Psnr psnr = new Psnr(false);
        psnr.add(filled(0.5f), filled(0.6f));
        // 0.6f - 0.5f is 0.1 only to float precision, hence the tolerance.
        assertEquals(20.0, psnr.psnrOfMeanMse(), 1e-5);
        assertEquals(20.0, psnr.meanOfFramePsnr(), 1e-5);
        assertEquals(20.0, Psnr.fromMse(0.01));
    }

    @Test
    void referencePsnrUsesMeanMseWhilePerFrameVariantAveragesDecibels() {
        Psnr psnr = new Psnr(false);
        psnr.add(filled(0.25f), filled(0.375f));  // error 1/8: MSE 1/64, 18.0618 dB
        psnr.add(filled(0.25f), filled(0.5f));    // error 1/4: MSE 1/16, 12.0412 dB
        // mean MSE = (1/64 + 1/16) / 2 = 5/128 -> 10 log10(25.6) = 14.0824 dB
        assertEquals(5.0 / 128, psnr.meanMse(), 0);
        assertEquals(14.082399653118496, psnr.psnrOfMeanMse(), 1e-12);
        // (10 log10 64 + 10 log10 16) / 2 = 10 log10 32 = 15.0515 dB
        assertEquals(15.051499783199061, psnr.meanOfFramePsnr(), 1e-12);
        assertTrue(psnr.meanOfFramePsnr() > psnr.psnrOfMeanMse());
    }

    @Test
    void identicalFramesAreCapped() {
        Psnr psnr = new Psnr(false);
        psnr.add(filled(0.3f), filled(0.3f));
        assertEquals(Psnr.CAP_DB, psnr.meanOfFramePsnr());
        assertEquals(Psnr.CAP_DB, psnr.psnrOfMeanMse());
    }

    @Test
    void valuesAreClampedToUnitRange() {
        assertEquals(0.0, Psnr.frameMse(filled(1f), filled(1.4f), false));
        assertEquals(0.0, Psnr.frameMse(filled(0f), filled(-0.4f), false));
    }

    @Test
    void quantisationRemovesSubLevelDifferences() {
        // 0.5 and 0.501 both write as level 128; 0.5 and 0.504 as 128 and 129.
        assertEquals(0.0, Psnr.frameMse(filled(0.5f), filled(0.501f), true));
        assertEquals(1.0 / (255 * 255), Psnr.frameMse(filled(0.5f), filled(0.504f), true), 1e-18);
    }
}
