"""``python -m plugin.runtime_check [--weights PATH]``: can this Python run jobs? Prints one JSON line.

Hosts (the Blender add-on) run this inside the runtime environment they were pointed at and show
``problems`` to the user as they are, so each problem is a sentence saying what to do. Only the
standard library is imported up front: a missing torch must become a sentence, not a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

# (module, what a user would install to get it)
REQUIRED = (
    ("numpy", "numpy"),
    ("cv2", "opencv-python"),
    ("torch", "torch (PyTorch)"),
    ("torchvision", "torchvision"),
    ("PIL", "pillow"),
    ("vos_core", "the vos-matte core"),
)


def probe(weights: str | None = None) -> dict:
    """``{"problems": [...], "versions": {...}}`` for the running interpreter."""
    problems: list[str] = []
    versions: dict[str, str] = {"python": sys.version.split()[0]}
    if sys.version_info < (3, 11):  # noqa: UP036 - the runtime being checked may be an older Python
        problems.append(f"Python {versions['python']} is too old: the runtime needs Python 3.11 or newer.")
    for module, package in REQUIRED:
        try:
            versions[module] = str(getattr(importlib.import_module(module), "__version__", "ok"))
        except Exception as exc:  # noqa: BLE001 - a broken install raises more than ImportError (e.g. numpy ABI errors)
            problems.append(f"{package} is missing or broken ({type(exc).__name__}: {exc}).")
    if "vos_core" in versions:
        from vos_core import VosError
        from vos_core.weights import resolve_weights

        try:
            versions["weights"] = str(resolve_weights(weights))
        except VosError as exc:
            problems.append(str(exc))
    return {"problems": problems, "versions": versions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugin.runtime_check", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="weights file or folder the jobs will use (default: as the worker finds them)")
    answer = probe(parser.parse_args(argv).weights)
    print(json.dumps(answer))
    return 1 if answer["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
