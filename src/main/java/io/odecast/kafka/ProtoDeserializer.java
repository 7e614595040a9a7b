package io.odecast.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka deserializer for topics odecast writes itself (forecasts, state, models), where a parse failure is a
 * bug, not bad input. A null value (tombstone) is returned as null.
 */
public final class ProtoDeserializer<T extends MessageLite> implements Deserializer<T> {
    private final Parser<T> parser;

    /** For example {@code new ProtoDeserializer<>(StateSnapshot.parser())}. */
    public ProtoDeserializer(Parser<T> parser) {
        this.parser = parser;
    }

    @Override
    public T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return parser.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new SerializationException("record of " + bytes.length + " bytes on topic " + topic
                    + " is not the expected protobuf message: " + e.getMessage(), e);
        }
    }
}
