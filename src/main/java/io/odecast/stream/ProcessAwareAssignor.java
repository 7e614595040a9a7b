package io.odecast.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.TopicPartition;

/**
 * Spreads partitions over processes first, then over each process's consumer loops. Kafka's own assignors see
 * members only: with several service instances, each running several consumer loops ({@code engine.threads}), a
 * range assignment orders the members by id and can hand every partition to the loops of one instance while another
 * idles. Each member's subscription names its process (the instance id, in the user data); for every topic the
 * members are interleaved process by process (first loop of each process, then second loop of each, ...) and the
 * partitions dealt out in that order, so the partitions of a topic differ by at most one between processes, then
 * between the loops of a process. A member without the user data is a process of its own. Eager protocol, like the
 * range assignor it replaces; deterministic for a given membership, so a restarted static member gets its
 * partitions back.
 */
public final class ProcessAwareAssignor implements ConsumerPartitionAssignor, Configurable {
    /** Consumer property naming this member's process (the service's instance id). */
    public static final String PROCESS_CONFIG = "odecast.assignor.process";
    /** The name members agree on in the group protocol. */
    public static final String NAME = "odecast-process-aware";

    private String process = "";

    @Override
    public void configure(Map<String, ?> configs) {
        Object p = configs.get(PROCESS_CONFIG);
        process = p == null ? "" : p.toString();
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        return ByteBuffer.wrap(process.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** One member as the assignment sees it: its process, its order within the process, its topics. */
    record Member(String id, String process, String order, List<String> topics) {
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        List<Member> members = new ArrayList<>();
        Map<String, Integer> partitionsPerTopic = new HashMap<>();
        group.groupSubscription().forEach((id, s) -> {
            String order = s.groupInstanceId().orElse(id);
            String named = s.userData() == null ? "" : StandardCharsets.UTF_8.decode(s.userData().duplicate()).toString();
            members.add(new Member(id, named.isEmpty() ? order : named, order, s.topics()));
            for (String topic : s.topics()) {
                Integer n = metadata.partitionCountForTopic(topic);
                if (n != null) {
                    partitionsPerTopic.put(topic, n);
                }
            }
        });
        Map<String, Assignment> out = new HashMap<>();
        assign(partitionsPerTopic, members).forEach((id, partitions) -> out.put(id, new Assignment(partitions)));
        return new GroupAssignment(out);
    }

    /** Partitions per member id; every member appears, with an empty list when it gets nothing. */
    static Map<String, List<TopicPartition>> assign(Map<String, Integer> partitionsPerTopic, List<Member> members) {
        Map<String, List<TopicPartition>> out = new HashMap<>();
        members.forEach(m -> out.put(m.id(), new ArrayList<>()));
        for (String topic : new TreeSet<>(partitionsPerTopic.keySet())) {
            Map<String, List<Member>> byProcess = new TreeMap<>();
            for (Member m : members) {
                if (m.topics().contains(topic)) {
                    byProcess.computeIfAbsent(m.process(), k -> new ArrayList<>()).add(m);
                }
            }
            if (byProcess.isEmpty()) {
                continue;
            }
            byProcess.values().forEach(l -> l.sort(Comparator.comparing(Member::order).thenComparing(Member::id)));
            List<Member> dealing = new ArrayList<>();
            int most = byProcess.values().stream().mapToInt(List::size).max().orElse(0);
            for (int round = 0; round < most; round++) {
                for (List<Member> loops : byProcess.values()) {
                    if (round < loops.size()) {
                        dealing.add(loops.get(round));
                    }
                }
            }
            int n = partitionsPerTopic.get(topic);
            for (int p = 0; p < n; p++) {
                out.get(dealing.get(p % dealing.size()).id()).add(new TopicPartition(topic, p));
            }
        }
        return out;
    }
}
