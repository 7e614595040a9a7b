package io.odecast.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
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
 * partitions are balanced over the processes, then over each process's loops (counts within one at each level), and
 * sticky: members keep what they own within their counts, and only the rest is dealt, process by process (first loop
 * of each process, then second loop of each, ...). A member without the user data is a process of its own.
 * Deterministic for a given membership and ownership, so a restarted static member gets its partitions back.
 *
 * <p>Cooperative rebalancing (KIP-429), with the eager protocol as the fallback: when an instance joins or leaves,
 * only the partitions that move are revoked; the others stay with their loops, states in memory, and keep being
 * processed through the rebalance. A partition whose target member differs from the member that still owns it is left
 * out of this round (the protocol forbids giving a partition to a new owner while another still holds it); its owner
 * gives it up (snapshot and commit) and rejoins, and the next round assigns it. Under the eager protocol members own
 * nothing when they join, and that step changes nothing.
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
    /**
     * Consumer property (a {@link Runnable}, passed as an object in the consumer's configuration map): called when this
     * member is about to join a rebalance (its subscription is being written for a JoinGroup). Under the cooperative
     * protocol the consumer keeps returning records of the partitions it keeps while the rebalance is in progress, but
     * an offset commit then fails (no stable generation), so the engine holds its steps and commits from this call
     * until {@code onPartitionsAssigned} (the end of the round), as Kafka Streams does.
     */
    public static final String REBALANCE_START_CONFIG = "odecast.assignor.on-rebalance-start";
    /** Marks a priority lane in the subscription's user data, after the process name (which never holds it). */
    static final String LANE_MARK = "|priority";

    private String process = "";
    private boolean lane;
    private int reserved;
    private Runnable onRebalanceStart = () -> { };

    @Override
    public void configure(Map<String, ?> configs) {
        Object p = configs.get(PROCESS_CONFIG);
        process = p == null ? "" : p.toString();
        Object l = configs.get(LANE_CONFIG);
        lane = l != null && Boolean.parseBoolean(l.toString());
        Object r = configs.get(RESERVED_CONFIG);
        reserved = r == null ? 0 : Math.max(0, Integer.parseInt(r.toString()));
        if (configs.get(REBALANCE_START_CONFIG) instanceof Runnable callback) {
            onRebalanceStart = callback;
        }
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        // Called for every JoinGroup this member sends: a rebalance round starts.
        onRebalanceStart.run();
        return ByteBuffer.wrap((process + (lane ? LANE_MARK : "")).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<RebalanceProtocol> supportedProtocols() {
        return List.of(RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER);
    }

    /** One member as the assignment sees it: its process, its order within the process, its topics, its lane. */
    record Member(String id, String process, String order, List<String> topics, boolean lane) {
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
        Map<String, List<TopicPartition>> owned = new HashMap<>();
        group.groupSubscription().forEach((id, s) -> owned.put(id, s.ownedPartitions()));
        Map<String, Assignment> out = new HashMap<>();
        withoutTransfers(assign(partitionsPerTopic, members, reserved, owned), owned)
                .forEach((id, partitions) -> out.put(id, new Assignment(partitions)));
        return new GroupAssignment(out);
    }

    /**
     * Partitions per member id; every member appears, with an empty list when it gets nothing. The last
     * {@code reserved} partitions of each topic (at most all but one) go to the lane members, the others to the rest;
     * when either side has no members, every member takes from every partition.
     */
    static Map<String, List<TopicPartition>> assign(Map<String, Integer> partitionsPerTopic, List<Member> members,
                                                    int reserved, Map<String, List<TopicPartition>> owned) {
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
            int lanePartitions = io.odecast.kafka.FramePartitioner.reservedCount(n, reserved);
            if (lanePartitions <= 0 || lanes.isEmpty() || bulk.isEmpty()) {
                // No reservation, or one side without members: every member takes from every partition.
                deal(topic, 0, n, subscribed, owned, out);
                continue;
            }
            deal(topic, 0, n - lanePartitions, bulk, owned, out);
            deal(topic, n - lanePartitions, n, lanes, owned, out);
        }
        return out;
    }

    /**
     * The target assignment less the partitions that would move while still owned: a partition stays in its target
     * member's list when nobody owns it or that member does (a stale second claim is simply revoked from its holder),
     * and waits for the next round when another member owns it.
     */
    static Map<String, List<TopicPartition>> withoutTransfers(Map<String, List<TopicPartition>> target,
                                                              Map<String, List<TopicPartition>> owned) {
        Map<TopicPartition, Set<String>> owners = new HashMap<>();
        owned.forEach((id, partitions) -> partitions.forEach(tp ->
                owners.computeIfAbsent(tp, k -> new TreeSet<>()).add(id)));
        Map<String, List<TopicPartition>> out = new HashMap<>();
        target.forEach((id, partitions) -> out.put(id, partitions.stream()
                .filter(tp -> owners.getOrDefault(tp, Set.of()).isEmpty() || owners.get(tp).contains(id))
                .collect(java.util.stream.Collectors.toCollection(ArrayList::new))));
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

    /**
     * Partitions {@code from} (inclusive) to {@code to} of {@code topic} dealt to {@code members}, balanced first over
     * their processes, then over each process's loops (counts differ by at most one at each level), and sticky: a
     * member keeps the partitions it owns now up to its count, and only the rest move. The extra partitions of an uneven
     * split go to the processes, then the loops, that own the most now (ties: in name order), so that a join or a
     * leave moves as few partitions as the balance needs; the rest are dealt in turn, process by process, in partition
     * order. With nothing owned (a first assignment, the eager protocol) this is the plain round-robin of the
     * interleaved members.
     */
    private static void deal(String topic, int from, int to, List<Member> members,
                             Map<String, List<TopicPartition>> owned, Map<String, List<TopicPartition>> out) {
        List<Member> dealing = interleaved(members);
        Map<String, Set<Integer>> holds = new HashMap<>();
        for (Member m : dealing) {
            Set<Integer> mine = new TreeSet<>();
            for (TopicPartition tp : owned.getOrDefault(m.id(), List.of())) {
                if (tp.topic().equals(topic) && tp.partition() >= from && tp.partition() < to) {
                    mine.add(tp.partition());
                }
            }
            holds.put(m.id(), mine);
        }
        // Counts per process, then per loop.
        Map<String, List<Member>> byProcess = new TreeMap<>();
        for (Member m : dealing) {
            byProcess.computeIfAbsent(m.process(), k -> new ArrayList<>()).add(m);
        }
        Map<String, Integer> quota = new HashMap<>();
        Map<String, Integer> processQuota = split(to - from, new ArrayList<>(byProcess.keySet()),
                process -> byProcess.get(process).stream().mapToInt(m -> holds.get(m.id()).size()).sum());
        byProcess.forEach((process, loops) -> quota.putAll(split(processQuota.get(process),
                loops.stream().map(Member::id).toList(), id -> holds.get(id).size())));
        // Keep what is owned, within the counts; a partition claimed twice stays with the first claimant in turn.
        Set<Integer> placed = new HashSet<>();
        Map<String, List<Integer>> mine = new HashMap<>();
        for (Member m : dealing) {
            List<Integer> kept = new ArrayList<>();
            for (int p : holds.get(m.id())) {
                if (kept.size() < quota.get(m.id()) && placed.add(p)) {
                    kept.add(p);
                }
            }
            mine.put(m.id(), kept);
        }
        // The rest in partition order, to the members with room, in turn.
        int turn = 0;
        for (int p = from; p < to; p++) {
            if (placed.contains(p)) {
                continue;
            }
            for (int tries = 0; tries < dealing.size(); tries++) {
                Member m = dealing.get(turn++ % dealing.size());
                if (mine.get(m.id()).size() < quota.get(m.id())) {
                    mine.get(m.id()).add(p);
                    break;
                }
            }
        }
        for (Member m : dealing) {
            mine.get(m.id()).stream().sorted().forEach(p -> out.get(m.id()).add(new TopicPartition(topic, p)));
        }
    }

    /**
     * {@code total} split over {@code names} (in their order): each gets {@code total / n}, and the remainder goes one
     * each to those with the highest {@code owns}, earlier names first among equals.
     */
    private static Map<String, Integer> split(int total, List<String> names,
                                              java.util.function.ToIntFunction<String> owns) {
        Map<String, Integer> out = new HashMap<>();
        int n = names.size();
        names.forEach(name -> out.put(name, total / n));
        List<String> byOwned = new ArrayList<>(names);
        byOwned.sort(Comparator.comparingInt(owns).reversed()); // stable: name order among equals
        for (int i = 0; i < total % n; i++) {
            out.merge(byOwned.get(i), 1, Integer::sum);
        }
        return out;
    }
}
