"""The Blender releases the extension is tested with, and what each PyPI ``bpy`` wheel needs.

One table shared by the venv set-up (setup_bpy_venvs.py) and the tests (blender_support.py).
Standard library only: the set-up runs it before any venv exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Release:
    """One tested Blender: the ``bpy`` wheel, the CPython minor it is built for, and extra pins."""

    short: str
    bpy: str
    python: str
    #: bpy 4.2 declares plain ``numpy`` but is built against NumPy 1.x; later wheels pin what they need.
    pins: tuple[str, ...] = ()

    @property
    def venv(self) -> Path:
        return ROOT / f".venv-bpy-{self.short}"

    @property
    def python_exe(self) -> Path:
        return self.venv / "bin" / "python"


#: Oldest first: the newest patch of 4.2 LTS (4.2.0 itself crashes when a movie strip is hard-trimmed), 4.5 LTS,
#: 5.2 LTS, and the newest release.
RELEASES = (
    Release("4.2", "4.2.23", "3.11", ("numpy<2",)),
    Release("4.5", "4.5.15", "3.11"),
    Release("5.2", "5.2.3", "3.13"),
    Release("5.3", "5.3.0", "3.13"),
)
NEWEST = RELEASES[-1]
