#!/usr/bin/env bash
# Fetches the real data sets odecast uses from Debian packages (the only source reachable here) and links
# them under data/; also installs the headless browser the live-page test drives. Idempotent; needs root for apt-get only when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -f /usr/share/ncarg/data/cdf/Ustorm.cdf ] || need+=(libncarg-data)
[ -f /usr/share/doc/opencv-doc/examples/data/vtest.avi ] || need+=(opencv-doc)
command -v grib_set >/dev/null || need+=(libeccodes-tools)  # rebuilds the GRIB2 test fixture (scripts/make-grib-fixture.sh)
# The live page's browser test drives Debian's headless Chromium through chromium-driver (no download at test time);
# the pictures' titles and colour-bar labels need a font.
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core fontconfig)
if [ "${1:-}" = "--with-torch" ] && [ ! -d /usr/lib/python3/dist-packages/torch ]; then need+=(python3-torch); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "fetch-data: installing Debian packages: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
mkdir -p data/storm data/video
for f in Ustorm Vstorm Pstorm Tstorm U500storm V500storm; do
  ln -sf /usr/share/ncarg/data/cdf/$f.cdf data/storm/$f.cdf
done
ln -sf /usr/share/ncarg/data/cdf/fice.nc data/fice.nc
ln -sf /usr/share/ncarg/data/cdf/meccatemp.cdf data/meccatemp.cdf
ln -sf /usr/share/ncarg/data/cdf/hgt.nc data/hgt.nc
ln -sfn /usr/share/ncarg/data/grb data/grb
ln -sfn /usr/share/ncarg/data/shp data/shp
for f in vtest tree; do
  ln -sf /usr/share/doc/opencv-doc/examples/data/$f.avi data/video/$f.avi
done
echo "fetch-data: data/ ready" >&2
