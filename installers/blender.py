"""One command for the Blender host: build + validate the extension zip, then create the runtime.

    python3 installers/blender.py [--runtime DIR | --no-runtime] [--cuda] [--out DIR] [--blender-ext PATH]

Works with any Python ≥ 3.11 that has pip. The zip is built from hosts/blender/vos_matte plus files
generated here, never committed as copies:
- ``_plugin/``: the core's standard-library worker client and job spec (plugin/client.py, events.py, jobs.py), so the
  add-on speaks exactly the protocol of the core it is built with, without importing the core;
- ``runtime/``: this repository's core as a wheel and installers/runtime_env.py, so the add-on's
  Install Runtime button works without the repository.
Blender's own extension tool (``blender_ext.py``, shipped in Blender and in PyPI's bpy) builds and
validates the zip: the one given with --blender-ext, else the one of the ``bpy`` this Python imports,
else that of the newest ``.venv-bpy-X.Y`` of the repository (run with that venv's Python), else that
of an installed Blender (``blender --command extension``): the ``blender`` on PATH, else one in the
usual install folders (:data:`BLENDER_INSTALLS`). Every failure ends with one sentence saying what
to install or pass.
"""

from __future__ import annotations

import argparse
import glob
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "hosts" / "blender" / "vos_matte"
VENDORED = ("client.py", "events.py", "jobs.py")
EXT_TOOL = "scripts/addons_core/bl_pkg/cli/blender_ext.py"
#: Where Blender is usually installed when it is not on PATH, per platform: globs, the first that matches wins
#: (of several matches of one glob, the newest version in the folder name).
BLENDER_INSTALLS = {
    "linux": ("~/blender*/blender", "/opt/blender*/blender", "/usr/bin/blender", "/snap/bin/blender"),
    "darwin": ("/Applications/Blender.app/Contents/MacOS/Blender", "~/Applications/Blender.app/Contents/MacOS/Blender"),
    "win32": (os.path.join(os.environ.get("ProgramFiles", r"C:\Program Files"), "Blender Foundation", "Blender *",
                           "blender.exe"),),
}
#: setuptools that builds the wheel on its own (pyproject.toml asks for ≥ 68; bdist_wheel is built in from 70.1).
SETUPTOOLS_OWN_WHEEL = (70, 1)


class InstallError(Exception):
    """A step cannot be done; the message is one sentence saying what to install or pass."""


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _dotted(name: str) -> str:
    """The first dotted version in ``name`` ("4.5.1" of "blender-4.5.1-linux-x64", not its "64"), or ""."""
    match = re.search(r"\d+(?:\.\d+)+", name)
    return match.group() if match else ""


def _last_line(proc: subprocess.CompletedProcess) -> str:
    lines = (proc.stderr or "").strip().splitlines() or (proc.stdout or "").strip().splitlines()
    return lines[-1].strip() if lines else f"exit status {proc.returncode}"


def _venv_python(tool: Path) -> Path | None:
    """The python of the venv whose site-packages holds ``tool`` (…/lib/pythonX.Y/site-packages/bpy/…)."""
    parts = tool.parts
    if "site-packages" not in parts:
        return None
    venv = Path(*parts[: parts.index("site-packages") - 2])
    python = venv / "bin" / "python"
    return python if python.exists() else None


def find_blender() -> Path | None:
    """An installed Blender's executable: the ``blender`` on PATH, else one in :data:`BLENDER_INSTALLS`."""
    on_path = shutil.which("blender")
    if on_path:
        return Path(on_path)
    for pattern in BLENDER_INSTALLS.get(sys.platform, ()):
        found = [Path(p) for p in glob.glob(os.path.expanduser(pattern)) if os.access(p, os.X_OK)]
        if found:
            return max(found, key=lambda path: _version(_dotted(path.parent.name)))
    return None


def find_blender_ext(explicit: Path | None) -> list[str]:
    """The command that runs Blender's extension tool: ``[python, blender_ext.py]``."""
    if explicit is not None:
        if not explicit.is_file():
            raise InstallError(f"--blender-ext {explicit} is not a file: pass the blender_ext.py of a Blender install or bpy venv.")
        return [str(_venv_python(explicit.resolve()) or sys.executable), str(explicit)]
    spec = importlib.util.find_spec("bpy")
    if spec is not None and spec.submodule_search_locations:
        found = sorted(Path(next(iter(spec.submodule_search_locations))).glob(f"*/{EXT_TOOL}"))
        if found:
            return [sys.executable, str(found[-1])]
    venvs = sorted(ROOT.glob(".venv-bpy-*"), key=lambda venv: _version(venv.name))
    for venv in reversed(venvs):
        found = sorted(venv.glob(f"lib/python*/site-packages/bpy/*/{EXT_TOOL}"))
        if found and (venv / "bin" / "python").exists():
            return [str(venv / "bin" / "python"), str(found[-1])]
    blender = find_blender()
    if blender is not None:
        return [str(blender), "--command", "extension"]  # Blender 4.2+ runs its blender_ext.py so
    raise InstallError("Blender's extension tool was not found: install Blender 4.2 or newer (or put its blender on "
                       "PATH), pass --blender-ext PATH/TO/blender_ext.py (inside a Blender install), or create a bpy "
                       "venv with tests/blender/setup_bpy_venvs.py.")


