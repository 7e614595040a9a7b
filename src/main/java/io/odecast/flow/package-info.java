/**
 * Dense optical flow between two gridded frames (OpenCV's Farneback through JavaCV) and bilinear sampling of a
 * plane. Depends only on {@code io.odecast.data}: the flow baselines ({@code io.odecast.eval}), the model's
 * motion prior ({@code io.odecast.model}) and flow supervision in training all use it without depending on one
 * another.
 */
package io.odecast.flow;
