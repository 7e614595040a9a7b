package io.odecast.stream;

import com.typesafe.config.Config;

/**
 * State snapshots on the compacted state topic.
 *
 * @param everyFrames a stream's state is snapshotted after every this many accepted frames (and when it is
 *                    evicted); 0 disables snapshots, restore and the commit hold-back they need
 * @param restore     whether to read the state topic at start and seed streams from it
 */
public record SnapshotSettings(int everyFrames, boolean restore) {

    public SnapshotSettings {
        if (everyFrames < 0) {
            throw new IllegalArgumentException("odecast.snapshot.every-frames must be >= 0 (0 disables), got "
                    + everyFrames);
        }
    }

    /** Whether snapshots are written at all. */
    public boolean enabled() {
        return everyFrames > 0;
    }

    static SnapshotSettings fromConfig(Config c) {
        return new SnapshotSettings(c.getInt("every-frames"), c.getBoolean("restore"));
    }
}
