/**
 * The streaming service: frames from Kafka are decoded and validated, each stream's Vid-ODE state is advanced
 * by a batching decoder actor, and forecasts and gap-filled regular frames go back to Kafka, with offsets
 * committed only after the outputs of a frame are acknowledged (at-least-once).
 */
package io.odecast.stream;
