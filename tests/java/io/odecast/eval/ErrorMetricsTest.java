package io.odecast.eval;

import io.odecast.data.GridShape;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorMetricsTest {

    private static final GridShape SHAPE = new GridShape(2, 2, 2);

    @Test
    void maskedCellsAreExcludedFromMseAndMae() {
        float[] truth = new float[8];
        float[] pred = {1, 2, 3, 4, -1, -2, 10, 0};
        boolean[] valid = {true, true, false, true, true, true, false, true};
        ErrorSums[] e = ErrorMetrics.perChannel(SHAPE, truth, pred, valid);
        // channel 0: errors 1, 2, 4 -> MSE 21/3 = 7, MAE 7/3
        assertEquals(7.0, e[0].mse(), 1e-15);
        assertEquals(7.0 / 3, e[0].mae(), 1e-15);
        assertEquals(Math.sqrt(7.0), e[0].rmse(), 1e-15);
        assertEquals(3, e[0].count());
        // channel 1: errors -1, -2, 0 -> MSE 5/3, MAE 1
        assertEquals(5.0 / 3, e[1].mse(), 1e-15);
        assertEquals(1.0, e[1].mae(), 1e-15);
    }

    @Test
    void nullMaskCountsEveryCell() {
        float[] pred = {1, 2, 3, 4, 0, 0, 0, 0};
        assertEquals(7.5, ErrorMetrics.mse(SHAPE, new float[8], pred, null, 0), 1e-15);
    }

    @Test
    void accumulatorPoolsSquaredErrorsBeforeTheSquareRoot() {
        MetricAccumulator acc = new MetricAccumulator(SHAPE, List.of("u", "v"));
        float[] truth = new float[8];
        acc.add(1, truth, new float[] {1, 1, 1, 1, 0, 0, 0, 0}, null);
        acc.add(1, truth, new float[] {3, 3, 3, 3, 0, 0, 0, 0}, null);
        acc.add(2, truth, new float[] {0, 0, 0, 0, 2, 2, 2, 2}, null);
        // lead 1, u: MSE (4*1 + 4*9) / 8 = 5 -> RMSE sqrt 5, not the mean RMSE 2
        assertEquals(5.0, acc.get("1", "u").mse(), 0);
        assertEquals(Math.sqrt(5.0), acc.get("1", "u").rmse(), 0);
        assertEquals(2.0, acc.get("1", "u").mae(), 0);
        assertEquals(4.0, acc.get("2", "v").mse(), 0);
        // u over both leads: (40 + 0) / 12
        assertEquals(40.0 / 12, acc.channelTotal("u").mse(), 1e-15);
        assertEquals(24, acc.total().count());
    }
}
