package io.odecast.ode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar coefficients as NDArrays in the manager of the state they multiply. Plain Java numbers passed to
 * {@code mul(Number)} inside a training graph can be freed before backward on the PyTorch engine, so every
 * coefficient in a solver is an NDArray owned by the same manager as the computation.
 */
final class Scalars {
    private Scalars() {
    }

    static NDArray of(NDArray like, double value) {
        if (like.getDataType() == DataType.FLOAT64) {
            return like.getManager().create(new double[] {value}, new Shape(1));
        }
        return like.getManager().create(new float[] {(float) value}, new Shape(1));
    }

    /** Per-sample coefficients shaped (B, 1, ..., 1) so that they broadcast over a batched state of rank {@code rank}. */
    static NDArray perSample(NDArray like, double[] values, double factor) {
        long[] dims = new long[like.getShape().dimension()];
        java.util.Arrays.fill(dims, 1);
        dims[0] = values.length;
        if (like.getDataType() == DataType.FLOAT64) {
            double[] v = new double[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = values[i] * factor;
            }
            return like.getManager().create(v, new Shape(dims));
        }
        float[] v = new float[values.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (values[i] * factor);
        }
        return like.getManager().create(v, new Shape(dims));
    }
}
