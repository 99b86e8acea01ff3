#!/usr/bin/env bash
# The test suite as CI runs it: set up the environments it needs, then pytest.
# Real data and weights are read from ../shared (override with VOS_SHARED_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installers/setup_venv.sh .venv dev
if [ -f tests/blender/setup_bpy_venvs.sh ]; then
  # Blender tests need bpy wheels in their own venvs (bpy pins numpy<2); they skip, saying why, if this fails.
  bash tests/blender/setup_bpy_venvs.sh || echo "warning: could not create the bpy venvs; Blender tests will be skipped" >&2
fi
exec .venv/bin/python -m pytest -ra "$@"
