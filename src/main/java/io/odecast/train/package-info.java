/**
 * Offline training of Vid-ODE models: window sampling for the two tasks, the reference losses (masked L1
 * reconstruction and difference, LSGAN image and sequence critics), Adamax with per-epoch decay, checkpoints
 * with resume, and a progress line.
 */
package io.odecast.train;
