"""Create the runtime environment the Blender add-on runs the core in. Standard library only.

    python runtime_env.py --target DIR [--core WHEEL_OR_SOURCE_DIR] [--torch-index-url URL]

Shipped inside the extension too (its Install Runtime button runs it with Blender's Python), so
it must not import anything from the repository. Idempotent: pip skips what is installed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import venv
from pathlib import Path

#: PyPI's builds run on CPU everywhere (on Linux they also carry CUDA); these two are tested together.
TORCH = ("torch==2.14.1", "torchvision==0.29.1")
#: A CUDA build for platforms where PyPI's torch is CPU-only (Windows).
CUDA_INDEX = "https://download.pytorch.org/whl/cu128"


#: For every Python started here: ``-m`` would otherwise put the current folder first on sys.path,
#: and Install Runtime inherits Blender's current folder, which may be a shared one such as /tmp.
SAFE_ENV = {**os.environ, "PYTHONSAFEPATH": "1"}


def python_of(target: Path) -> Path:
    return target / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


class InstallError(Exception):
    """A step failed; the message is one sentence saying what to do."""


def pip(python: Path, *args: str) -> None:
    print("+ pip install", " ".join(args), flush=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", *args], check=False, env=SAFE_ENV)
    if done.returncode:
        raise InstallError(f"pip could not install {' '.join(a for a in args if not a.startswith('-'))} (its messages are "
                           "above): check the network connection, or pass another --torch-index-url.")


def create(target: Path, core: str, torch_index_url: str | None = None, editable: bool = False) -> Path:
    """Make (or update) the venv at ``target`` with PyTorch and the core; return its python."""
    python = python_of(target)
    if not python.exists():
        print(f"creating {target}", flush=True)
        try:
            venv.create(target, with_pip=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise InstallError(f"{sys.executable} cannot create a virtual environment in {target} ({exc}): "
                               "install its venv module (Debian/Ubuntu: apt install python3-venv).") from None
    pip(python, *TORCH, *(["--index-url", torch_index_url] if torch_index_url else []))
    pip(python, *(["-e", core] if editable else [core]))
    return python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, type=Path, help="folder of the environment to create")
    parser.add_argument("--core", default=str(Path(__file__).resolve().parents[1]),
                        help="the vos-matte core: a wheel, or the repository (default: this script's repository)")
    parser.add_argument("--editable", action="store_true", help="install the core repository in editable mode (developers)")
    index = parser.add_mutually_exclusive_group()
    index.add_argument("--cuda", action="store_const", dest="torch_index_url", const=CUDA_INDEX,
                       help=f"PyTorch from {CUDA_INDEX} (only needed where PyPI's torch lacks CUDA, e.g. Windows)")
    index.add_argument("--torch-index-url", help="another PyTorch wheel index, e.g. .../whl/cpu for a small CPU-only build")
    args = parser.parse_args(argv)
    try:
        python = create(args.target.resolve(), args.core, args.torch_index_url, args.editable)
    except InstallError as exc:
        print(f"runtime install failed: {exc}", file=sys.stderr)
        return 1
    print("checking the runtime:", flush=True)
    return check(python)


def check(python: Path) -> int:
    """Run the installed core's own check (never a ``plugin/`` of the current folder, e.g. the repository's)."""
    return subprocess.run([str(python), "-m", "plugin.runtime_check"], check=False, env=SAFE_ENV).returncode


if __name__ == "__main__":
    sys.exit(main())
