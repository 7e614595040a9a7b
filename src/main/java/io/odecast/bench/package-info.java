/**
 * Benchmarks that print figures: the model's per-arrival and per-forecast cost against the PyTorch eager peer
 * timed in the same run ({@code odecast bench}).
 */
package io.odecast.bench;
