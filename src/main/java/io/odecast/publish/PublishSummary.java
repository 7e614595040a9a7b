package io.odecast.publish;

import java.time.Instant;
import java.util.List;

/**
 * What a {@link FramePublisher#publish publish} call did.
 *
 * @param sent           frames acknowledged by the broker
 * @param dropped        frames left out by the random dropout
 * @param skippedMissing frames not sent because the source marks them missing (or, unless partial frames are
 *                       sent, because a whole channel is missing)
 * @param sentTimes      event times of the sent frames, as published (after any shift), in order
 */
public record PublishSummary(int sent, int dropped, int skippedMissing, List<Instant> sentTimes) {

    /** Copies the list. */
    public PublishSummary {
        sentTimes = List.copyOf(sentTimes);
    }

    @Override
    public String toString() {
        String span = sentTimes.isEmpty() ? "" : ", event times " + sentTimes.get(0) + " .. "
                + sentTimes.get(sentTimes.size() - 1);
        return "sent " + sent + ", dropped " + dropped + ", skipped " + skippedMissing + " missing" + span;
    }
}
