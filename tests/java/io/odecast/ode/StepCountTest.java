package io.odecast.ode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.odecast.model.ModelCard;
import io.odecast.model.ModelConfig;
import io.odecast.model.VidOdeModel;
import io.odecast.model.VidOdeNetwork;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sub-step counts of intervals between absolute model times, whose differences carry rounding error. */
class StepCountTest {

    private static final OdeFunction DECAY = OdeFunction.autonomous(NDArray::neg);
    /** Ten-second time units at scale 0.1: one unit is one maximum step (0.1) of the default solvers. */
    private static final ModelCard CARD = new ModelCard("tens", ModelCard.EXTRAPOLATE, List.of("u"), new float[] {0f},
            new float[] {1f}, null, "PT10S", 0.1, null, null);
    private static final Instant T = Instant.parse("2026-06-01T00:00:00Z");

    @Test
    void oneTimeUnitBetweenEpochBasedModelTimesIsOneStep() {
        double from = CARD.modelTime(T);
        double to = CARD.modelTime(T.plusSeconds(10));
        double gap = to - from;
        // the premise: the difference is a little over one step (0.10000000149), beyond the old tolerance of 1e-9
        assertTrue(gap / 0.1 - 1 > 1e-9, "gap " + gap);
        FixedStepSolver rk4 = FixedStepSolver.rk4(0.1);
        assertEquals(1, rk4.stepsFor(gap));
        assertEquals(3, rk4.stepsFor(CARD.modelTime(T.plusSeconds(40)) - CARD.modelTime(T.plusSeconds(10))));
        try (NDManager m = NDManager.newBaseManager()) {
            OdeSolution one = rk4.solve(DECAY, m.create(new double[] {1.0}), new double[] {from, to});
            assertEquals(1, one.acceptedSteps());
            assertEquals(4, one.functionEvaluations());
            OdeSolution perSample = rk4.solvePerSample(DECAY, m.create(new double[] {1.0, 1.0}),
                    new double[][] {{0, 0.1}, {from, to}});
            assertEquals(1, perSample.acceptedSteps());
            assertEquals(perSample.states().get(1).getDouble(0), perSample.states().get(1).getDouble(1), 1e-7);
        }
    }

    @Test
    void wholeMultiplesKeepTheirCountAndAnythingLongerTakesAStepMore() {
        FixedStepSolver euler = FixedStepSolver.euler(0.1);
        assertEquals(0, euler.stepsFor(0));
        assertEquals(1, euler.stepsFor(1e-12));
        assertEquals(1, euler.stepsFor(0.1));
        assertEquals(3, euler.stepsFor(0.3)); // 0.3 / 0.1 = 2.9999999999999996
        assertEquals(3, euler.stepsFor(0.1 + 0.2)); // 0.30000000000000004
        assertEquals(2, euler.stepsFor(0.1 * (1 + 1e-5)));
        assertEquals(11, euler.stepsFor(1.0 + 1e-5));
        assertEquals(1, FixedStepSolver.euler(Double.POSITIVE_INFINITY).stepsFor(123.0));
    }

    @Test
    void theServicesSubstepEstimateCountsAsTheSolverDoes() {
        try (VidOdeModel model = new VidOdeModel(new VidOdeNetwork(ModelConfig.of(1, 4, 4, 4, 1), 1), CARD)) {
            double gap = CARD.modelTime(T.plusSeconds(10)) - CARD.modelTime(T);
            assertEquals(1, model.encoderSubsteps(gap));
            double[] gaps = {0.05, 0.1, 0.3, 0.1 + 0.2, 0.1000001, 0.35, 1.0, 7.3};
            for (double g : gaps) {
                assertEquals(FixedStepSolver.rk4(0.1).stepsFor(g), model.encoderSubsteps(g), "gap " + g);
            }
        }
    }
}
