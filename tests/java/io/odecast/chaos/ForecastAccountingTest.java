package io.odecast.chaos;

import static io.odecast.chaos.ChaosFixtures.expected;
import static io.odecast.chaos.ChaosFixtures.forecast;
import static io.odecast.chaos.ChaosFixtures.perturbed;
import static io.odecast.chaos.ChaosFixtures.proto;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.kafka.ProtoTime;
import io.odecast.proto.Forecast;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ForecastAccountingTest {
    private static final double TOL = 1e-4;

    /** a/0..a/3 and b/0..b/1 are expected. */
    private static Map<ForecastKey, ExpectedForecast> expectedSix() {
        Map<ForecastKey, ExpectedForecast> m = new TreeMap<>();
        for (int i = 0; i < 4; i++) {
            m.put(expected("a", i).key(), expected("a", i));
        }
        for (int i = 0; i < 2; i++) {
            m.put(expected("b", i).key(), expected("b", i));
        }
        return m;
    }

    @Test
    void aCleanRunHasNothingToReport() {
        List<ForecastMessage> got = new ArrayList<>();
        expectedSix().keySet().forEach(k -> got.add(forecast(k.streamId(), step(k.basedOn()))));
        ForecastAccounting.Accounting a = ForecastAccounting.account(got, expectedSix(), TOL);
        assertEquals(6, a.expected());
        assertEquals(6, a.received());
        assertEquals(6, a.distinct());
        assertEquals(0, a.lost() + a.duplicated() + a.extraCopies() + a.unmarkedDuplicates() + a.differingCopies()
                + a.differingFromReference() + a.unexpected());
        assertEquals(0.0, a.maxRelDiffReference());
    }

    @Test
    void lostMarkedUnmarkedAndDifferingCopiesAreCountedApart() {
        List<ForecastMessage> got = List.of(
                forecast("a", 0),
                forecast("a", 0, Forecast.Flag.REPLAYED),                       // marked duplicate, equal
                forecast("a", 1),
                forecast("a", 1),                                               // unmarked duplicate, equal
                forecast("a", 2),
                perturbed(forecast("a", 2, Forecast.Flag.REPLAYED), 1f),        // marked, content differs
                forecast("a", 3),
                forecast("b", 0, Forecast.Flag.REPLAYED),                       // a first copy may be flagged
                forecast("c", 0));                                              // never expected
        // b/1 is lost.
        ForecastAccounting.Accounting a = ForecastAccounting.account(got, expectedSix(), TOL);
        assertEquals(6, a.expected());
        assertEquals(9, a.received());
        assertEquals(6, a.distinct());
        assertEquals(1, a.lost());
        assertEquals(Map.of("b", 1), a.lostByStream());
        assertEquals(3, a.duplicated());
        assertEquals(3, a.extraCopies());
        assertEquals(2, a.markedDuplicates());
        assertEquals(1, a.unmarkedDuplicates());
        assertEquals(1, a.differingCopies());
        assertEquals(1, a.differingFromReference(), "a/2's second copy differs from the uninterrupted run");
        assertEquals(5, a.compared());
        assertEquals(1, a.unexpected());
        assertEquals(List.of(new ForecastKey("b", ChaosFixtures.at(1))), a.examples().get("lost"));
        assertEquals(List.of(new ForecastKey("a", ChaosFixtures.at(1))), a.examples().get("unmarked"));
        assertEquals(List.of(new ForecastKey("a", ChaosFixtures.at(2))), a.examples().get("differing-copy"));
        assertEquals(List.of(new ForecastKey("c", ChaosFixtures.at(0))), a.examples().get("unexpected"));
        assertTrue(a.maxRelDiffCopies() > 1e-4);
    }

    @Test
    void aForecastDifferingFromTheUninterruptedRunIsCountedOncePerKey() {
        List<ForecastMessage> got = List.of(forecast("a", 0), forecast("a", 1), perturbed(forecast("a", 2), 0.5f),
                forecast("a", 3), forecast("b", 0), forecast("b", 1));
        ForecastAccounting.Accounting a = ForecastAccounting.account(got, expectedSix(), TOL);
        assertEquals(0, a.lost());
        assertEquals(1, a.differingFromReference());
        assertEquals(0.5 / 1008.0, a.maxRelDiffReference(), 1e-7);
    }

    @Test
    void differencesWithinTheToleranceAndIgnoredFieldsDoNotCount() {
        ForecastMessage original = forecast("a", 0);
        ForecastMessage copy = ForecastCodec.fromProto(ForecastCodec.toProto(
                perturbed(forecast("a", 0, Forecast.Flag.REPLAYED, Forecast.Flag.AFTER_GAP), 0.01f))
                .toBuilder().setIssuedAt(ProtoTime.toTimestamp(Instant.EPOCH)).build());
        double d = ForecastAccounting.difference(original, copy);
        assertTrue(d > 0 && d < 1e-4, "a 0.01 change near 1000 is " + d + " relative");
        Map<ForecastKey, ExpectedForecast> one = Map.of(expected("a", 0).key(), expected("a", 0));
        ForecastAccounting.Accounting a = ForecastAccounting.account(List.of(original, copy), one, TOL);
        assertEquals(0, a.differingCopies());
        assertEquals(0, a.unmarkedDuplicates());
        assertEquals(1, a.markedDuplicates());
        assertEquals(0, a.differingFromReference());
    }

    @Test
    void structuralDifferencesAreInfinitelyFar() {
        Forecast p = proto("a", 0);
        ForecastMessage f = ForecastCodec.fromProto(p);
        Forecast otherVersion = p.toBuilder().setModelVersion("v2").build();
        Forecast otherValidTime = p.toBuilder().setLeads(1, p.getLeads(1).toBuilder()
                .setValidTime(ProtoTime.toTimestamp(ChaosFixtures.at(9)))).build();
        Forecast fewerLeads = p.toBuilder().removeLeads(1).build();
        for (ForecastMessage g : Stream.of(otherVersion, otherValidTime, fewerLeads).map(ForecastCodec::fromProto)
                .toList()) {
            assertEquals(Double.POSITIVE_INFINITY, ForecastAccounting.difference(f, g));
            assertEquals(Double.POSITIVE_INFINITY, ForecastAccounting.difference(expected("a", 0), g));
        }
        assertEquals(0.0, ForecastAccounting.difference(expected("a", 0), f));
    }

    @Test
    void relativeDifferenceHandlesNonFiniteValues() {
        assertEquals(0.0, ForecastAccounting.relDiff(new float[] {Float.NaN, 1f}, new float[] {Float.NaN, 1f}));
        assertEquals(Double.POSITIVE_INFINITY, ForecastAccounting.relDiff(new float[] {1f}, new float[] {Float.NaN}));
        assertEquals(Double.POSITIVE_INFINITY, ForecastAccounting.relDiff(new float[] {1f}, new float[] {1f, 2f}));
        assertEquals(1.0 / 3.0, ForecastAccounting.relDiff(new float[] {2f}, new float[] {3f}), 1e-12);
    }

    private static int step(Instant t) {
        return (int) (java.time.Duration.between(ChaosFixtures.T0, t).toHours() / 6);
    }
}
