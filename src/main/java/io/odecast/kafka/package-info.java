/**
 * Kafka edge of odecast: protobuf codecs for the wire messages in {@code proto/odecast.proto}, topic names
 * and their creation, dead-letter records, and an in-process KRaft broker for the demo and the tests.
 */
package io.odecast.kafka;
