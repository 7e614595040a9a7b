package io.odecast.stream;

import io.odecast.model.VidOdeModel;
import io.odecast.models.ModelFollower;
import io.odecast.models.ModelVersionCheck;
import io.odecast.models.ModelVersions;
import io.odecast.proto.ModelVersion;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A serving instance's answer to a version on the models topic: a version of a model its rules use is loaded beside
 * the serving one (or taken from the versions it already holds, on a rollback), checked, and made the serving one in
 * the {@link StreamCatalog}; each stream then switches at its next frame. A version that fails to load or to pass the
 * checks changes nothing: the old one keeps serving and the refusal is logged and kept in {@link ModelSwaps}.
 */
final class ModelSwitcher implements ModelFollower.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ModelSwitcher.class);

    private final StreamCatalog catalog;
    private final ModelRegistry registry;
    private final ModelSwaps swaps;
    private final Path workDir;

    ModelSwitcher(StreamCatalog catalog, ModelRegistry registry, ModelSwaps swaps, Path workDir) {
        this.catalog = catalog;
        this.registry = registry;
        this.swaps = swaps;
        this.workDir = workDir;
    }

    @Override
    public ModelFollower.Outcome onVersion(ModelVersion v) {
        String name = v.getName();
        if (!catalog.uses(name)) {
            LOG.debug("Version {} of model {}: no stream rule uses that model", v.getVersion(), name);
            return ModelFollower.Outcome.SERVING;
        }
        VidOdeModel serving = catalog.model(name);
        if (serving.version().equals(v.getVersion())) {
            swaps.serving(name, serving.version());
            return ModelFollower.Outcome.SERVING;
        }
        VidOdeModel next = registry.version(name, v.getVersion());
        boolean loaded = next == null;
        try {
            if (loaded) {
                next = ModelVersions.load(v, workDir);
            }
            ModelVersionCheck.check(name, next, serving);
            catalog.swap(name, next);
        } catch (IOException | RuntimeException e) {
            if (loaded && next != null) {
                next.close();
            }
            boolean unavailable = e instanceof ModelVersions.Unavailable;
            String key = name + "@" + v.getVersion();
            // An unavailable version is tried again every few seconds: said once, then quietly.
            if (!unavailable || unavailableSaid.add(key)) {
                swaps.refused(name, v.getVersion(), e.getMessage());
                LOG.warn("{} version {} of model {}; version {} keeps serving: {}",
                        unavailable ? "Cannot load (yet; trying again)" : "Refused", v.getVersion(), name,
                        serving.version(), e.getMessage());
            }
            return unavailable ? ModelFollower.Outcome.UNAVAILABLE : ModelFollower.Outcome.REFUSED;
        }
        if (loaded) {
            registry.adopt(name, next);
        }
        swaps.applied(name, next.version());
        LOG.info("Model {}: version {} serves now (was {}); streams switch at their next frame", name,
                next.version(), serving.version());
        return ModelFollower.Outcome.SERVING;
    }

    /** Unavailable versions already reported (model@version). */
    private final java.util.Set<String> unavailableSaid = java.util.concurrent.ConcurrentHashMap.newKeySet();
}
