package io.odecast.kafka;

/** The odecast topics could not be created, or an existing one is configured in a way odecast cannot use. */
public final class TopicSetupException extends RuntimeException {
    public TopicSetupException(String message) {
        super(message);
    }

    public TopicSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
