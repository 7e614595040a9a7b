package io.odecast.stream;

import io.odecast.model.ModelCard;
import io.odecast.model.VidOdeModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The streams the service accepts: the rules of {@code odecast.streams} with their models loaded and
 * cross-checked at start, so a rule naming a missing model, or a fill model that cannot fill for its forecaster,
 * fails the start with the rule's pattern in the message instead of dead-lettering frames one by one. A model
 * swap ({@link #swap}) resolves every rule again, atomically for the engine thread.
 */
final class StreamCatalog {

    /** What one stream uses: its settings, forecaster and gap filler (the forecaster when no fill model is set). */
    record ResolvedStream(String pattern, StreamSettings settings, VidOdeModel model, VidOdeModel filler) {
    }

    private final StreamRules rules;
    private final ModelRegistry models;
    /** Replaced whole on a model swap, read by the engine thread: a rule's models change between frames only. */
    private volatile List<ResolvedStream> resolved;

    /**
     * @throws IllegalArgumentException naming the rule when a model cannot be loaded or does not fit
     */
    StreamCatalog(StreamRules rules, ModelRegistry models) {
        this.rules = rules;
        this.models = models;
        this.resolved = resolveAll();
    }

    /** Whether some rule uses the model called {@code name}, as forecaster or filler. */
    boolean uses(String name) {
        return rules.rules().stream().anyMatch(r -> r.settings().model().equals(name)
                || r.settings().fillModel().map(name::equals).orElse(false));
    }

    /** The model called {@code name} that serves now. */
    VidOdeModel model(String name) {
        return models.get(name);
    }

    /**
     * Makes {@code next} the model called {@code name} for every rule using it, checked as at start; streams switch
     * at their next frame. Nothing changes when a rule would not accept it.
     *
     * @throws IllegalArgumentException naming the rule that does not accept the new version
     */
    synchronized void swap(String name, VidOdeModel next) {
        VidOdeModel previous = models.get(name);
        models.replace(name, next);
        try {
            resolved = resolveAll();
        } catch (IllegalArgumentException e) {
            models.replace(name, previous);
            throw e;
        }
    }

    private List<ResolvedStream> resolveAll() {
        List<ResolvedStream> out = new ArrayList<>();
        for (StreamRules.Rule rule : rules.rules()) {
            StreamSettings s = rule.settings();
            String where = "odecast.streams rule \"" + rule.pattern() + "\"";
            VidOdeModel model;
            VidOdeModel filler;
            try {
                model = models.get(s.model());
                filler = s.fillModel().isPresent() ? models.get(s.fillModel().get()) : model;
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
            if (!ModelCard.EXTRAPOLATE.equals(model.card().task())) {
                throw new IllegalArgumentException(where + ": model " + s.model() + " is a " + model.card().task()
                        + " model; a stream's model must be a forecaster (task extrapolate)");
            }
            if (filler != model && !ModelCard.INTERPOLATE.equals(filler.card().task())) {
                throw new IllegalArgumentException(where + ": fill-model " + s.fillModel().orElseThrow() + " is a "
                        + filler.card().task() + " model; a fill-model must be an interpolator");
            }
            if (filler.config().channels() != model.config().channels()
                    || filler.config().height() != model.config().height()
                    || filler.config().width() != model.config().width()
                    || !filler.card().channels().equals(model.card().channels())) {
                throw new IllegalArgumentException(where + ": fill-model " + s.fillModel().orElseThrow() + " has "
                        + filler.card().channels() + " " + shape(filler) + " but model " + s.model() + " has "
                        + model.card().channels() + " " + shape(model) + "; they must match");
            }
            out.add(new ResolvedStream(rule.pattern(), s, model, filler));
        }
        return List.copyOf(out);
    }

    /** Whether any rule gives its streams high priority. */
    boolean hasHighPriority() {
        return resolved.stream().anyMatch(r -> r.settings().priority() == StreamSettings.Priority.HIGH);
    }

    /** The stream's resolved settings, or empty when no rule matches it. */
    Optional<ResolvedStream> resolve(String streamId) {
        int i = rules.indexFor(streamId);
        return i < 0 ? Optional.empty() : Optional.of(resolved.get(i));
    }

    /** The resolved settings of a rule. */
    ResolvedStream resolved(StreamRules.Rule rule) {
        return resolved.get(rules.rules().indexOf(rule));
    }

    private static String shape(VidOdeModel m) {
        return m.config().channels() + "x" + m.config().height() + "x" + m.config().width();
    }
}
