package io.odecast.eval;

import io.odecast.data.GridShape;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pools error sums over many frames, keyed by (lead, channel name). Leads are labels; an integer lead
 * index is stored as its decimal string. Pooled RMSE is the square root of the pooled MSE, not the mean
 * of per-frame RMSEs. Not thread-safe.
 */
public final class MetricAccumulator {

    /**
     * Key of one accumulated cell set.
     *
     * @param lead lead label (for example "3" or "+6h")
     * @param channel channel name
     */
    public record Key(String lead, String channel) {
    }

    private final List<String> channelNames;
    private final GridShape shape;
    private final Map<Key, ErrorSums> sums = new LinkedHashMap<>();

    /**
     * @param shape shape of every frame that will be added
     * @param channelNames one name per channel, in channel order
     */
    public MetricAccumulator(GridShape shape, List<String> channelNames) {
        if (channelNames.size() != shape.channels()) {
            throw new IllegalArgumentException("got " + channelNames.size() + " channel names "
                    + channelNames + " for " + shape.channels() + " channels");
        }
        this.shape = shape;
        this.channelNames = List.copyOf(channelNames);
    }

    /** Adds one predicted frame at the given lead index. */
    public void add(int leadIndex, float[] truth, float[] prediction, boolean[] valid) {
        add(Integer.toString(leadIndex), truth, prediction, valid);
    }

    /** Adds one predicted frame under the given lead label. */
    public void add(String lead, float[] truth, float[] prediction, boolean[] valid) {
        ErrorSums[] perChannel = ErrorMetrics.perChannel(shape, truth, prediction, valid);
        for (int c = 0; c < perChannel.length; c++) {
            sums.merge(new Key(lead, channelNames.get(c)), perChannel[c], ErrorSums::plus);
        }
    }

    /** Sums for one lead and channel; {@link ErrorSums#EMPTY} if nothing was added there. */
    public ErrorSums get(String lead, String channel) {
        return sums.getOrDefault(new Key(lead, channel), ErrorSums.EMPTY);
    }

    /** Sums for one channel pooled over all leads. */
    public ErrorSums channelTotal(String channel) {
        return sums.entrySet().stream()
                .filter(e -> e.getKey().channel().equals(channel))
                .map(Map.Entry::getValue)
                .reduce(ErrorSums.EMPTY, ErrorSums::plus);
    }

    /** Sums pooled over every lead and channel. */
    public ErrorSums total() {
        return sums.values().stream().reduce(ErrorSums.EMPTY, ErrorSums::plus);
    }

    /** Every (lead, channel) entry in the order first added. */
    public Map<Key, ErrorSums> entries() {
        return Collections.unmodifiableMap(sums);
    }

    /** Channel names in channel order. */
    public List<String> channelNames() {
        return channelNames;
    }
}
