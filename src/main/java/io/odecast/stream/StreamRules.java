package io.odecast.stream;

import com.typesafe.config.Config;
import io.odecast.kafka.StreamPatterns;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Per-stream settings chosen by stream id: the first rule whose pattern matches wins. A pattern is a glob
 * ({@code storm/*}: {@code *} and {@code ?} stay within one {@code /}-separated part, {@code **} crosses them)
 * or, prefixed with {@code regex:}, a Java regular expression matched against the whole id.
 */
public final class StreamRules {

    /** One rule: a pattern and the settings of the streams it matches. */
    public record Rule(String pattern, StreamSettings settings) {
    }

    private final List<Rule> rules;
    private final List<Pattern> compiled;

    public StreamRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        this.compiled = this.rules.stream().map(r -> StreamPatterns.compile(r.pattern())).toList();
    }

    /** Reads {@code streams} (a list of objects with a {@code pattern}) with {@code defaults} filling gaps. */
    static StreamRules fromConfig(List<? extends Config> streams, Config defaults) {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < streams.size(); i++) {
            Config rule = streams.get(i);
            if (!rule.hasPath("pattern")) {
                throw new IllegalArgumentException("odecast.streams[" + i + "] has no pattern; add e.g."
                        + " pattern = \"storm/*\"");
            }
            try {
                rules.add(new Rule(rule.getString("pattern"), StreamSettings.fromConfig(rule, defaults)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("odecast.streams[" + i + "] (pattern " + rule.getString("pattern")
                        + "): " + e.getMessage(), e);
            }
        }
        return new StreamRules(rules);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The settings of the first rule matching {@code streamId}, or empty for an unknown stream. */
    public Optional<StreamSettings> settingsFor(String streamId) {
        int i = indexFor(streamId);
        return i < 0 ? Optional.empty() : Optional.of(rules.get(i).settings());
    }

    /** The index of the first rule matching {@code streamId}, or -1. */
    int indexFor(String streamId) {
        for (int i = 0; i < rules.size(); i++) {
            if (compiled.get(i).matcher(streamId).matches()) {
                return i;
            }
        }
        return -1;
    }

}
