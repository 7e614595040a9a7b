/**
 * Model versions on Kafka: a trained checkpoint published as a {@code ModelVersion} on the compacted models topic
 * (key = model name, version = hash of the weights and the card's serving part), a store for parameter files too large to go inline, the
 * checks a version passes before it may serve, and the follower serving instances use to hear of new versions.
 */
package io.odecast.models;
