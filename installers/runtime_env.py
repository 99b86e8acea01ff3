"""Create the runtime environment the Blender add-on runs the core in. Standard library only.

    python runtime_env.py --target DIR [--core WHEEL_OR_SOURCE_DIR] [--torch-index-url URL]

Shipped inside the extension too (its Install Runtime button runs it with Blender's Python), so
it must not import anything from the repository. Idempotent: pip skips what is installed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import venv
from pathlib import Path

#: PyPI's builds run on CPU everywhere (on Linux they also carry CUDA); these two are tested together.
TORCH = ("torch==2.14.1", "torchvision==0.29.1")
#: A CUDA build for platforms where PyPI's torch is CPU-only (Windows).
CUDA_INDEX = "https://download.pytorch.org/whl/cu128"


def python_of(target: Path) -> Path:
    return target / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def pip(python: Path, *args: str) -> None:
    print("+ pip install", " ".join(args), flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", *args], check=True)


def create(target: Path, core: str, torch_index_url: str | None = None, editable: bool = False) -> Path:
    """Make (or update) the venv at ``target`` with PyTorch and the core; return its python."""
    python = python_of(target)
    if not python.exists():
        print(f"creating {target}", flush=True)
        venv.create(target, with_pip=True)
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
    except subprocess.CalledProcessError as exc:
        print(f"runtime install failed: {exc}", file=sys.stderr)
        return 1
    print("checking the runtime:", flush=True)
    # cwd: from the repository, ``-m`` would find its plugin/ instead of what was just installed
    return subprocess.run([str(python), "-m", "plugin.runtime_check"], check=False, cwd=args.target).returncode


if __name__ == "__main__":
    sys.exit(main())
