package io.odecast.chaos;

import io.odecast.kafka.FrameMessage;
import io.odecast.model.ModelCard;
import io.odecast.model.Observation;
import io.odecast.model.StreamState;
import io.odecast.model.VidOdeModel;
import io.odecast.stream.Blending;
import io.odecast.stream.ForecastGrid;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The forecasts of an uninterrupted run, computed in process with the model alone: per stream, the state is
 * advanced frame by frame from the empty state and, after each frame, forecast at the first {@code leads} grid
 * times ({@link ForecastGrid#after}) strictly after the frame's event time, as the service does. A frame's
 * observation carries its validity mask only when some cell is invalid, as in the service.
 *
 * <p>Streams are advanced together, one batch per frame index: inference is batch-independent (BatchNorm on
 * running statistics, fixed-step solvers), so a stream's forecasts are those it would get alone.
 */
public final class ExpectedForecasts {
    private ExpectedForecasts() {
    }

    /**
     * Every expected forecast, by key.
     *
     * @param model   the model the service runs
     * @param streams each stream's frames in event-time order, as the service decodes them
     * @param step    forecast grid step
     * @param leads   grid times per forecast (horizon / step)
     */
    public static Map<ForecastKey, ExpectedForecast> compute(VidOdeModel model, Map<String, List<FrameMessage>> streams,
                                                             Duration step, int leads) {
        if (leads < 1) {
            throw new IllegalArgumentException("leads must be >= 1, got " + leads);
        }
        ModelCard card = model.card();
        List<String> ids = new ArrayList<>(streams.keySet());
        List<StreamState> states = new ArrayList<>();
        int longest = 0;
        for (String id : ids) {
            states.add(model.emptyState());
            longest = Math.max(longest, streams.get(id).size());
        }
        Map<ForecastKey, ExpectedForecast> out = new TreeMap<>();
        for (int i = 0; i < longest; i++) {
            List<Integer> active = new ArrayList<>();
            List<StreamState> before = new ArrayList<>();
            List<Observation> observations = new ArrayList<>();
            for (int s = 0; s < ids.size(); s++) {
                List<FrameMessage> frames = streams.get(ids.get(s));
                if (i < frames.size()) {
                    active.add(s);
                    before.add(states.get(s));
                    observations.add(observation(card, frames.get(i)));
                }
            }
            List<StreamState> after = model.advance(before, observations);
            double[][] times = new double[active.size()][];
            List<List<Instant>> grids = new ArrayList<>();
            for (int b = 0; b < active.size(); b++) {
                int s = active.get(b);
                states.set(s, after.get(b));
                List<Instant> grid = ForecastGrid.after(streams.get(ids.get(s)).get(i).eventTime(), step, leads);
                grids.add(grid);
                times[b] = grid.stream().mapToDouble(card::modelTime).toArray();
            }
            List<float[][]> forecasts = model.forecast(after, times);
            for (int b = 0; b < active.size(); b++) {
                String id = ids.get(active.get(b));
                FrameMessage frame = streams.get(id).get(i);
                boolean[] valid = after.get(b).lastValid();
                ForecastKey key = new ForecastKey(id, frame.eventTime());
                Observation previous = i == 0 ? null : observation(card, streams.get(id).get(i - 1));
                float[][] blended = Blending.forecast(model, previous, observations.get(b), times[b], forecasts.get(b));
                out.put(key, new ExpectedForecast(key, model.version(), grids.get(b), blended, valid));
            }
        }
        return out;
    }

    /** The observation the service makes of a frame: the mask only when some cell is invalid. */
    static Observation observation(ModelCard card, FrameMessage frame) {
        return new Observation(card.modelTime(frame.eventTime()), frame.data(), frame.frame().maskOrNull());
    }
}
