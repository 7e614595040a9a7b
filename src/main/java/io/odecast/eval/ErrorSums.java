package io.odecast.eval;

/**
 * Sums of squared and absolute errors over a number of cells; pooled metrics come from these sums, so
 * adding two {@code ErrorSums} and then taking {@link #rmse()} gives the RMSE over both sets of cells.
 *
 * @param sumSquared sum of (prediction - truth)^2
 * @param sumAbsolute sum of |prediction - truth|
 * @param count number of cells summed
 */
public record ErrorSums(double sumSquared, double sumAbsolute, long count) {

    /** Sums over no cells. */
    public static final ErrorSums EMPTY = new ErrorSums(0, 0, 0);

    /** Element-wise sum of the two. */
    public ErrorSums plus(ErrorSums other) {
        return new ErrorSums(sumSquared + other.sumSquared, sumAbsolute + other.sumAbsolute,
                count + other.count);
    }

    /** Mean squared error; NaN when no cell was counted. */
    public double mse() {
        return count == 0 ? Double.NaN : sumSquared / count;
    }

    /** Square root of the pooled {@link #mse()}. */
    public double rmse() {
        return Math.sqrt(mse());
    }

    /** Mean absolute error; NaN when no cell was counted. */
    public double mae() {
        return count == 0 ? Double.NaN : sumAbsolute / count;
    }
}
