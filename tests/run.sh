#!/usr/bin/env bash
# The test suite as CI runs it: set up the environments it needs, then pytest.
# Real data and weights are read from ../shared (override with VOS_SHARED_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup_venv.sh .venv dev
# Blender tests need PyPI's bpy, one venv per tested release (each its own Python and numpy); no Blender, no CI.
.venv/bin/python tests/blender/setup_bpy_venvs.py
exec .venv/bin/python -m pytest -ra "$@"
