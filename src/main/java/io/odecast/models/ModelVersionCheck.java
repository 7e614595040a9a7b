package io.odecast.models;

import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.Observation;
import io.odecast.model.VidOdeModel;
import java.util.List;

/**
 * What a new version must share with the one it replaces to serve the same streams: task, channel names (and
 * units where both cards give them), grid shape and a usable normalisation (finite means, finite positive deviations); and it must forecast finite values
 * from a frame of its own means. The hash was checked when it was loaded ({@link ModelVersions#load}).
 */
public final class ModelVersionCheck {
    private ModelVersionCheck() {
    }

    /**
     * @throws IllegalArgumentException saying what differs, naming both versions
     */
    public static void check(String name, VidOdeModel candidate, VidOdeModel serving) {
        String what = "version " + candidate.version() + " of model " + name;
        ModelCard c = candidate.card();
        ModelCard s = serving.card();
        if (!c.task().equals(s.task())) {
            throw new IllegalArgumentException(what + " is a " + c.task() + " model; the serving version "
                    + serving.version() + " is a " + s.task() + " model");
        }
        if (!c.channels().equals(s.channels())) {
            throw new IllegalArgumentException(what + " has channels " + c.channels() + "; the serving version "
                    + serving.version() + " has " + s.channels());
        }
        for (int i = 0; i < c.channels().size(); i++) {
            if (c.knowsUnit(i) && s.knowsUnit(i) && !c.units().get(i).equals(s.units().get(i))) {
                throw new IllegalArgumentException(what + " reads channel " + c.channels().get(i) + " in "
                        + c.units().get(i) + "; the serving version " + serving.version() + " reads it in "
                        + s.units().get(i));
            }
        }
        ModelConfig cc = candidate.config();
        ModelConfig sc = serving.config();
        if (cc.channels() != sc.channels() || cc.height() != sc.height() || cc.width() != sc.width()) {
            throw new IllegalArgumentException(what + " takes " + shape(cc) + " frames; the serving version "
                    + serving.version() + " takes " + shape(sc));
        }
        for (int i = 0; i < c.mean().length; i++) {
            if (!Float.isFinite(c.mean()[i]) || !Float.isFinite(c.std()[i]) || !(c.std()[i] > 0)) {
                throw new IllegalArgumentException(what + ": normalisation of channel " + c.channels().get(i)
                        + " is mean " + c.mean()[i] + " std " + c.std()[i] + "; expected finite values, std > 0");
            }
        }
        float[] data = new float[cc.frameSize()];
        int plane = cc.height() * cc.width();
        for (int i = 0; i < data.length; i++) {
            data[i] = c.mean()[i / plane];
        }
        double step = c.modelDuration(java.time.Duration.parse(c.timeUnit()));
        float[][] out = candidate.advanceAndForecast(List.of(candidate.emptyState()),
                List.of(new Observation(1, data, null)), new double[][] {{1 + step}}).get(0).forecast();
        for (float v : out[0]) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(what + " forecasts non-finite values from a frame of its own"
                        + " means; its weights are unusable");
            }
        }
    }

    private static String shape(ModelConfig c) {
        return c.channels() + "x" + c.height() + "x" + c.width();
    }
}
