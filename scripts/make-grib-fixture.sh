#!/usr/bin/env bash
# Builds tests/resources/fixtures/grib/nam212-hourly.grb2 (or the file named by its argument): a ten-step hourly GRIB2 time sequence for the tests,
# from the one-time NAM file of Debian's libncarg-data (fh.0012_tl.press_gr.awp211.grb2, 12 h forecast of
# 2007-01-24 00Z on the 93x65 Lambert grid 211). Step k holds temperature (t) and geopotential height (gh) of
# the pressure level 1000 - 50k hPa, relabelled as 500 hPa with reference time 0k:00, so that the sequence
# changes smoothly from step to step as real fields do; each message is set with ecCodes' grib_set and the
# messages are concatenated with cat. NetCDF-Java reads the result with reftime and time axes of length 10
# (valid times 12Z..21Z). Needs Debian's libeccodes-tools (scripts/fetch-data.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/share/ncarg/data/grb/fh.0012_tl.press_gr.awp211.grb2
out=${1:-tests/resources/fixtures/grib/nam212-hourly.grb2}
[ -f "$src" ] || { echo "make-grib-fixture: $src absent; run scripts/fetch-data.sh" >&2; exit 1; }
command -v grib_set >/dev/null || { echo "make-grib-fixture: grib_set absent; apt-get install libeccodes-tools" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$(dirname "$out")"
parts=()
for k in 0 1 2 3 4 5 6 7 8 9; do
  level=$((1000 - 50 * k))
  for v in t gh; do
    grib_copy -w shortName=$v,typeOfLevel=isobaricInhPa,level=$level "$src" "$tmp/in.grb2"
    grib_set -s level=500,dataTime=$(printf %02d00 $k) "$tmp/in.grb2" "$tmp/$k-$v.grb2"
    parts+=("$tmp/$k-$v.grb2")
  done
done
cat "${parts[@]}" > "$out"
echo "make-grib-fixture: wrote $out ($(stat -c %s "$out") bytes)" >&2
