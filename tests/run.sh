#!/usr/bin/env bash
# The test suite as CI runs it: set up the environments it needs, then pytest.
# Real data: DAVIS-2016 from $VOS_SHARED_DIR/davis2016, else ../shared/davis2016, else the folder
#   python3 installers/fetch_davis.py   # (verifies the unpacked dev sequences against a pinned digest)
# fills (~/.cache/vos-matte/shared/davis2016). Without it the DAVIS tests are skipped, saying so; with CI=true
# they fail instead. Weights: the bundled parent (vos_core/weights); only the parent-vs-ImageNet comparison
# needs shared/weights/vgg16_imagenet_caffe_bgr_fp16.pth (skipped without it, failed under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup_venv.sh .venv dev
# Blender tests need PyPI's bpy, one venv per tested release (each its own Python and numpy); no Blender, no CI.
.venv/bin/python tests/blender/setup_bpy_venvs.py
exec .venv/bin/python -m pytest -ra "$@"
