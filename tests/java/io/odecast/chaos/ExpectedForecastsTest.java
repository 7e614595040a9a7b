package io.odecast.chaos;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.kafka.FrameMessage;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.ForecastGrid;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ExpectedForecastsTest {
    private static final Duration STEP = Duration.ofHours(6);
    private static VidOdeModel model;

    @BeforeAll
    static void load() {
        model = ChaosFixtures.model();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static FrameMessage frame(String id, Instant t, Random rng, boolean holes) {
        float[] data = new float[3 * 12 * 12];
        for (int i = 0; i < data.length; i++) {
            int c = i / 144;
            data[i] = (c == 2 ? 1000f : 0f) + (c == 2 ? 10f : 5f) * (float) rng.nextGaussian();
        }
        if (holes) {
            data[5] = Float.NaN;
        }
        return FrameMessage.of(id, t, List.of("u", "v", "p"), new io.odecast.data.GridShape(3, 12, 12), data);
    }

    /** As StreamFixtures does it: one stream alone, advance frame by frame, forecast after each. */
    private static List<float[][]> alone(List<FrameMessage> frames) {
        List<float[][]> out = new ArrayList<>();
        StreamState s = model.emptyState();
        for (FrameMessage f : frames) {
            s = model.advance(List.of(s), List.of(ExpectedForecasts.observation(model.card(), f))).get(0);
            double[] t = ForecastGrid.after(f.eventTime(), STEP, 4).stream().mapToDouble(model.card()::modelTime)
                    .toArray();
            out.add(model.forecast(List.of(s), new double[][] {t}).get(0));
        }
        return out;
    }

    @Test
    void batchedStreamsGetTheForecastsTheyGetAlone() {
        Random rng = new Random(3);
        Map<String, List<FrameMessage>> streams = new LinkedHashMap<>();
        for (int k = 0; k < 3; k++) {
            String id = ChaosStreams.streamId(k);
            List<FrameMessage> frames = new ArrayList<>();
            // Stream 2 is shorter and its second frame has an invalid cell.
            int n = k == 2 ? 3 : 5;
            for (int i = 0; i < n; i++) {
                frames.add(frame(id, ChaosStreams.START.plus(STEP.multipliedBy(i)), rng, k == 2 && i == 1));
            }
            streams.put(id, frames);
        }
        Map<ForecastKey, ExpectedForecast> expected = ExpectedForecasts.compute(model, streams, STEP, 4);
        assertEquals(13, expected.size());
        for (var e : streams.entrySet()) {
            List<float[][]> reference = alone(e.getValue());
            for (int i = 0; i < e.getValue().size(); i++) {
                FrameMessage f = e.getValue().get(i);
                ExpectedForecast x = expected.get(new ForecastKey(e.getKey(), f.eventTime()));
                assertEquals(model.version(), x.modelVersion());
                assertEquals(ForecastGrid.after(f.eventTime(), STEP, 4), x.validTimes());
                for (int k = 0; k < 4; k++) {
                    double d = ForecastAccounting.relDiff(reference.get(i)[k], x.leads()[k]);
                    assertTrue(d < 1e-5, e.getKey() + " frame " + i + " lead " + k + " differs by " + d);
                }
                boolean holes = e.getKey().equals(ChaosStreams.streamId(2)) && i == 1;
                assertEquals(holes, x.valid() != null, "mask only for the frame with an invalid cell");
                if (holes) {
                    assertArrayEquals(f.valid(), x.valid());
                }
            }
        }
    }

    @Test
    void anObservationCarriesItsMaskOnlyWhenACellIsInvalid() {
        Random rng = new Random(1);
        FrameMessage full = frame("s", ChaosStreams.START, rng, false);
        FrameMessage holed = frame("s", ChaosStreams.START, rng, true);
        Observation a = ExpectedForecasts.observation(model.card(), full);
        Observation b = ExpectedForecasts.observation(model.card(), holed);
        assertEquals(null, a.valid());
        assertEquals(false, b.valid()[5]);
        assertEquals(model.card().modelTime(ChaosStreams.START), a.time());
    }
}
