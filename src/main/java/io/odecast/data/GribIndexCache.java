package io.odecast.data;

import java.nio.file.Path;

import ucar.nc2.grib.collection.GribCollection;
import ucar.nc2.util.DiskCache2;

/**
 * Where NetCDF-Java keeps the index files it writes on first opening a GRIB file ({@code .gbx9}, {@code .ncx2}):
 * under the temporary folder, not beside the data, which may be read-only (Debian's) or a source tree (test
 * fixtures).
 */
final class GribIndexCache {

    private static boolean installed;

    private GribIndexCache() {
    }

    /** Points NetCDF-Java's GRIB index cache at {@code java.io.tmpdir/odecast-grib-index}; idempotent. */
    static synchronized void install() {
        if (installed) {
            return;
        }
        DiskCache2 cache = new DiskCache2(Path.of(System.getProperty("java.io.tmpdir"), "odecast-grib-index")
                .toString(), false, 0, 0);
        cache.setAlwaysUseCache(true);
        GribCollection.setDiskCache2(cache);
        installed = true;
    }
}
