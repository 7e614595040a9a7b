package io.odecast.data;

import java.io.IOException;
import java.nio.file.Path;

/** A data file that cannot be used: absent, unreadable, or lacking the requested variable. */
public class DataSourceException extends IOException {

    private final Path file;

    /** An error about {@code file}; the message should say what was expected and what was found. */
    public DataSourceException(Path file, String message) {
        super(file + ": " + message);
        this.file = file;
    }

    /** Same, with the underlying cause. */
    public DataSourceException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
