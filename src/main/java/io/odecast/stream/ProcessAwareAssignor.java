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
 *
 * <p>Priority lanes ({@code odecast.kafka.priority-partitions}): the last N partitions of each topic are reserved for
 * high-priority streams, and each process runs one more loop, its priority lane, that takes those partitions only;
 * the other loops take the rest. A high-priority frame then never waits behind a bulk step of its own loop, nor
 * behind bulk records of its own partition. Without a lane member in the group the reserved partitions go to the
 * other loops (and without any other member, everything to the lanes), so nothing is ever left unassigned. The group
 * leader's N decides; every instance of a group should use the same.
 */
public final class ProcessAwareAssignor implements ConsumerPartitionAssignor, Configurable {
    /** Consumer property naming this member's process (the service's instance id). */
    public static final String PROCESS_CONFIG = "odecast.assignor.process";
    /** The name members agree on in the group protocol. */
    public static final String NAME = "odecast-process-aware";
    /** Consumer property: whether this member is its process's priority lane (takes the reserved partitions). */
    public static final String LANE_CONFIG = "odecast.assignor.priority-lane";
    /** Consumer property: how many partitions, the last of each topic, are reserved for priority lanes. */
    public static final String RESERVED_CONFIG = "odecast.assignor.priority-partitions";
    /** Marks a priority lane in the subscription's user data, after the process name (which never holds it). */
    static final String LANE_MARK = "|priority";

    private String process = "";
    private boolean lane;
    private int reserved;

    @Override
    public void configure(Map<String, ?> configs) {
        Object p = configs.get(PROCESS_CONFIG);
        process = p == null ? "" : p.toString();
        Object l = configs.get(LANE_CONFIG);
        lane = l != null && Boolean.parseBoolean(l.toString());
        Object r = configs.get(RESERVED_CONFIG);
        reserved = r == null ? 0 : Math.max(0, Integer.parseInt(r.toString()));
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        return ByteBuffer.wrap((process + (lane ? LANE_MARK : "")).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** One member as the assignment sees it: its process, its order within the process, its topics, its lane. */
    record Member(String id, String process, String order, List<String> topics, boolean lane) {
        Member(String id, String process, String order, List<String> topics) {
            this(id, process, order, topics, false);
        }
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        List<Member> members = new ArrayList<>();
        Map<String, Integer> partitionsPerTopic = new HashMap<>();
        group.groupSubscription().forEach((id, s) -> {
            String order = s.groupInstanceId().orElse(id);
            String named = s.userData() == null ? "" : StandardCharsets.UTF_8.decode(s.userData().duplicate()).toString();
            boolean isLane = named.endsWith(LANE_MARK);
            if (isLane) {
                named = named.substring(0, named.length() - LANE_MARK.length());
            }
            members.add(new Member(id, named.isEmpty() ? order : named, order, s.topics(), isLane));
            for (String topic : s.topics()) {
                Integer n = metadata.partitionCountForTopic(topic);
                if (n != null) {
                    partitionsPerTopic.put(topic, n);
                }
            }
        });
        Map<String, Assignment> out = new HashMap<>();
        assign(partitionsPerTopic, members, reserved).forEach((id, partitions) -> out.put(id, new Assignment(partitions)));
        return new GroupAssignment(out);
    }

    /** Partitions per member id, no partitions reserved for priority lanes. */
    static Map<String, List<TopicPartition>> assign(Map<String, Integer> partitionsPerTopic, List<Member> members) {
        return assign(partitionsPerTopic, members, 0);
    }

    /**
     * Partitions per member id; every member appears, with an empty list when it gets nothing. The last
     * {@code reserved} partitions of each topic (at most all but one) go to the lane members, the others to the rest;
     * when either side has no members, every member takes from every partition.
     */
    static Map<String, List<TopicPartition>> assign(Map<String, Integer> partitionsPerTopic, List<Member> members,
                                                    int reserved) {
        Map<String, List<TopicPartition>> out = new HashMap<>();
        members.forEach(m -> out.put(m.id(), new ArrayList<>()));
        for (String topic : new TreeSet<>(partitionsPerTopic.keySet())) {
            List<Member> subscribed = members.stream().filter(m -> m.topics().contains(topic)).toList();
            if (subscribed.isEmpty()) {
                continue;
            }
            List<Member> lanes = subscribed.stream().filter(Member::lane).toList();
            List<Member> bulk = subscribed.stream().filter(m -> !m.lane()).toList();
            int n = partitionsPerTopic.get(topic);
            int lanePartitions = Math.min(reserved, n - 1);
            if (lanePartitions <= 0 || lanes.isEmpty() || bulk.isEmpty()) {
                // No reservation, or one side without members: every member takes from every partition.
                deal(topic, 0, n, interleaved(subscribed), out);
                continue;
            }
            deal(topic, 0, n - lanePartitions, interleaved(bulk), out);
            deal(topic, n - lanePartitions, n, interleaved(lanes), out);
        }
        return out;
    }

    /** The members interleaved process by process: the first loop of each process, then the second of each, ... */
    private static List<Member> interleaved(List<Member> members) {
        Map<String, List<Member>> byProcess = new TreeMap<>();
        for (Member m : members) {
            byProcess.computeIfAbsent(m.process(), k -> new ArrayList<>()).add(m);
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
        return dealing;
    }

    /** Partitions {@code from} (inclusive) to {@code to} of {@code topic} dealt out to {@code dealing} in turn. */
    private static void deal(String topic, int from, int to, List<Member> dealing,
                             Map<String, List<TopicPartition>> out) {
        for (int p = from; p < to; p++) {
            out.get(dealing.get((p - from) % dealing.size()).id()).add(new TopicPartition(topic, p));
        }
    }
}
