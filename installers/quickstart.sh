#!/usr/bin/env bash
# First-run set-up: a virtual environment with the core in .venv, then the demo on the bundled
# sample clip: out/blackswan_matte/ (one 8-bit grey PNG per frame, white = object) and
# out/blackswan_on_green.mp4 (the cut-out object over green, to watch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup_venv.sh .venv
.venv/bin/vos-matte segment sample/blackswan.mp4 --mask sample/blackswan_mask.png \
  -o out/blackswan_matte --composite out/blackswan_on_green.mp4 --background green "$@"
echo "Mattes: $(pwd)/out/blackswan_matte/  Preview: $(pwd)/out/blackswan_on_green.mp4"
