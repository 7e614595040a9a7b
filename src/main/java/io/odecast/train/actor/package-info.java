/**
 * The training actor: records the frames of the streams that use a model into a bounded on-disk training set,
 * fine-tunes a candidate from the serving weights with the {@link io.odecast.train.Trainer} on a schedule or on
 * command, and publishes it as a new model version only when the gate finds it better than the serving version.
 */
package io.odecast.train.actor;
