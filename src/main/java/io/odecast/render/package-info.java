/**
 * Forecasts to files: collects forecasts (and regular frames) from Kafka and writes CF-1.8 netCDF, a PNG per
 * forecast lead and an animated GIF per stream.
 */
package io.odecast.render;
