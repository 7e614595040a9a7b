/**
 * The Vid-ODE model (ODE-ConvGRU): the network blocks, checkpoints ({@code models/<name>/}) and the batched
 * inference API that the streaming layer calls one arrival at a time. Native memory: parameters live in the
 * model's long-lived manager; every call works in a sub-manager closed before it returns.
 */
package io.odecast.model;
