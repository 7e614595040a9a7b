/**
 * Data to Kafka: publishes frames read by {@code io.odecast.data} to the frames topic as {@code Frame} protos,
 * paced like the source (or faster), with optional random dropout so that regular archives become irregular
 * streams.
 */
package io.odecast.publish;
