#!/usr/bin/env bash
# First-run set-up: a virtual environment with the core in .venv, then the demo on the bundled
# sample clip. Mattes land in out/blackswan_matte/ (one 8-bit grey PNG per frame, white = object).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup_venv.sh .venv
.venv/bin/vos-matte segment sample/blackswan.mp4 --mask sample/blackswan_mask.png -o out/blackswan_matte "$@"
echo "Mattes: $(pwd)/out/blackswan_matte/"
