package io.odecast.chaos;

import io.odecast.kafka.ForecastMessage;
import io.odecast.proto.Forecast;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The verifier's accounting of the forecasts read back from the topic against the forecasts of an uninterrupted
 * run: which are lost, which repeated (and whether the repeats are flagged REPLAYED and equal to the first copy),
 * which were never expected, and which differ from the uninterrupted run.
 *
 * <p>Copies of one key are judged in the order given, which must be the topic's order (one key always lands in
 * one partition, so offset order within partitions suffices): the first copy is the original, every later copy a
 * duplicate that at-least-once delivery must flag {@link Forecast.Flag#REPLAYED}. Content means everything but
 * {@code issued_at} and the flags: model name and version, channels, shape, and per lead the lead time, valid
 * time, mask and data; data agree when every value is within {@code tolerance} relative to {@code 1 + |value|}.
 */
public final class ForecastAccounting {
    /** How many keys of each kind the result lists as examples. */
    static final int EXAMPLES = 10;

    private ForecastAccounting() {
    }

    /**
     * The result of the accounting.
     *
     * @param expected               forecasts of the uninterrupted run (one per published frame)
     * @param received               forecast records read back
     * @param distinct               distinct keys among them
     * @param lost                   expected keys with no forecast
     * @param duplicated             keys with more than one forecast
     * @param extraCopies            records beyond the first of their key ({@code received - distinct})
     * @param markedDuplicates       extra copies flagged REPLAYED
     * @param unmarkedDuplicates     extra copies not flagged REPLAYED
     * @param differingCopies        extra copies whose content differs from their key's first copy
     * @param compared               expected keys read back, hence compared with the uninterrupted run
     * @param differingFromReference expected keys with a copy whose content differs from the uninterrupted run
     * @param unexpected             distinct keys that the uninterrupted run does not have
     * @param maxRelDiffReference    the largest relative difference of any copy from the uninterrupted run
     *                               (infinite for a structural mismatch; 0 when nothing was compared)
     * @param maxRelDiffCopies       the largest relative difference of an extra copy from its first copy
     * @param lostByStream           lost forecasts per stream, streams with none left out
     * @param examples               up to {@value #EXAMPLES} keys per kind: lost, unmarked, differing-copy,
     *                               differing-reference, unexpected
     */
    public record Accounting(int expected, int received, int distinct, int lost, int duplicated, int extraCopies,
                             int markedDuplicates, int unmarkedDuplicates, int differingCopies, int compared,
                             int differingFromReference, int unexpected, double maxRelDiffReference,
                             double maxRelDiffCopies, Map<String, Integer> lostByStream,
                             Map<String, List<ForecastKey>> examples) {
        public Accounting {
            lostByStream = Map.copyOf(lostByStream);
            Map<String, List<ForecastKey>> copy = new LinkedHashMap<>();
            examples.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            examples = java.util.Collections.unmodifiableMap(copy);
        }
    }

    /**
     * Accounts for {@code received} (in topic order) against {@code expected}.
     *
     * @param tolerance largest accepted relative difference of data values (1e-4 in the harness)
     */
    public static Accounting account(List<ForecastMessage> received, Map<ForecastKey, ExpectedForecast> expected,
                                     double tolerance) {
        Map<ForecastKey, List<ForecastMessage>> byKey = new TreeMap<>();
        for (ForecastMessage f : received) {
            byKey.computeIfAbsent(ForecastKey.of(f), k -> new ArrayList<>()).add(f);
        }
        Map<String, List<ForecastKey>> examples = new LinkedHashMap<>();
        for (String kind : List.of("lost", "unmarked", "differing-copy", "differing-reference", "unexpected")) {
            examples.put(kind, new ArrayList<>());
        }
        int lost = 0;
        Map<String, Integer> lostByStream = new TreeMap<>();
        for (ForecastKey key : expected.keySet()) {
            if (!byKey.containsKey(key)) {
                lost++;
                lostByStream.merge(key.streamId(), 1, Integer::sum);
                example(examples, "lost", key);
            }
        }
        int duplicated = 0;
        int marked = 0;
        int unmarked = 0;
        int differingCopies = 0;
        int differingReference = 0;
        int unexpected = 0;
        int compared = 0;
        double maxReference = 0;
        double maxCopies = 0;
        for (Map.Entry<ForecastKey, List<ForecastMessage>> e : byKey.entrySet()) {
            ForecastKey key = e.getKey();
            List<ForecastMessage> copies = e.getValue();
            if (copies.size() > 1) {
                duplicated++;
            }
            ForecastMessage first = copies.get(0);
            for (int i = 1; i < copies.size(); i++) {
                ForecastMessage copy = copies.get(i);
                if (copy.has(Forecast.Flag.REPLAYED)) {
                    marked++;
                } else {
                    unmarked++;
                    example(examples, "unmarked", key);
                }
                double d = difference(first, copy);
                maxCopies = Math.max(maxCopies, d);
                if (!(d <= tolerance)) {
                    differingCopies++;
                    example(examples, "differing-copy", key);
                }
            }
            ExpectedForecast reference = expected.get(key);
            if (reference == null) {
                unexpected++;
                example(examples, "unexpected", key);
                continue;
            }
            compared++;
            boolean differs = false;
            for (ForecastMessage copy : copies) {
                double d = difference(reference, copy);
                maxReference = Math.max(maxReference, d);
                differs |= !(d <= tolerance);
            }
            if (differs) {
                differingReference++;
                example(examples, "differing-reference", key);
            }
        }
        return new Accounting(expected.size(), received.size(), byKey.size(), lost, duplicated,
                received.size() - byKey.size(), marked, unmarked, differingCopies, compared, differingReference,
                unexpected,
                maxReference, maxCopies, lostByStream, examples);
    }

    private static void example(Map<String, List<ForecastKey>> examples, String kind, ForecastKey key) {
        List<ForecastKey> list = examples.get(kind);
        if (list.size() < EXAMPLES && !list.contains(key)) {
            list.add(key);
        }
    }

    /**
     * How far two copies of a forecast differ in content (issued_at and flags ignored): the largest relative
     * difference of their data, or infinity when anything else differs.
     */
    public static double difference(ForecastMessage a, ForecastMessage b) {
        if (!a.modelName().equals(b.modelName()) || !a.modelVersion().equals(b.modelVersion())
                || !a.channels().equals(b.channels()) || !a.shape().equals(b.shape())
                || !a.basedOnTime().equals(b.basedOnTime()) || a.leads().size() != b.leads().size()) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int k = 0; k < a.leads().size(); k++) {
            ForecastMessage.Lead x = a.leads().get(k);
            ForecastMessage.Lead y = b.leads().get(k);
            if (!x.lead().equals(y.lead()) || !x.validTime().equals(y.validTime())
                    || !Arrays.equals(x.valid(), y.valid())) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, relDiff(x.data(), y.data()));
        }
        return worst;
    }

    /**
     * How far a forecast differs from the uninterrupted run's: the largest relative difference of the data, or
     * infinity when the model version, the lead count, a valid time or a mask differs.
     */
    public static double difference(ExpectedForecast expected, ForecastMessage actual) {
        if (!expected.modelVersion().equals(actual.modelVersion())
                || expected.leads().length != actual.leads().size()) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int k = 0; k < expected.leads().length; k++) {
            ForecastMessage.Lead lead = actual.leads().get(k);
            if (!expected.validTimes().get(k).equals(lead.validTime())
                    || !Arrays.equals(expected.mask(lead.data().length), lead.valid())) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, relDiff(expected.leads()[k], lead.data()));
        }
        return worst;
    }

    /**
     * The largest {@code |e - a| / (1 + |e|)} (pressure near 1000 hPa has a float32 spacing of 6e-5, so agreement
     * is judged relative to the value's size); identical values (NaN included) differ by 0, a non-finite value
     * against another value by infinity, arrays of different lengths by infinity.
     */
    public static double relDiff(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            return Double.POSITIVE_INFINITY;
        }
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            if (Float.compare(e, a) == 0) {
                continue;
            }
            if (!Float.isFinite(e) || !Float.isFinite(a)) {
                return Double.POSITIVE_INFINITY;
            }
            worst = Math.max(worst, Math.abs((double) e - a) / (1 + Math.abs((double) e)));
        }
        return worst;
    }
}
