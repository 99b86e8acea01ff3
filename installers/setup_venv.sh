#!/usr/bin/env bash
# Create (or update) a virtual environment holding the core: setup_venv.sh [VENV_DIR] [EXTRAS]
# Idempotent; pip skips what is already installed. Python 3.11 or newer is required.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
extras=${2:-dev}
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "Python 3.11 or newer is needed (found $("$python" --version 2>&1)); set PYTHON=..." >&2; exit 1; }
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
