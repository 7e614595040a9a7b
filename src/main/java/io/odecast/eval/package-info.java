/**
 * Scores forecasts: masked error metrics, the Vid-ODE reference SSIM and PSNR, simple baselines
 * (persistence, linear in time) and the report files (JSON, markdown, PNG strips) that compare them.
 */
package io.odecast.eval;
