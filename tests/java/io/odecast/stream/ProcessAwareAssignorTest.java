package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Partitions over processes first, then over their consumer loops; the case the range assignor gets wrong. */
class ProcessAwareAssignorTest {
    private static final String TOPIC = "frames";

    /** A group of {@code processes} instances with {@code loops} members each, ids as the service names them. */
    private static ConsumerPartitionAssignor.GroupSubscription group(int processes, int loops) {
        Map<String, ConsumerPartitionAssignor.Subscription> subs = new HashMap<>();
        for (int p = 0; p < processes; p++) {
            String process = "node-" + (char) ('a' + p);
            for (int k = 0; k < loops; k++) {
                String instance = k == 0 ? process : process + "-e" + k;
                var s = new ConsumerPartitionAssignor.Subscription(List.of(TOPIC),
                        ByteBuffer.wrap(process.getBytes(StandardCharsets.UTF_8)));
                s.setGroupInstanceId(Optional.of(instance));
                subs.put(instance + "-member-uuid", s);
            }
        }
        return new ConsumerPartitionAssignor.GroupSubscription(subs);
    }

    private static Cluster cluster(int partitions) {
        Node node = new Node(0, "localhost", 9092);
        List<PartitionInfo> infos = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            infos.add(new PartitionInfo(TOPIC, p, node, new Node[] {node}, new Node[] {node}));
        }
        return new Cluster("c", List.of(node), infos, Set.of(), Set.of());
    }

    /** Partitions per process (the member id's prefix before "-e" or "-member"). */
    private static Map<String, Integer> perProcess(ConsumerPartitionAssignor.GroupAssignment a) {
        Map<String, Integer> out = new HashMap<>();
        a.groupAssignment().forEach((id, assignment) -> out.merge(id.substring(0, 6), assignment.partitions().size(),
                Integer::sum));
        return out;
    }

    private static ConsumerPartitionAssignor.GroupAssignment assign(ConsumerPartitionAssignor assignor, int partitions,
                                                                   int processes, int loops) {
        return assignor.assign(cluster(partitions), group(processes, loops));
    }

    @Test
    void twoInstancesWithThreeLoopsEachShareThreePartitionsWhereTheRangeAssignorGivesOneInstanceAll() {
        Map<String, Integer> ours = perProcess(assign(new ProcessAwareAssignor(), 3, 2, 3));
        assertEquals(Map.of("node-a", 2, "node-b", 1), ours);
        // The member-only assignor this replaces: every partition on the first instance's loops.
        Map<String, Integer> range = perProcess(assign(new RangeAssignor(), 3, 2, 3));
        assertEquals(3, range.get("node-a"), "range assignment by member id: " + range);
    }

    @Test
    void everyPartitionExactlyOnceAndLoadsWithinOneAtEveryLevel() {
        for (int partitions : new int[] {1, 3, 4, 7, 12}) {
            for (int processes = 1; processes <= 3; processes++) {
                for (int loops = 1; loops <= 4; loops++) {
                    var a = assign(new ProcessAwareAssignor(), partitions, processes, loops);
                    Set<TopicPartition> seen = new HashSet<>();
                    a.groupAssignment().values().forEach(x -> x.partitions().forEach(tp ->
                            assertTrue(seen.add(tp), "twice: " + tp)));
                    assertEquals(partitions, seen.size());
                    var counts = perProcess(a).values();
                    int spread = counts.stream().mapToInt(i -> i).max().orElse(0)
                            - counts.stream().mapToInt(i -> i).min().orElse(0);
                    assertTrue(spread <= 1, partitions + " partitions, " + processes + " x " + loops + ": "
                            + perProcess(a));
                    var loopCounts = a.groupAssignment().values().stream().mapToInt(x -> x.partitions().size())
                            .toArray();
                    int most = java.util.Arrays.stream(loopCounts).max().orElse(0);
                    int least = java.util.Arrays.stream(loopCounts).min().orElse(0);
                    assertTrue(most - least <= 1, "loops of " + partitions + " partitions, " + processes + " x "
                            + loops);
                }
            }
        }
    }

    @Test
    void theSameMembershipGetsTheSameAssignmentAndTheSubscriptionNamesTheProcess() {
        Map<String, List<TopicPartition>> first = new HashMap<>();
        assign(new ProcessAwareAssignor(), 5, 2, 2).groupAssignment().forEach((id, x) -> first.put(id, x.partitions()));
        Map<String, List<TopicPartition>> second = new HashMap<>();
        assign(new ProcessAwareAssignor(), 5, 2, 2).groupAssignment().forEach((id, x) -> second.put(id, x.partitions()));
        assertEquals(first, second);
        ProcessAwareAssignor assignor = new ProcessAwareAssignor();
        assignor.configure(Map.of(ProcessAwareAssignor.PROCESS_CONFIG, "node-a"));
        assertEquals("node-a", StandardCharsets.UTF_8.decode(assignor.subscriptionUserData(Set.of(TOPIC))).toString());
    }

    /**
     * {@code processes} instances of {@code loops} bulk loops each, plus (with {@code lanes}) each one's priority lane,
     * their user data written by the assignor as each member configures it.
     */
    private static ConsumerPartitionAssignor.GroupSubscription laneGroup(int processes, int loops, boolean lanes) {
        Map<String, ConsumerPartitionAssignor.Subscription> subs = new HashMap<>();
        for (int p = 0; p < processes; p++) {
            String process = "node-" + (char) ('a' + p);
            for (int k = 0; k <= loops; k++) {
                boolean lane = k == loops;
                if (lane && !lanes) {
                    continue;
                }
                String instance = lane ? process + "-priority" : k == 0 ? process : process + "-e" + k;
                ProcessAwareAssignor member = new ProcessAwareAssignor();
                member.configure(Map.of(ProcessAwareAssignor.PROCESS_CONFIG, process,
                        ProcessAwareAssignor.LANE_CONFIG, Boolean.toString(lane),
                        ProcessAwareAssignor.RESERVED_CONFIG, "2"));
                var s = new ConsumerPartitionAssignor.Subscription(List.of(TOPIC),
                        member.subscriptionUserData(Set.of(TOPIC)));
                s.setGroupInstanceId(Optional.of(instance));
                subs.put(instance + "-member-uuid", s);
            }
        }
        return new ConsumerPartitionAssignor.GroupSubscription(subs);
    }

    private static ProcessAwareAssignor leader(int reserved) {
        ProcessAwareAssignor a = new ProcessAwareAssignor();
        a.configure(Map.of(ProcessAwareAssignor.PROCESS_CONFIG, "node-a", ProcessAwareAssignor.RESERVED_CONFIG,
                Integer.toString(reserved)));
        return a;
    }

    /** Partition numbers per member id. */
    private static Map<String, Set<Integer>> partitionsById(ConsumerPartitionAssignor.GroupAssignment a) {
        Map<String, Set<Integer>> out = new HashMap<>();
        a.groupAssignment().forEach((id, x) -> {
            Set<Integer> ps = new java.util.TreeSet<>();
            x.partitions().forEach(tp -> ps.add(tp.partition()));
            out.put(id.replace("-member-uuid", ""), ps);
        });
        return out;
    }

    @Test
    void priorityLanesTakeTheReservedPartitionsAndOnlyThoseOnePerProcess() {
        // 6 partitions, the last 2 reserved; 2 instances of 2 bulk loops and a lane each.
        Map<String, Set<Integer>> got = partitionsById(leader(2).assign(cluster(6), laneGroup(2, 2, true)));
        assertEquals(Map.of("node-a", Set.of(0), "node-b", Set.of(1), "node-a-e1", Set.of(2), "node-b-e1", Set.of(3),
                "node-a-priority", Set.of(4), "node-b-priority", Set.of(5)), got);
        // One instance: its lane owns both reserved partitions, its loops the other four.
        got = partitionsById(leader(2).assign(cluster(6), laneGroup(1, 2, true)));
        assertEquals(Map.of("node-a", Set.of(0, 2), "node-a-e1", Set.of(1, 3), "node-a-priority", Set.of(4, 5)), got);
    }

    @Test
    void reservedPartitionsAreNeverLeftUnassigned() {
        // Without lanes in the group (instances not yet configured for them) the loops take every partition.
        Map<String, Set<Integer>> got = partitionsById(leader(2).assign(cluster(4), laneGroup(2, 1, false)));
        assertEquals(Map.of("node-a", Set.of(0, 2), "node-b", Set.of(1, 3)), got);
        // At most all partitions but one are reserved: the bulk loops keep partition 0.
        got = partitionsById(leader(5).assign(cluster(3), laneGroup(1, 1, true)));
        assertEquals(Map.of("node-a", Set.of(0), "node-a-priority", Set.of(1, 2)), got);
        // A leader without the reservation deals every partition to every member, lanes included.
        for (int partitions : new int[] {1, 3, 7}) {
            var a = leader(0).assign(cluster(partitions), laneGroup(2, 2, true));
            Set<TopicPartition> seen = new HashSet<>();
            a.groupAssignment().values().forEach(x -> x.partitions().forEach(tp -> assertTrue(seen.add(tp), "twice")));
            assertEquals(partitions, seen.size());
        }
    }

    @Test
    void aLaneMarksItsSubscriptionAfterItsProcessName() {
        ProcessAwareAssignor lane = new ProcessAwareAssignor();
        lane.configure(Map.of(ProcessAwareAssignor.PROCESS_CONFIG, "node-a", ProcessAwareAssignor.LANE_CONFIG, "true"));
        assertEquals("node-a|priority", StandardCharsets.UTF_8.decode(lane.subscriptionUserData(Set.of(TOPIC)))
                .toString());
    }

    /** A member of process {@code process} (its own loop) that owns {@code owned} of the topic. */
    private static ConsumerPartitionAssignor.Subscription owning(String process, Integer... owned) {
        var s = new ConsumerPartitionAssignor.Subscription(List.of(TOPIC),
                ByteBuffer.wrap(process.getBytes(StandardCharsets.UTF_8)),
                java.util.Arrays.stream(owned).map(p -> new TopicPartition(TOPIC, p)).toList());
        s.setGroupInstanceId(Optional.of(process));
        return s;
    }

    /**
     * The rule the consumer enforces for cooperative assignors (ConsumerCoordinator.validateCooperativeAssignment): no
     * partition is given to a member in the same round as it is taken from another.
     */
    private static void assertNoPartitionMovesWhileOwned(Map<String, ConsumerPartitionAssignor.Subscription> subs,
                                                         ConsumerPartitionAssignor.GroupAssignment a) {
        Set<TopicPartition> added = new HashSet<>();
        Set<TopicPartition> revoked = new HashSet<>();
        a.groupAssignment().forEach((id, x) -> {
            Set<TopicPartition> add = new HashSet<>(x.partitions());
            subs.get(id).ownedPartitions().forEach(add::remove);
            Set<TopicPartition> rev = new HashSet<>(subs.get(id).ownedPartitions());
            x.partitions().forEach(rev::remove);
            added.addAll(add);
            revoked.addAll(rev);
        });
        added.retainAll(revoked);
        assertEquals(Set.of(), added, "partitions given while still owned elsewhere");
    }

    @Test
    void cooperativeAJoiningInstanceGetsItsPartitionOnlyOnceTheOwnerHasGivenItUp() {
        ProcessAwareAssignor assignor = new ProcessAwareAssignor();
        assertEquals(ConsumerPartitionAssignor.RebalanceProtocol.COOPERATIVE, assignor.supportedProtocols().get(0));
        // node-a owned all three partitions; node-b joins: a keeps two of them, b's one waits for a to give it up.
        Map<String, ConsumerPartitionAssignor.Subscription> round1 = Map.of("a", owning("node-a", 0, 1, 2),
                "b", owning("node-b"));
        var first = assignor.assign(cluster(3), new ConsumerPartitionAssignor.GroupSubscription(round1));
        assertNoPartitionMovesWhileOwned(round1, first);
        assertEquals(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)),
                first.groupAssignment().get("a").partitions(), "a keeps what stays with it, and gives up 2");
        assertEquals(List.of(), first.groupAssignment().get("b").partitions(), "2 is not b's while a still owns it");
        // a revoked 2 and rejoined: the second round gives it to b, and a keeps 0 and 1 throughout.
        Map<String, ConsumerPartitionAssignor.Subscription> round2 = Map.of("a", owning("node-a", 0, 1),
                "b", owning("node-b"));
        var second = assignor.assign(cluster(3), new ConsumerPartitionAssignor.GroupSubscription(round2));
        assertNoPartitionMovesWhileOwned(round2, second);
        assertEquals(List.of(new TopicPartition(TOPIC, 2)), second.groupAssignment().get("b").partitions());
        assertEquals(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)),
                second.groupAssignment().get("a").partitions());
        // A stale second claim (a member that missed a round) is taken from it; the first claimant keeps it.
        Map<String, ConsumerPartitionAssignor.Subscription> stale = Map.of("a", owning("node-a", 0, 1),
                "b", owning("node-b", 1, 2));
        var third = assignor.assign(cluster(3), new ConsumerPartitionAssignor.GroupSubscription(stale));
        assertNoPartitionMovesWhileOwned(stale, third);
        assertEquals(List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)),
                third.groupAssignment().get("a").partitions());
        assertEquals(List.of(new TopicPartition(TOPIC, 2)), third.groupAssignment().get("b").partitions());
    }

    @Test
    void stickyAJoinOrALeaveMovesOnlyThePartitionsTheBalanceNeeds() {
        ProcessAwareAssignor assignor = new ProcessAwareAssignor();
        for (int partitions : new int[] {3, 8, 12}) {
            // node-a with 4 loops owns everything (as a first assignment dealt it); node-b with 4 loops joins.
            Map<String, List<TopicPartition>> before = new HashMap<>();
            assign(assignor, partitions, 1, 4).groupAssignment().forEach((id, x) -> before.put(id, x.partitions()));
            Map<String, ConsumerPartitionAssignor.Subscription> subs = new HashMap<>();
            group(2, 4).groupSubscription().forEach((id, sub) -> {
                var s = new ConsumerPartitionAssignor.Subscription(sub.topics(), sub.userData(),
                        before.getOrDefault(id, List.of()));
                s.setGroupInstanceId(sub.groupInstanceId());
                subs.put(id, s);
            });
            // Two rounds, as the consumers run them: the target less what is still owned, then the rest.
            var round1 = assignor.assign(cluster(partitions), new ConsumerPartitionAssignor.GroupSubscription(subs));
            assertNoPartitionMovesWhileOwned(subs, round1);
            Map<String, ConsumerPartitionAssignor.Subscription> after = new HashMap<>();
            subs.forEach((id, sub) -> {
                var s = new ConsumerPartitionAssignor.Subscription(sub.topics(), sub.userData(),
                        round1.groupAssignment().get(id).partitions());
                s.setGroupInstanceId(sub.groupInstanceId());
                after.put(id, s);
            });
            var round2 = assignor.assign(cluster(partitions), new ConsumerPartitionAssignor.GroupSubscription(after));
            assertNoPartitionMovesWhileOwned(after, round2);
            int moved = 0;
            Set<TopicPartition> seen = new HashSet<>();
            for (var e : round2.groupAssignment().entrySet()) {
                for (TopicPartition tp : e.getValue().partitions()) {
                    assertTrue(seen.add(tp), "twice: " + tp);
                    if (!before.getOrDefault(e.getKey(), List.of()).contains(tp)) {
                        moved++;
                    }
                }
            }
            assertEquals(partitions, seen.size());
            assertEquals(partitions / 2, perProcess(round2).get("node-b"), partitions + " partitions: " + perProcess(round2));
            assertEquals(partitions / 2, moved, partitions + " partitions: only node-b's share moved");
            var counts = round2.groupAssignment().values().stream().mapToInt(x -> x.partitions().size()).toArray();
            assertTrue(java.util.Arrays.stream(counts).max().orElse(0) - java.util.Arrays.stream(counts).min()
                    .orElse(0) <= 1, "loops within one: " + java.util.Arrays.toString(counts));
        }
    }
}
