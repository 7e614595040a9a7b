package io.odecast.kafka;

import io.odecast.proto.DeadLetter;

/** Why an input record was sent to the dead-letter topic; mirrors {@code DeadLetter.Reason} in the proto. */
public enum DeadLetterReason {
    /** The value is not a parsable message or lacks a required field. */
    MALFORMED(DeadLetter.Reason.MALFORMED),
    /** Data or mask length does not match the declared shape, or the shape is not the stream's. */
    WRONG_SHAPE(DeadLetter.Reason.WRONG_SHAPE),
    /** No cell is both valid and finite. */
    ALL_INVALID(DeadLetter.Reason.ALL_INVALID),
    /** Event time not after the stream's last one. */
    OUT_OF_ORDER(DeadLetter.Reason.OUT_OF_ORDER),
    /** The stream is not configured and unknown streams are not accepted. */
    UNKNOWN_STREAM(DeadLetter.Reason.UNKNOWN_STREAM),
    /** The service failed on this record. */
    INTERNAL(DeadLetter.Reason.INTERNAL),
    /** Event time further ahead of the record's timestamp than the allowed clock skew. */
    FUTURE_TIME(DeadLetter.Reason.FUTURE_TIME),
    /** Values far outside the model's normalisation. */
    OUT_OF_RANGE(DeadLetter.Reason.OUT_OF_RANGE),
    /** The record key is not the frame's stream id. */
    KEY_MISMATCH(DeadLetter.Reason.KEY_MISMATCH),
    /** Channel names or units do not match the model's card. */
    WRONG_CHANNELS(DeadLetter.Reason.WRONG_CHANNELS);

    private final DeadLetter.Reason proto;

    DeadLetterReason(DeadLetter.Reason proto) {
        this.proto = proto;
    }

    /** The wire value. */
    public DeadLetter.Reason toProto() {
        return proto;
    }

    /** The Java value of a wire reason; unknown or unset wire values map to {@link #INTERNAL}. */
    public static DeadLetterReason fromProto(DeadLetter.Reason reason) {
        for (DeadLetterReason r : values()) {
            if (r.proto == reason) {
                return r;
            }
        }
        return INTERNAL;
    }
}
