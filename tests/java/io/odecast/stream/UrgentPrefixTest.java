package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an urgent step takes of a partition's buffer (high-priority frames marked 'U', others '.'): up to the first
 * high-priority frame, or to the last one within the partition's share of a normal step, and where the next one
 * then sits.
 */
class UrgentPrefixTest {
    private static int[] cut(String buffer, int share) {
        List<Character> queue = new ArrayList<>();
        for (char c : buffer.toCharArray()) {
            queue.add(c);
        }
        int firstAt = buffer.indexOf('U') + 1;
        return StreamEngine.urgentPrefix(queue, c -> c == 'U', firstAt, share);
    }

    @Test
    void aLoneHighPriorityFrameTakesTheRecordsBeforeItAndNoMore() {
        assertArrayEquals(new int[] {4, 0}, cut("...U....", 2), "beyond the share: still up to the frame itself");
        assertArrayEquals(new int[] {4, 0}, cut("...U....", 100), "nothing more to serve: the rest waits its turn");
    }

    @Test
    void denseHighPriorityFramesRunAsStepsOfTheShare() {
        // Before: a backlog with a high-priority frame every 4 records was taken whole, up to the last one.
        assertArrayEquals(new int[] {8, 4}, cut("...U...U...U...U", 10), "two within the share; the next 4 later");
        assertArrayEquals(new int[] {16, 0}, cut("...U...U...U...U", 16));
        assertArrayEquals(new int[] {4, 4}, cut("...U...U...U...U", 1), "a share below the first: up to the first");
    }

    @Test
    void theNextPositionCountsFromWhatIsLeft() {
        int[] first = cut("U.U.....U..", 3);
        assertArrayEquals(new int[] {3, 6}, first);
        // What is left: ".....U.." with the next at 6.
        assertArrayEquals(new int[] {6, 0}, StreamEngine.urgentPrefix(List.of('.', '.', '.', '.', '.', 'U', '.', '.'),
                c -> c == 'U', first[1], 3));
    }
}
