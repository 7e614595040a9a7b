package io.odecast.stream;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * State snapshots on the compacted state topic.
 *
 * @param everyFrames a stream's state is snapshotted after this many absorbed frames (0: not by count)
 * @param every       ... or once its oldest unsnapshotted frame is this old (wall clock; zero: not by time),
 *                    whichever comes first, so that a slow stream does not make a restart replay hours of input
 * @param restore     whether streams are restored from the state topic when their partition is assigned
 */
public record SnapshotSettings(int everyFrames, Duration every, boolean restore) {

    public SnapshotSettings {
        if (everyFrames < 0) {
            throw new IllegalArgumentException("odecast.snapshot.every-frames must be >= 0 (0: not by count), got "
                    + everyFrames);
        }
        if (every.isNegative()) {
            throw new IllegalArgumentException("odecast.snapshot.every must not be negative (0s: not by time), got "
                    + every);
        }
    }

    /** Whether snapshots are written at all. */
    public boolean enabled() {
        return everyFrames > 0 || !every.isZero();
    }

    static SnapshotSettings fromConfig(Config c) {
        return new SnapshotSettings(c.getInt("every-frames"), c.getDuration("every"), c.getBoolean("restore"));
    }
}
