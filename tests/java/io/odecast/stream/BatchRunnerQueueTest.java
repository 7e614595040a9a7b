package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The runner's queue on its own, with a stand-in for the model call (a function that records what each call held):
 * the steps of several loops, queued while the workers are busy, run as one call; a step's own chunks never do.
 */
class BatchRunnerQueueTest {
    /** Records each call's requests; a call holding "block" waits for {@code release}. */
    private static final class Recorder implements Function<List<String>, List<?>> {
        final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public List<?> apply(List<String> requests) {
            calls.add(List.copyOf(requests));
            if (requests.contains("block")) {
                blocked.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (requests.contains("bad")) {
                throw new IllegalArgumentException("bad request in the call");
            }
            if (requests.contains("error")) {
                throw new AssertionError("an Error in the call");
            }
            return requests.stream().map(r -> r + "!").toList();
        }
    }

    private static BatchRunner runner(int maxBatch, int workers) {
        return runner(maxBatch, workers, new ServiceMetrics());
    }

    private static BatchRunner runner(int maxBatch, int workers, ServiceMetrics metrics) {
        return new BatchRunner(new DecoderSettings(maxBatch, Duration.ofSeconds(30), 64, workers, 1), metrics);
    }

    /** The loops' threads that wait for their steps (not the common pool, which may not grow while they block). */
    private static final ExecutorService LOOPS = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "test-loop");
        t.setDaemon(true);
        return t;
    });

    private static CompletableFuture<Object[]> async(BatchRunner runner, List<String> requests, String key,
                                                    Recorder call) {
        return CompletableFuture.supplyAsync(() -> runner.run(requests, r -> key, call), LOOPS);
    }

    private static CompletableFuture<Object[]> urgent(BatchRunner runner, List<String> requests, String key,
                                                     Recorder call) {
        return CompletableFuture.supplyAsync(() -> runner.run(requests, r -> key, r -> true, call), LOOPS);
    }

    /** A call that holds the (one) worker until {@code call.release}. */
    private static CompletableFuture<Object[]> blockTheWorker(BatchRunner runner, Recorder call)
            throws InterruptedException {
        CompletableFuture<Object[]> first = async(runner, List.of("block"), "k", call);
        assertTrue(call.blocked.await(30, TimeUnit.SECONDS), "the blocking call never started");
        return first;
    }

    /** Waits until {@code count} chunks wait for a worker. */
    private static void awaitWaiting(BatchRunner runner, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (runner.waitingChunks() < count) {
            assertTrue(System.nanoTime() < deadline, "chunks never queued");
            Thread.sleep(5);
        }
    }

    @Test
    void stepsQueuedBehindABusyWorkerRunAsOneCall() throws Exception {
        Recorder call = new Recorder();
        ServiceMetrics metrics = new ServiceMetrics();
        try (BatchRunner runner = runner(8, 1, metrics)) {
            CompletableFuture<Object[]> first = blockTheWorker(runner, call);
            CompletableFuture<Object[]> b = async(runner, List.of("b"), "k", call);
            awaitWaiting(runner, 1);
            CompletableFuture<Object[]> other = async(runner, List.of("x"), "other", call);
            awaitWaiting(runner, 2);
            CompletableFuture<Object[]> c = async(runner, List.of("c1", "c2"), "k", call);
            awaitWaiting(runner, 3);
            call.release.countDown();

            assertArrayEquals(new Object[] {"block!"}, first.get(30, TimeUnit.SECONDS));
            assertArrayEquals(new Object[] {"b!"}, b.get(30, TimeUnit.SECONDS));
            assertArrayEquals(new Object[] {"c1!", "c2!"}, c.get(30, TimeUnit.SECONDS));
            assertArrayEquals(new Object[] {"x!"}, other.get(30, TimeUnit.SECONDS));
            assertEquals(List.of(List.of("block"), List.of("b", "c1", "c2"), List.of("x")), call.calls,
                    "the two steps of key k waiting together run as one call, oldest first; key 'other' alone");
            assertEquals(1, metrics.mergedCalls(), "one call merged steps");
            assertEquals(3, metrics.decoderBatches());
            assertEquals(5, metrics.batchedRequests());
        }
    }

    @Test
    void urgentCallsGoAheadOfWaitingOnesAndMergeOnlyWithUrgentOnes() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = runner(8, 1)) {
            CompletableFuture<Object[]> first = blockTheWorker(runner, call);
            List<CompletableFuture<Object[]>> waiting = new ArrayList<>();
            waiting.add(async(runner, List.of("n1"), "k", call));
            awaitWaiting(runner, 1);
            waiting.add(urgent(runner, List.of("u1"), "k", call));
            awaitWaiting(runner, 2);
            waiting.add(async(runner, List.of("n2"), "k", call));
            awaitWaiting(runner, 3);
            waiting.add(urgent(runner, List.of("u2"), "k", call));
            awaitWaiting(runner, 4);
            call.release.countDown();
            first.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<Object[]> f : waiting) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of(List.of("block"), List.of("u1", "u2"), List.of("n1", "n2")), call.calls,
                    "the urgent steps, queued after n1, run first and as one call; the normal ones after them");
        }
    }

    @Test
    void aMergedCallStaysWithinMaxBatch() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = runner(3, 1)) {
            CompletableFuture<Object[]> first = blockTheWorker(runner, call);
            List<CompletableFuture<Object[]>> waiting = new ArrayList<>();
            for (String r : List.of("a1,a2", "b", "c1,c2")) {
                waiting.add(async(runner, List.of(r.split(",")), "k", call));
                awaitWaiting(runner, waiting.size());
            }
            call.release.countDown();
            first.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<Object[]> f : waiting) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of(List.of("block"), List.of("a1", "a2", "b"), List.of("c1", "c2")), call.calls);
        }
    }

    @Test
    void aStepsOwnChunksSpreadOverIdleWorkersAreNotMergedBack() throws Exception {
        Recorder call = new Recorder();
        ServiceMetrics metrics = new ServiceMetrics();
        try (BatchRunner runner = runner(8, 2, metrics)) {
            Object[] out = runner.run(List.of("p", "q"), r -> "k", call);
            assertEquals(0, metrics.mergedCalls());
            assertArrayEquals(new Object[] {"p!", "q!"}, out);
            assertEquals(2, call.calls.size(), "two idle workers: one call each, " + call.calls);
            assertTrue(call.calls.stream().allMatch(c -> c.size() == 1), call.calls::toString);
        }
    }

    @Test
    void aFailingMergedCallFailsOnlyItsBadRequest() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = runner(8, 1)) {
            CompletableFuture<Object[]> first = blockTheWorker(runner, call);
            CompletableFuture<Object[]> good = async(runner, List.of("g"), "k", call);
            awaitWaiting(runner, 1);
            CompletableFuture<Object[]> bad = async(runner, List.of("bad", "h"), "k", call);
            awaitWaiting(runner, 2);
            call.release.countDown();
            first.get(30, TimeUnit.SECONDS);
            assertArrayEquals(new Object[] {"g!"}, good.get(30, TimeUnit.SECONDS));
            Object[] mixed = bad.get(30, TimeUnit.SECONDS);
            assertTrue(((String) mixed[0]).contains("bad request in the call"), "the error as the result: " + mixed[0]);
            assertEquals("h!", mixed[1]);
            assertEquals(List.of(List.of("block"), List.of("g", "bad", "h"), List.of("g"), List.of("bad", "h"),
                    List.of("bad"), List.of("h")), call.calls,
                    "merged, then each step's chunk apart, then the failing chunk's requests one by one");
        }
    }

    @Test
    void anErrorInAMergedCallFailsOnlyItsStepAndTheWorkerGoesOn() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = runner(8, 1)) {
            CompletableFuture<Object[]> first = blockTheWorker(runner, call);
            CompletableFuture<Object[]> good = async(runner, List.of("g"), "k", call);
            awaitWaiting(runner, 1);
            CompletableFuture<Object[]> failing = async(runner, List.of("error", "h"), "k", call);
            awaitWaiting(runner, 2);
            call.release.countDown();
            first.get(30, TimeUnit.SECONDS);
            assertArrayEquals(new Object[] {"g!"}, good.get(30, TimeUnit.SECONDS), "the other loop's step is served");
            ExecutionException e = assertThrows(ExecutionException.class, () -> failing.get(30, TimeUnit.SECONDS));
            assertInstanceOf(AssertionError.class, e.getCause(), "the step that hit the Error gets it");
            assertArrayEquals(new Object[] {"after!"}, runner.run(List.of("after"), r -> "k", call),
                    "the worker lives on");
        }
    }

    @Test
    void urgentCallsLetAWaitingNormalCallThroughAfterARun() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = runner(8, 1)) {
            CompletableFuture<Object[]> first = blockTheWorker(runner, call);
            List<CompletableFuture<Object[]>> waiting = new ArrayList<>();
            waiting.add(async(runner, List.of("n"), "k", call));
            awaitWaiting(runner, 1);
            for (int u = 1; u <= BatchRunner.URGENT_RUN + 1; u++) {
                // Keys of their own: the urgent calls do not merge.
                waiting.add(urgent(runner, List.of("u" + u), "k" + u, call));
                awaitWaiting(runner, u + 1);
            }
            call.release.countDown();
            first.get(30, TimeUnit.SECONDS);
            for (CompletableFuture<Object[]> f : waiting) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of(List.of("block"), List.of("u1"), List.of("u2"), List.of("u3"), List.of("u4"),
                    List.of("n"), List.of("u5")), call.calls);
        }
    }

    @Test
    void stepsWaitingWhenTheRunnerClosesFailWithAReason() throws Exception {
        Recorder call = new Recorder();
        BatchRunner runner = runner(8, 1);
        CompletableFuture<Object[]> first = blockTheWorker(runner, call);
        CompletableFuture<Object[]> waiting = async(runner, List.of("w"), "k", call);
        awaitWaiting(runner, 1);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(runner::close, LOOPS);
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getCause().getCause()).contains("closed"), String.valueOf(e.getCause()));
        Thread.sleep(100);
        assertTrue(!closing.isDone(), "close() waits for the call running now");
        call.release.countDown();
        assertArrayEquals(new Object[] {"block!"}, first.get(30, TimeUnit.SECONDS), "the running call finishes");
        closing.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aClosedRunnerRefusesWork() {
        BatchRunner runner = runner(8, 1);
        runner.close();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> runner.run(List.of("a"), r -> "k", new Recorder()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
