package io.odecast.stream;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * What became of the model versions this instance read from the models topic: which serves per model name, which
 * were refused and why, and how many streams have switched; thread-safe, read at any time.
 */
public final class ModelSwaps {

    /** A version that did not load or did not pass the checks; the previous one kept serving. */
    public record Refusal(String name, String version, String reason) {
    }

    private final Map<String, String> serving = new ConcurrentHashMap<>();
    private final List<Refusal> refused = new CopyOnWriteArrayList<>();
    private final LongAdder streamsSwitched = new LongAdder();
    private final LongAdder versionsApplied = new LongAdder();
    private final LongAdder streamsReencoded = new LongAdder();

    /** The version each model name serves now (streams switch to it at their next frame). */
    public Map<String, String> serving() {
        return Map.copyOf(serving);
    }

    /** Versions refused since start, oldest first. */
    public List<Refusal> refused() {
        return List.copyOf(refused);
    }

    /** Streams switched to a new version (at a frame, or on restore from an older version's snapshot). */
    public long streamsSwitched() {
        return streamsSwitched.sum();
    }

    /**
     * Of {@link #streamsSwitched()}, those whose state was re-encoded from their recent frames; a version that
     * encodes as the old one did (same weights and normalisation, e.g. only its blend changed) keeps the states.
     */
    public long streamsReencoded() {
        return streamsReencoded.sum();
    }

    /** Versions read from the topic that became the serving one. */
    public long versionsApplied() {
        return versionsApplied.sum();
    }

    void serving(String name, String version) {
        serving.put(name, version);
    }

    void applied(String name, String version) {
        serving.put(name, version);
        versionsApplied.increment();
    }

    void refused(String name, String version, String reason) {
        refused.add(new Refusal(name, version, reason));
    }

    void streamSwitched(boolean reencoded) {
        streamsSwitched.increment();
        if (reencoded) {
            streamsReencoded.increment();
        }
    }
}
