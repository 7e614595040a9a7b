package io.odecast.kafka;

import java.util.Optional;

/** An input frame that cannot be accepted; carries the dead-letter reason and, when readable, the stream id. */
public final class FrameDecodeException extends Exception {
    private final DeadLetterReason reason;
    private final String streamId;

    public FrameDecodeException(DeadLetterReason reason, String message) {
        this(reason, message, null);
    }

    public FrameDecodeException(DeadLetterReason reason, String message, String streamId) {
        super(message);
        this.reason = reason;
        this.streamId = streamId == null || streamId.isEmpty() ? null : streamId;
    }

    public DeadLetterReason reason() {
        return reason;
    }

    /** The stream the frame claimed to belong to, if it could be read. */
    public Optional<String> streamId() {
        return Optional.ofNullable(streamId);
    }
}
