package io.odecast.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an urgent step takes of a partition's buffer (high-priority frames marked 'U', others '.'): up to the first
 * high-priority frame, or to the last one within the partition's share of a normal step.
 */
class UrgentPrefixTest {
    private static int cut(String buffer, int share) {
        List<Character> queue = new ArrayList<>();
        for (char c : buffer.toCharArray()) {
            queue.add(c);
        }
        return StreamEngine.urgentPrefix(queue, c -> c == 'U', share);
    }

    @Test
    void aLoneHighPriorityFrameTakesTheRecordsBeforeItAndNoMore() {
        assertEquals(4, cut("...U....", 2), "beyond the share: still up to the frame itself");
        assertEquals(4, cut("...U....", 100), "nothing more to serve: the rest waits its turn");
        assertEquals(0, cut("........", 4), "no high-priority frame: nothing");
    }

    @Test
    void denseHighPriorityFramesRunAsStepsOfTheShare() {
        // Before: a backlog with a high-priority frame every 4 records was taken whole, up to the last one.
        assertEquals(8, cut("...U...U...U...U", 10), "the two within the share");
        assertEquals(16, cut("...U...U...U...U", 16));
        assertEquals(4, cut("...U...U...U...U", 1), "a share below the first: up to the first");
    }

    @Test
    void whatIsLeftIsTakenByTheNextSteps() {
        String buffer = "U.U.....U..";
        List<Integer> steps = new ArrayList<>();
        for (int n = cut(buffer, 3); n > 0; n = cut(buffer, 3)) {
            steps.add(n);
            buffer = buffer.substring(n);
        }
        assertEquals(List.of(3, 6), steps, "'U.U' then '.....U'");
        assertEquals("..", buffer, "the records after the last high-priority frame wait for a normal step");
    }
}
