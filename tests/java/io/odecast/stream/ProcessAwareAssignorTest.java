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
}
