/**
 * Operations: one HTTP server (Pekko HTTP) with Prometheus metrics, liveness and readiness probes, and a live
 * page that shows what the service forecasts, drawn from the output topics and updated by server-sent events.
 */
package io.odecast.ops;
