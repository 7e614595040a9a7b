package io.odecast.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutlinesTest {

    @Test
    void theUsStatesOfLibncargDataAreRingsOverTheContiguousUs() {
        Outlines states = Outlines.usStates().orElseThrow(() -> new AssertionError(
                "data/shp/states.shp absent: run scripts/fetch-data.sh (libncarg-data)"));
        assertTrue(states.rings().size() >= 49, states.rings().size() + " rings");
        for (double[] ring : states.rings()) {
            assertTrue(ring.length >= 6 && ring.length % 2 == 0, "a ring of at least 3 points");
            for (int i = 0; i < ring.length; i += 2) {
                assertTrue(ring[i] >= -125 && ring[i] <= -66.9, "longitude " + ring[i]);
                assertTrue(ring[i + 1] >= 24.9 && ring[i + 1] <= 49.4, "latitude " + ring[i + 1]);
            }
        }
    }

    @Test
    void aFileThatIsNotAShapefileIsRefusedNamingIt(@TempDir Path dir) throws Exception {
        Path bad = Files.write(dir.resolve("bad.shp"), new byte[200]);
        DataSourceException e = assertThrows(DataSourceException.class, () -> Outlines.readShapefile(bad));
        assertTrue(e.getMessage().contains("bad.shp"), e.getMessage());
    }
}
