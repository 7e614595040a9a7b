import io.odecast.kafka.ForecastCodec;
import io.odecast.kafka.ForecastMessage;
import io.odecast.proto.Forecast;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a forecasts topic to its end (read_committed) and prints, per stream, the distinct frames forecast, the
 * copies beyond the first and how many of those are not flagged REPLAYED. Operator scripts run it with
 * {@code java -cp "target/classes:target/lib/*" scripts/ForecastTally.java BOOTSTRAP [TOPIC]}.
 */
public class ForecastTally {
    public static void main(String[] args) {
        String topic = args.length > 1 ? args[1] : "odecast.forecasts";
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 << 20);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            Map<String, Map<Long, Integer>> copies = new TreeMap<>();
            Map<String, Integer> unflagged = new HashMap<>();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofSeconds(1))) {
                    ForecastMessage f = ForecastCodec.decode(r.value());
                    int n = copies.computeIfAbsent(f.streamId(), k -> new HashMap<>())
                            .merge(f.basedOnTime().toEpochMilli(), 1, Integer::sum);
                    if (n > 1 && !f.flags().contains(Forecast.Flag.REPLAYED)) {
                        unflagged.merge(f.streamId(), 1, Integer::sum);
                    }
                }
            }
            copies.forEach((s, m) -> System.out.printf("%s frames=%d extra_copies=%d unflagged_copies=%d%n", s,
                    m.size(), m.values().stream().mapToInt(i -> i - 1).sum(), unflagged.getOrDefault(s, 0)));
        }
    }
}
