#!/usr/bin/env bash
# The fast tier: every test that fine-tunes no network (the others are marked `slow`), in under two
# minutes on 2 cores. For the edit-test loop; CI runs the full suite (tests/run.sh).
# Uses the venv tests/run.sh creates (made here if missing); Blender tests run only where their bpy
# venvs exist (tests/blender/setup_bpy_venvs.py), else they are skipped, saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash installers/setup_venv.sh .venv dev
exec .venv/bin/python -m pytest -ra -m "not slow" "$@"
