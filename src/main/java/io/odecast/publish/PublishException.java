package io.odecast.publish;

/** Publishing stopped: the broker refused or did not acknowledge a frame, or the publisher was interrupted. */
public final class PublishException extends RuntimeException {

    /** An error with its cause; the message names the stream, the frame and the topic. */
    public PublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
