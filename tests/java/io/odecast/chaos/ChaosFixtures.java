package io.odecast.chaos;

import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.GridBytes;
import io.odecast.kafka.ProtoTime;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import io.odecast.proto.Forecast;
import io.odecast.proto.GridShape;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Hand-made forecasts and a small random model for the chaos tests; no broker. */
final class ChaosFixtures {
    static final Instant T0 = Instant.parse("1996-01-05T00:00:00Z");
    static final String VERSION = "v1";
    static final int CELLS = 6;

    private ChaosFixtures() {
    }

    static Instant at(int step) {
        return T0.plus(Duration.ofHours(6L * step));
    }

    /** The data of lead k of the forecast of {@code stream} at step {@code i}: distinct, pressure-like values. */
    static float[] data(String stream, int i, int k) {
        float[] d = new float[CELLS];
        for (int c = 0; c < CELLS; c++) {
            d[c] = 1000f + stream.hashCode() % 7 + i * 0.5f + k * 0.25f + c;
        }
        return d;
    }

    static ExpectedForecast expected(String stream, int i) {
        List<Instant> times = new ArrayList<>();
        float[][] leads = new float[2][];
        for (int k = 0; k < 2; k++) {
            times.add(at(i + k + 1));
            leads[k] = data(stream, i, k);
        }
        return new ExpectedForecast(new ForecastKey(stream, at(i)), VERSION, times, leads, null);
    }

    /** The forecast the service would write for {@code stream} at step {@code i}, with the given flags. */
    static ForecastMessage forecast(String stream, int i, Forecast.Flag... flags) {
        return ForecastCodec.fromProto(proto(stream, i, flags));
    }

    /** The wire form of {@link #forecast}. */
    static Forecast proto(String stream, int i, Forecast.Flag... flags) {
        Forecast.Builder b = Forecast.newBuilder()
                .setStreamId(stream)
                .setBasedOnTime(ProtoTime.toTimestamp(at(i)))
                .setModelName("storm-forecast")
                .setModelVersion(VERSION)
                .setIssuedAt(ProtoTime.toTimestamp(Instant.now()))
                .addAllChannels(List.of("u", "v", "p"))
                .setShape(GridShape.newBuilder().setChannels(3).setHeight(1).setWidth(2));
        for (int k = 0; k < 2; k++) {
            b.addLeads(Forecast.Lead.newBuilder()
                    .setLead(ProtoTime.toDuration(Duration.ofHours(6L * (k + 1))))
                    .setValidTime(ProtoTime.toTimestamp(at(i + k + 1)))
                    .setData(GridBytes.floatsToBytes(data(stream, i, k))));
        }
        for (Forecast.Flag f : flags) {
            b.addFlags(f);
        }
        return b.build();
    }

    /** {@code f} with lead 0's cell 0 changed by {@code delta}. */
    static ForecastMessage perturbed(ForecastMessage f, float delta) {
        Forecast p = ForecastCodec.toProto(f);
        float[] d = GridBytes.bytesToFloats(p.getLeads(0).getData());
        d[0] += delta;
        return ForecastCodec.fromProto(p.toBuilder().setLeads(0, p.getLeads(0).toBuilder()
                .setData(GridBytes.floatsToBytes(d))).build());
    }

    /** 3 x 12 x 12, initDim 4, one down-sampling, storm time unit: fast enough for unit tests. */
    static VidOdeModel model() {
        ModelCard card = new ModelCard("storm", ModelCard.EXTRAPOLATE, List.of("u", "v", "p"),
                new float[] {0f, 0f, 1000f}, new float[] {5f, 5f, 10f}, null, "PT6H", 0.1, null, null);
        return new VidOdeModel(new VidOdeNetwork(ModelConfig.of(3, 12, 12, 4, 1), 7), card);
    }
}
