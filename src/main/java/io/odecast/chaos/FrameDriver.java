package io.odecast.chaos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Publishes the streams' frames to the frames topic at a steady rate with the idempotent producer, frame index by
 * frame index across the streams (frame 0 of every stream, then frame 1, ...), like sources publishing
 * concurrently. Optionally injects the bad records into one stream right after one of its normal frames, sending
 * them one at a time and waiting for each acknowledgement (their offsets identify them on the dead-letter topic).
 */
final class FrameDriver implements AutoCloseable {

    /** Bad records to send after frame {@code afterIndex} of stream {@code streamId}; {@code onStart} runs first. */
    record Injection(String streamId, int afterIndex, List<BadInputs.BadRecord> records, Runnable onStart) {
    }

    /** A bad record as written: where it landed. */
    record Sent(BadInputs.BadRecord record, int partition, long offset) {
    }

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final ChaosStreams streams;
    private final double rate;
    private final Injection injection;
    private final Thread thread;
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final Set<String> ackedFrames = ConcurrentHashMap.newKeySet();
    private final List<Sent> badSent = Collections.synchronizedList(new ArrayList<>());
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final int total;
    private volatile boolean done;

    /**
     * @param rate      frames per second over all streams
     * @param injection bad records to inject, or null
     */
    FrameDriver(KafkaProducer<String, byte[]> producer, String topic, ChaosStreams streams, double rate,
                Injection injection) {
        this.producer = producer;
        this.topic = topic;
        this.streams = streams;
        this.rate = rate;
        this.injection = injection;
        this.total = streams.totalFrames();
        this.thread = new Thread(this::run, "odecast-chaos-driver");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Frames handed to the producer so far over all frames (0..1). */
    double progress() {
        return total == 0 ? 1 : sent.get() / (double) total;
    }

    /** Whether every frame has been sent and flushed. */
    boolean done() {
        return done;
    }

    int failed() {
        return failed.get();
    }

    String firstError() {
        return firstError.get();
    }

    /** The frames planned: every frame of every stream (bad records not counted). */
    int total() {
        return total;
    }

    /** Frames the broker acknowledged so far (bad records not counted). */
    int ackedCount() {
        return ackedFrames.size();
    }

    /** Whether frame {@code index} of {@code streamId} was acknowledged by the broker. */
    boolean acked(String streamId, int index) {
        return ackedFrames.contains(streamId + "#" + index);
    }

    List<Sent> badSent() {
        return List.copyOf(badSent);
    }

    void awaitDone(long millis) throws InterruptedException {
        thread.join(millis);
    }

    private void run() {
        try {
            long start = System.nanoTime();
            int longest = streams.encoded().values().stream().mapToInt(List::size).max().orElse(0);
            int n = 0;
            for (int i = 0; i < longest; i++) {
                for (Map.Entry<String, List<byte[]>> e : streams.encoded().entrySet()) {
                    if (i >= e.getValue().size()) {
                        continue;
                    }
                    long due = start + (long) (n / rate * 1e9);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    String id = e.getKey();
                    String frameKey = id + "#" + i;
                    producer.send(new ProducerRecord<>(topic, id, e.getValue().get(i)), (metadata, error) -> {
                        if (error == null) {
                            ackedFrames.add(frameKey);
                        } else {
                            failed.incrementAndGet();
                            firstError.compareAndSet(null, frameKey + ": " + error);
                        }
                    });
                    n++;
                    sent.incrementAndGet();
                    if (injection != null && injection.streamId().equals(id) && injection.afterIndex() == i) {
                        inject();
                    }
                }
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | java.util.concurrent.ExecutionException e) {
            firstError.compareAndSet(null, "driver stopped: " + e);
        } finally {
            done = true;
        }
    }

    private void inject() throws InterruptedException, java.util.concurrent.ExecutionException {
        injection.onStart().run();
        for (BadInputs.BadRecord bad : injection.records()) {
            RecordMetadata m = producer.send(new ProducerRecord<>(topic, bad.key(), bad.value())).get();
            badSent.add(new Sent(bad, m.partition(), m.offset()));
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        producer.close(java.time.Duration.ofSeconds(10));
    }
}
