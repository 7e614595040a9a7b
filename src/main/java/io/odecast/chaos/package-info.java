/**
 * The operator-style reliability harness ({@code odecast chaos}), in the manner of Kafka's
 * {@code streams_eos_test}: a broker and the service run as child JVMs, a driver publishes regular storm
 * streams while the harness kills, stops or starves the processes, and a verifier reads the forecasts back
 * ({@code read_committed}) and accounts for every one against an uninterrupted run computed in process.
 *
 * <p>The pure parts (accounting, expected forecasts, bad records, report and criteria) are plain classes tested
 * without a broker; the child-process orchestration is {@link io.odecast.chaos.ChaosRun}.
 */
package io.odecast.chaos;
