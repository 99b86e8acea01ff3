"""Create one venv per tested Blender release holding PyPI's ``bpy`` (Blender as a Python module).

    python tests/blender/setup_bpy_venvs.py [SHORT ...]      (default: every release in releases.py)

Each release gets its own venv because each needs its own CPython (bpy 4.x: 3.11, bpy ≥ 5.1: 3.13)
and NumPy (1.x before 5.0, ≥ 2.2 after). The CPython comes from PATH (``python3.13``) or pyenv
(installed with ``pyenv install`` when missing). Idempotent: a venv whose ``import bpy`` already
reports the wanted version is left alone. Any release that cannot be set up fails the whole run
with one sentence saying why: CI must not pass without its Blender tests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from releases import RELEASES, Release


class SetupError(Exception):
    """A release cannot be set up; the message says why and what to do."""


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, capture_output=True, text=True)


def _reports_minor(python: str, minor: str) -> bool:
    return _run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stdout.strip() == minor


def find_python(minor: str) -> str:
    """A CPython ``minor`` (e.g. "3.13") interpreter: on PATH, else from pyenv (installing it if needed)."""
    on_path = shutil.which(f"python{minor}")
    if on_path and _reports_minor(on_path, minor):
        return on_path
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        raise SetupError(f"Python {minor} is needed and neither python{minor} nor pyenv is on PATH: install Python {minor}.")
    if not _run([pyenv, "latest", minor]).stdout.strip():
        print(f"setup_bpy_venvs: pyenv install {minor} (compiles CPython; minutes)", flush=True)
        installed = _run([pyenv, "install", "--skip-existing", minor])
        if installed.returncode:
            tail = (installed.stderr.strip().splitlines() or ["no message"])[-1]
            raise SetupError(f"Python {minor} is needed and `pyenv install {minor}` failed: {tail}")
    version = _run([pyenv, "latest", minor]).stdout.strip()
    prefix = _run([pyenv, "prefix", version]).stdout.strip()
    python = f"{prefix}/bin/python{minor}"
    if not prefix or not _reports_minor(python, minor):
        raise SetupError(f"pyenv lists Python {version or minor} but {python} does not run: reinstall it with pyenv.")
    return python


def is_ready(release: Release) -> bool:
    check = "import bpy, sys; sys.exit(bpy.app.version_string.split()[0] != sys.argv[1])"
    return release.python_exe.exists() and _run([str(release.python_exe), "-c", check, release.bpy]).returncode == 0


def create(release: Release) -> None:
    """Make ``release.venv`` with its bpy wheel; SetupError if that is impossible."""
    if is_ready(release):
        print(f"setup_bpy_venvs: {release.venv.name} already has bpy {release.bpy}", flush=True)
        return
    python = find_python(release.python)
    print(f"setup_bpy_venvs: creating {release.venv.name} (Python {release.python}, bpy {release.bpy})", flush=True)
    shutil.rmtree(release.venv, ignore_errors=True)
    for step in ([python, "-m", "venv", str(release.venv)],
                 [str(release.python_exe), "-m", "pip", "install", "-q", f"bpy=={release.bpy}", *release.pins]):
        done = _run(step)
        if done.returncode:
            shutil.rmtree(release.venv, ignore_errors=True)
            tail = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise SetupError(f"bpy {release.bpy} could not be installed for Blender {release.short} ({tail}).")
    if not is_ready(release):
        raise SetupError(f"bpy {release.bpy} installed in {release.venv} but `import bpy` fails there.")


def main(argv: list[str]) -> int:
    wanted = [r for r in RELEASES if not argv or r.short in argv]
    try:
        for release in wanted:
            create(release)
    except SetupError as exc:
        print(f"setup_bpy_venvs: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
