package io.odecast.models;

import io.odecast.model.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The models store: a folder shared by every instance (a network mount in production) that holds the parameter
 * files of versions too large to go inside their record, as {@code <root>/<name>/<version>/parameters.bin} with
 * the {@code model.json} beside it. Files are written once under their content hash and never changed.
 */
public final class ModelStore {
    private final Path root;

    public ModelStore(Path root) {
        this.root = root;
    }

    /** Copies the checkpoint in {@code dir} into the store; returns the stored parameter file. */
    Path put(String name, String version, Path dir) throws IOException {
        Path target = root.resolve(ModelVersions.safe(name)).resolve(ModelVersions.safe(version));
        Files.createDirectories(target);
        Path parameters = target.resolve(Checkpoint.PARAMETERS);
        Path partial = target.resolve(Checkpoint.PARAMETERS + ".partial");
        // Written beside and moved into place: a reader never sees half a file under the version's name.
        Files.copy(dir.resolve(Checkpoint.PARAMETERS), partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, parameters, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.copy(dir.resolve(Checkpoint.METADATA), target.resolve(Checkpoint.METADATA),
                StandardCopyOption.REPLACE_EXISTING);
        return parameters;
    }
}
