/**
 * Data sources for odecast: gridded frame sequences read from NetCDF/GRIB files, videos and image folders,
 * a synthetic bouncing-balls generator, per-channel normalisation and the Vid-ODE window samplers.
 */
package io.odecast.data;
