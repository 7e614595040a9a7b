package io.odecast.render;

import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.GridBytes;
import io.odecast.kafka.ProtoTime;
import io.odecast.proto.Forecast;
import io.odecast.proto.GridShape;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Hand-made forecasts on a small 3-channel storm-like grid. */
final class RenderFixtures {
    static final Instant T0 = Instant.parse("1996-01-05T00:00:00Z");
    static final int C = 3;
    static final int H = 4;
    static final int W = 5;

    private RenderFixtures() {
    }

    /** Forecast {@code n}: based on {@code T0 + 6n h}, leads 6 h and 12 h; cell 0 of u invalid in every lead. */
    static Forecast forecast(String stream, int n) {
        Instant based = T0.plus(Duration.ofHours(6L * n));
        Forecast.Builder b = Forecast.newBuilder().setStreamId(stream).setBasedOnTime(ProtoTime.toTimestamp(based))
                .setModelName("vid-ode-storm").setModelVersion("abc123")
                .setIssuedAt(ProtoTime.toTimestamp(Instant.parse("2024-01-01T00:00:00Z")))
                .addAllChannels(List.of("u", "v", "p")).addAllUnits(List.of("m s-1", "m s-1", "hPa"))
                .setShape(GridShape.newBuilder().setChannels(C).setHeight(H).setWidth(W));
        for (int l = 1; l <= 2; l++) {
            float[] data = values(n, l);
            boolean[] valid = new boolean[data.length];
            java.util.Arrays.fill(valid, true);
            valid[0] = false;
            Duration lead = Duration.ofHours(6L * l);
            b.addLeads(Forecast.Lead.newBuilder().setLead(ProtoTime.toDuration(lead))
                    .setValidTime(ProtoTime.toTimestamp(based.plus(lead)))
                    .setData(GridBytes.floatsToBytes(data)).setValidMask(GridBytes.maskToBytes(valid)));
        }
        return b.build();
    }

    /** The values of forecast {@code n}, lead {@code l}: u, v around 0, p around 1000. */
    static float[] values(int n, int l) {
        float[] data = new float[C * H * W];
        for (int i = 0; i < data.length; i++) {
            int c = i / (H * W);
            data[i] = (c == 2 ? 1000f : 0f) + n * 0.5f + l * 0.25f + (i % (H * W)) * 0.125f - 1f;
        }
        return data;
    }

    static List<ForecastMessage> decoded(String stream, int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(n -> ForecastCodec.fromProto(forecast(stream, n)))
                .toList();
    }
}