def _can_build_without_isolation() -> bool:
    """True if this Python's own setuptools builds our wheel, so no download is needed."""
    try:
        setuptools = _version(importlib.metadata.version("setuptools"))
    except importlib.metadata.PackageNotFoundError:
        return False
    return setuptools >= SETUPTOOLS_OWN_WHEEL or (setuptools >= (68,) and importlib.util.find_spec("wheel") is not None)


def build_wheel(dest: Path) -> Path:
    """Build the core's wheel into ``dest``: with this Python's setuptools if recent enough, else isolated."""
    if importlib.util.find_spec("pip") is None:
        raise InstallError(f"{sys.executable} has no pip: install it (Debian/Ubuntu: apt install python3-pip) "
                           "or run this with a virtual environment's python.")
    isolation = ["--no-build-isolation"] if _can_build_without_isolation() else []
    # -P: ``-m`` would otherwise put the current folder first on sys.path
    proc = subprocess.run([sys.executable, "-P", "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w", str(dest), str(ROOT)],
                          check=False, capture_output=True, text=True)
    wheels = sorted(dest.glob("vos_matte-*.whl"))
    if proc.returncode or not wheels:
        raise InstallError(f"Building the vos-matte wheel failed ({_last_line(proc)}): pip needs network access to fetch "
                           f"setuptools>=68, or install it first with: {sys.executable} -m pip install 'setuptools>=70.1'.")
    return wheels[-1]


def stage(build: Path) -> Path:
    """Copy the add-on and generate its ``_plugin`` and ``runtime`` folders under ``build``."""
    staged = build / "vos_matte"
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(SOURCE, staged, ignore=shutil.ignore_patterns("__pycache__", "_plugin", "runtime"))
    vendored = staged / "_plugin"
    vendored.mkdir()
    (vendored / "__init__.py").write_text('"""Generated by installers/blender.py from plugin/ (stdlib-only client)."""\n')
    for name in VENDORED:
        shutil.copy2(ROOT / "plugin" / name, vendored / name)
    shipped = staged / "runtime"
    shipped.mkdir()
    shutil.copy2(ROOT / "installers" / "runtime_env.py", shipped / "runtime_env.py")
    build_wheel(shipped)
    return staged


def _run_tool(tool: list[str], action: str, *args: str) -> None:
    proc = subprocess.run([*tool, action, *args], check=False, capture_output=True, text=True)
    if proc.returncode:
        raise InstallError(f"Blender's extension tool ({' '.join(tool)}) could not {action} the add-on: {_last_line(proc)}.")


def build_zip(staged: Path, out: Path, tool: list[str]) -> Path:
    """Build the zip from ``staged`` into ``out`` (replacing an older one) and validate it."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("vos_matte-*.zip"):
        old.unlink()
    _run_tool(tool, "build", "--source-dir", str(staged), "--output-dir", str(out))
    zip_path = next(out.glob("vos_matte-*.zip"))
    _run_tool(tool, "validate", str(zip_path))
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the zip goes (default: dist/)")
    parser.add_argument("--blender-ext", type=Path, help="Blender's blender_ext.py (default: found in a bpy install)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--runtime", type=Path, default=ROOT / ".venv-runtime", help="runtime folder (default: .venv-runtime)")
    where.add_argument("--no-runtime", action="store_true", help="only build the zip")
    parser.add_argument("--cuda", action="store_true", help="runtime with PyTorch's CUDA wheels (see runtime_env.py)")
    args = parser.parse_args(argv)
    if sys.version_info < (3, 11):  # noqa: UP036 - users run this with whatever python3 they have
        print(f"error: Python 3.11 or newer is needed (this is {sys.version.split()[0]}): run it with python3.11 or newer.",
              file=sys.stderr)
        return 1
    # a private build folder: two builds at once (a test run and a user's) must not share their staging
    with tempfile.TemporaryDirectory(prefix="vos_matte_build_") as build:
        try:
            tool = find_blender_ext(args.blender_ext)
            staged = stage(Path(build))
            zip_path = build_zip(staged, args.out.resolve(), tool)
        except InstallError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"extension: {zip_path}")
        if args.no_runtime:
            return 0
        wheel = next((staged / "runtime").glob("vos_matte-*.whl"))
        command = [sys.executable, str(ROOT / "installers" / "runtime_env.py"), "--target", str(args.runtime), "--core", str(wheel)]
        code = subprocess.run([*command, *(["--cuda"] if args.cuda else [])], check=False).returncode
    if code == 0:
        print(f"runtime: {args.runtime.resolve()} (set it in the add-on preferences, Runtime)")
    return code

if __name__ == "__main__":
    sys.exit(main())
