package io.odecast.kafka;

import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serializer writing {@link FrameMessage}s as {@code odecast.v1.Frame}, for publishers. Consumers of
 * {@code odecast.frames} should read raw bytes and call {@link FrameCodec#decode} so that a bad record goes
 * to the dead-letter topic instead of failing the consumer.
 */
public final class FrameSerializer implements Serializer<FrameMessage> {
    @Override
    public byte[] serialize(String topic, FrameMessage frame) {
        return frame == null ? null : FrameCodec.encode(frame);
    }
}
