package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        /** The thread each call ran on, in the order of {@link #calls}. */
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public List<?> apply(List<String> requests) {
            synchronized (calls) {
                calls.add(List.copyOf(requests));
                threads.add(Thread.currentThread().getName());
            }
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

    /**
     * A runner of {@code workers} whose small calls wait up to {@code gather} for others, shared by {@code loops}
     * active loops.
     */
    private static BatchRunner gathering(Duration gather, int loops, int workers) {
        BatchRunner runner = new BatchRunner(new DecoderSettings(8, Duration.ofSeconds(30), 64, workers, 1,
                io.odecast.model.ConvPrecision.FLOAT32, gather), new ServiceMetrics());
        runner.sharedBy(() -> loops);
        return runner;
    }

    /** A runner of {@code workers} and one urgent worker. */
    private static BatchRunner withUrgentWorker(int workers) {
        return new BatchRunner(new DecoderSettings(8, Duration.ofSeconds(30), 64, workers, 1,
                io.odecast.model.ConvPrecision.FLOAT32, Duration.ZERO, 1), new ServiceMetrics());
    }

    private static final Duration GATHER = Duration.ofSeconds(5);

    /**
     * A one-request step whose call must wait for company: queued, and still not run 200 ms later (while the worker
     * is free).
     */
    private static CompletableFuture<Object[]> waitingForCompany(BatchRunner runner, String spec, Recorder call)
            throws InterruptedException {
        CompletableFuture<Object[]> f = step(runner, spec, call);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (runner.waitingChunks() < 1) {
            assertTrue(System.nanoTime() < deadline, "never queued");
            Thread.sleep(5);
        }
        Thread.sleep(200);
        assertTrue(call.calls.isEmpty(), "a lone request waits while other loops may add to its call");
        return f;
    }
    /** Well below {@link #GATHER}: a call that started within it did not wait for the whole gather. */
    private static final long WELL_BEFORE = TimeUnit.SECONDS.toNanos(3);

    /** The loops' threads that wait for their steps (not the common pool, which may not grow while they block). */
    private static final ExecutorService LOOPS = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "test-loop");
        t.setDaemon(true);
        return t;
    });

    /** A step of one loop: {@code "key:request,request"}, urgent when the key starts with '!'. */
    private static CompletableFuture<Object[]> step(BatchRunner runner, String spec, Recorder call) {
        String key = spec.substring(0, spec.indexOf(':'));
        List<String> requests = List.of(spec.substring(spec.indexOf(':') + 1).split(","));
        boolean urgent = key.startsWith("!");
        return CompletableFuture.supplyAsync(() -> runner.run(requests, r -> key, r -> urgent, call), LOOPS);
    }

    /**
     * Holds the (one) worker with a call of "block", queues the steps behind it one after the other, and lets the
     * worker go unless {@code hold}; the futures of the blocking call and of each step, in that order.
     */
    private static List<CompletableFuture<Object[]>> queued(BatchRunner runner, Recorder call, boolean hold,
                                                           String... steps) throws InterruptedException {
        List<CompletableFuture<Object[]>> out = new ArrayList<>(List.of(step(runner, "k:block", call)));
        assertTrue(call.blocked.await(30, TimeUnit.SECONDS), "the blocking call never started");
        for (String spec : steps) {
            out.add(step(runner, spec, call));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (runner.waitingChunks() < out.size() - 1) {
                assertTrue(System.nanoTime() < deadline, "chunks never queued");
                Thread.sleep(5);
            }
        }
        if (!hold) {
            call.release.countDown();
        }
        return out;
    }

    private static Object[] result(CompletableFuture<Object[]> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    @Test
    void stepsQueuedBehindABusyWorkerRunAsOneCall() throws Exception {
        Recorder call = new Recorder();
        ServiceMetrics metrics = new ServiceMetrics();
        try (BatchRunner runner = runner(8, 1, metrics)) {
            List<CompletableFuture<Object[]>> f = queued(runner, call, false, "k:b", "other:x", "k:c1,c2");
            assertArrayEquals(new Object[] {"block!"}, result(f.get(0)));
            assertArrayEquals(new Object[] {"b!"}, result(f.get(1)));
            assertArrayEquals(new Object[] {"x!"}, result(f.get(2)));
            assertArrayEquals(new Object[] {"c1!", "c2!"}, result(f.get(3)));
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
            for (CompletableFuture<Object[]> f : queued(runner, call, false, "k:n1", "!k:u1", "k:n2", "!k:u2")) {
                result(f);
            }
            assertEquals(List.of(List.of("block"), List.of("u1", "u2"), List.of("n1", "n2")), call.calls,
                    "the urgent steps, queued after n1, run first and as one call; the normal ones after them");
        }
    }

    @Test
    void anUrgentWorkerRunsAnUrgentCallAtOnceWhileTheWorkerIsBusyAndNothingElse() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = withUrgentWorker(1)) {
            // The one worker is held by "block", a normal step waits behind it; the urgent step still runs now.
            List<CompletableFuture<Object[]>> f = queued(runner, call, true, "k:n1");
            CompletableFuture<Object[]> urgent = step(runner, "!k:u1", call);
            assertArrayEquals(new Object[] {"u1!"}, result(urgent));
            assertFalse(f.get(0).isDone(), "the worker is still held");
            Thread.sleep(200);
            assertFalse(f.get(1).isDone(), "the urgent worker runs no normal call");
            assertEquals(1, runner.waitingChunks());
            call.release.countDown();
            assertArrayEquals(new Object[] {"n1!"}, result(f.get(1)));
            assertEquals(List.of(List.of("block"), List.of("u1"), List.of("n1")), call.calls);
        }
    }

    @Test
    void withUrgentWorkersAnUrgentCallTakesNoWorkerFromTheNextStepsSpread() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = withUrgentWorker(3)) {
            CompletableFuture<Object[]> bulk = step(runner, "k:block", call);
            assertTrue(call.blocked.await(30, TimeUnit.SECONDS));
            CompletableFuture<Object[]> urgent = step(runner, "!u:block", call);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (call.calls.size() < 2) {
                assertTrue(System.nanoTime() < deadline, "the urgent call never started");
                Thread.sleep(5);
            }
            // One of the three workers runs the bulk call; the urgent one does not count against the others.
            assertEquals(2, runner.freeWorkers());
            call.release.countDown();
            result(bulk);
            result(urgent);
            assertEquals(3, runner.freeWorkers());
        }
    }

    @Test
    void withUrgentWorkersTheWorkersLeaveUrgentCallsToThemWhileNormalCallsWait() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = withUrgentWorker(1)) {
            // Both held: the worker by a normal call, the urgent worker by an urgent one.
            CompletableFuture<Object[]> held = step(runner, "k:block", call);
            assertTrue(call.blocked.await(30, TimeUnit.SECONDS), "the worker never took its call");
            List<CompletableFuture<Object[]>> f = List.of(held, step(runner, "!u:block", call));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (call.calls.size() < 2) {
                assertTrue(System.nanoTime() < deadline, "the urgent worker never took its call");
                Thread.sleep(5);
            }
            CompletableFuture<Object[]> normal = step(runner, "k:n1", call);
            CompletableFuture<Object[]> urgent = step(runner, "!u:u2", call);
            while (runner.waitingChunks() < 2) {
                assertTrue(System.nanoTime() < deadline, "never queued");
                Thread.sleep(5);
            }
            call.release.countDown();
            for (CompletableFuture<Object[]> x : List.of(f.get(0), f.get(1), normal, urgent)) {
                result(x);
            }
            // The worker, freed with both waiting, took the normal call (before: urgent first); the urgent call went
            // to the urgent worker, or to the worker once no normal call waited.
            String worker = call.threads.get(call.calls.indexOf(List.of("block")));
            List<List<String>> workers = new ArrayList<>();
            for (int i = 0; i < call.calls.size(); i++) {
                if (call.threads.get(i).equals(worker)) {
                    workers.add(call.calls.get(i));
                }
            }
            assertEquals(List.of("n1"), workers.get(1), "the worker's calls: " + workers);
            assertTrue(!worker.contains("-u"), worker);
        }
    }

    @Test
    void urgentCallsLetAWaitingNormalCallThroughAfterARun() throws Exception {
        Recorder call = new Recorder();
        List<String> steps = new ArrayList<>(List.of("k:n"));
        for (int u = 1; u <= BatchRunner.URGENT_RUN + 1; u++) {
            steps.add("!k" + u + ":u" + u); // keys of their own: the urgent calls do not merge
        }
        try (BatchRunner runner = runner(8, 1)) {
            for (CompletableFuture<Object[]> f : queued(runner, call, false, steps.toArray(String[]::new))) {
                result(f);
            }
            assertEquals(List.of(List.of("block"), List.of("u1"), List.of("u2"), List.of("u3"), List.of("u4"),
                    List.of("n"), List.of("u5")), call.calls);
        }
    }

    @Test
    void aMergedCallStaysWithinMaxBatch() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = runner(3, 1)) {
            for (CompletableFuture<Object[]> f : queued(runner, call, false, "k:a1,a2", "k:b", "k:c1,c2")) {
                result(f);
            }
            assertEquals(List.of(List.of("block"), List.of("a1", "a2", "b"), List.of("c1", "c2")), call.calls);
        }
    }

    @Test
    void aStepsOwnChunksSpreadOverIdleWorkersAreNotMergedBack() throws Exception {
        Recorder call = new Recorder();
        ServiceMetrics metrics = new ServiceMetrics();
        try (BatchRunner runner = runner(8, 2, metrics)) {
            Object[] out = runner.run(List.of("p", "q"), r -> "k", r -> false, call);
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
            List<CompletableFuture<Object[]>> f = queued(runner, call, false, "k:g", "k:bad,h");
            result(f.get(0));
            assertArrayEquals(new Object[] {"g!"}, result(f.get(1)));
            Object[] mixed = result(f.get(2));
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
            List<CompletableFuture<Object[]>> f = queued(runner, call, false, "k:g", "k:error,h");
            result(f.get(0));
            assertArrayEquals(new Object[] {"g!"}, result(f.get(1)), "the other loop's step is served");
            ExecutionException e = assertThrows(ExecutionException.class, () -> result(f.get(2)));
            assertInstanceOf(AssertionError.class, e.getCause(), "the step that hit the Error gets it");
            assertArrayEquals(new Object[] {"after!"}, runner.run(List.of("after"), r -> "k", r -> false, call),
                    "the worker lives on");
        }
    }

    @Test
    void stepsWaitingWhenTheRunnerClosesFailWithAReason() throws Exception {
        Recorder call = new Recorder();
        BatchRunner runner = runner(8, 1);
        List<CompletableFuture<Object[]>> f = queued(runner, call, true, "k:w");
        CompletableFuture<Void> closing = CompletableFuture.runAsync(runner::close, LOOPS);
        ExecutionException e = assertThrows(ExecutionException.class, () -> result(f.get(1)));
        assertTrue(String.valueOf(e.getCause().getCause()).contains("closed"), String.valueOf(e.getCause()));
        Thread.sleep(100);
        assertTrue(!closing.isDone(), "close() waits for the call running now");
        call.release.countDown();
        assertArrayEquals(new Object[] {"block!"}, result(f.get(0)), "the running call finishes");
        closing.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aClosedRunnerRefusesWork() {
        BatchRunner runner = runner(8, 1);
        runner.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> runner.run(List.of("a"), r -> "k", r -> false, new Recorder()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aSmallCallWaitsForOtherLoopsCallsToJoinIt() throws Exception {
        Recorder call = new Recorder();
        // Five active loops, three of them with a step: the call starts because it holds GATHER_BATCH requests.
        try (BatchRunner runner = gathering(GATHER, 5, 1)) {
            long start = System.nanoTime();
            CompletableFuture<Object[]> a = waitingForCompany(runner, "k:a", call);
            CompletableFuture<Object[]> b = step(runner, "k:b1,b2", call);
            CompletableFuture<Object[]> c = step(runner, "k:c", call);
            assertArrayEquals(new Object[] {"a!"}, result(a));
            assertArrayEquals(new Object[] {"b1!", "b2!"}, result(b));
            assertArrayEquals(new Object[] {"c!"}, result(c));
            assertEquals(1, call.calls.size(), "three loops' steps ran as one call: " + call.calls);
            assertEquals(4, call.calls.get(0).size());
            assertTrue(System.nanoTime() - start < WELL_BEFORE,
                    "the call started when it held " + BatchRunner.GATHER_BATCH + ", not after the whole wait");
        }
    }

    @Test
    void aSmallCallStartsAfterTheGatherWaitAlone() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = gathering(Duration.ofMillis(300), 3, 1)) {
            long start = System.nanoTime();
            assertArrayEquals(new Object[] {"a!"}, result(step(runner, "k:a", call)));
            long waited = System.nanoTime() - start;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(290), "it waited for company: " + waited / 1e6 + " ms");
            assertEquals(List.of(List.of("a")), call.calls);
        }
    }

    @Test
    void nothingWaitsWhereNoOtherLoopCanAddOrTheCallIsUrgentOrItsStepWasSplit() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner alone = gathering(GATHER, 1, 1);
             BatchRunner shared = gathering(GATHER, 3, 1);
             BatchRunner two = gathering(GATHER, 3, 2)) {
            long start = System.nanoTime();
            assertArrayEquals(new Object[] {"a!"}, result(step(alone, "k:a", call)));
            assertArrayEquals(new Object[] {"u!"}, result(step(shared, "!k:u", call)));
            // Two free workers: the step of 4 runs as two calls of 2, neither waiting for company.
            assertArrayEquals(new Object[] {"s1!", "s2!", "s3!", "s4!"}, result(step(two, "k:s1,s2,s3,s4", call)));
            assertTrue(System.nanoTime() - start < WELL_BEFORE,
                    "one active loop, an urgent call and a split step all start at once (a wait takes 5 s)");
            assertTrue(call.calls.contains(List.of("s1", "s2")) && call.calls.contains(List.of("s3", "s4")),
                    "the step was split over the two workers: " + call.calls);
        }
    }

    @Test
    void whileASmallCallWaitsACallOfAnotherKeyThatNeedNotWaitAndAnUrgentCallGoFirst() throws Exception {
        Recorder call = new Recorder();
        try (BatchRunner runner = gathering(GATHER, 5, 1)) {
            long start = System.nanoTime();
            CompletableFuture<Object[]> held = waitingForCompany(runner, "k:h", call);
            assertArrayEquals(new Object[] {"o1!", "o2!", "o3!", "o4!"}, result(step(runner, "o:o1,o2,o3,o4", call)));
            assertArrayEquals(new Object[] {"u!"}, result(step(runner, "!k:u", call)));
            assertTrue(System.nanoTime() - start < WELL_BEFORE, "neither waited behind the held call");
            assertTrue(call.calls.stream().noneMatch(c -> c.contains("h")), "the small call still waits");
            assertArrayEquals(new Object[] {"h!"}, result(held));
        }
    }

    @Test
    void anUrgentCallDoesNotWaitBehindAHeldNormalCallWhoseTurnItIs() throws Exception {
        Recorder call = new Recorder();
        // More active loops than steps here (seven at most), so that the normal call waits for company throughout.
        try (BatchRunner runner = gathering(GATHER, 50, 1)) {
            // The worker blocked, a normal call and a run of urgent ones queue; once the run is over the normal call
            // has the turn but waits for company, and an urgent call arriving then still starts at once.
            List<String> steps = new ArrayList<>(List.of("k:n"));
            for (int u = 1; u <= BatchRunner.URGENT_RUN; u++) {
                steps.add("!k" + u + ":u" + u);
            }
            List<CompletableFuture<Object[]>> f = queued(runner, call, false, steps.toArray(String[]::new));
            for (int i = 2; i < f.size(); i++) {
                result(f.get(i));
            }
            long start = System.nanoTime();
            assertArrayEquals(new Object[] {"late!"}, result(step(runner, "!late:late", call)));
            assertTrue(System.nanoTime() - start < WELL_BEFORE, "the urgent call did not wait");
            assertTrue(call.calls.stream().noneMatch(c -> c.contains("n")), "the normal call still waits");
            assertArrayEquals(new Object[] {"n!"}, result(f.get(1)));
        }
    }

    @Test
    void closingWhileACallWaitsForCompanyFailsIt() throws Exception {
        Recorder call = new Recorder();
        BatchRunner runner = gathering(GATHER, 5, 1);
        CompletableFuture<Object[]> held = waitingForCompany(runner, "k:h", call);
        runner.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> held.get(30, TimeUnit.SECONDS));
        Throwable cause = e.getCause();
        while (cause.getCause() != null && !String.valueOf(cause.getMessage()).contains("closed")) {
            cause = cause.getCause();
        }
        assertTrue(String.valueOf(cause.getMessage()).contains("closed"), "fails as closed: " + e.getCause());
        assertTrue(call.calls.isEmpty());
    }

    @Test
    void theGatherWaitIsOffByDefaultAndBoundedInTheSettings() {
        com.typesafe.config.Config reference = com.typesafe.config.ConfigFactory.load().getConfig("odecast.decoder");
        assertEquals(Duration.ZERO, DecoderSettings.fromConfig(reference).gatherWait(), "off by default");
        assertEquals(Duration.ofMillis(6), DecoderSettings.fromConfig(reference.withValue("gather-wait",
                com.typesafe.config.ConfigValueFactory.fromAnyRef("6ms"))).gatherWait());
        for (String bad : List.of("-1ms", "6s")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DecoderSettings.fromConfig(reference.withValue("gather-wait",
                            com.typesafe.config.ConfigValueFactory.fromAnyRef(bad))));
            assertTrue(e.getMessage().startsWith("decoder.gather-wait must be between 0s and 5s"), e.getMessage());
        }
    }
}
