#!/usr/bin/env bash
# Create one venv per tested Blender version holding PyPI's `bpy` (Blender as a Python module).
# Each gets its own venv because bpy pins numpy<2, which the core runtime does not.
# Idempotent: a venv whose `import bpy` already works is left alone. A version that cannot be
# installed (no wheel, no network) is reported and skipped; the tests then skip with that reason.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
declare -A VERSIONS=([4.5]="4.5.15" [5.0]="5.0.1")

for short in 4.5 5.0; do
    venv="$ROOT/.venv-bpy-$short"
    pin="bpy==${VERSIONS[$short]}"
    if "$venv/bin/python" -c "import bpy, sys; sys.exit(bpy.app.version_string.split()[0] != '${VERSIONS[$short]}')" 2>/dev/null; then
        echo "setup_bpy_venvs: $venv already has $pin"
        continue
    fi
    echo "setup_bpy_venvs: creating $venv with $pin"
    rm -rf "$venv"
    if "$PYTHON" -m venv "$venv" && "$venv/bin/python" -m pip install -q "$pin"; then
        echo "setup_bpy_venvs: $venv ready"
    else
        echo "setup_bpy_venvs: could not install $pin; Blender $short tests will be skipped" >&2
        rm -rf "$venv"  # a missing Blender is a skip, not a failure of the set-up
    fi
done
