"""Writing mattes so that a failed or cancelled job leaves nothing half-written behind."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

from vos_core import VosError, write_mask


class PngSequenceWriter:
    """Writes ``00000.png``, ``00001.png``... (8-bit grey) into ``folder``.

    Frames go to a hidden sibling folder first; :meth:`commit` (called on a clean exit of the
    ``with`` block) swaps it into place, replacing a previous result. On an exception the
    partial folder is removed and an existing result is left untouched.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.partial = self.folder.with_name(f".{self.folder.name}.partial")
        self.count = 0

    def __enter__(self) -> Self:
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(self.partial, ignore_errors=True)
            self.partial.mkdir()
        except OSError as exc:
            raise VosError(f"cannot write to {self.folder.parent}: {exc.strerror}") from None
        return self

    def write(self, index: int, matte: np.ndarray) -> None:
        write_mask(self.partial / f"{index:05d}.png", matte)
        self.count += 1

    def commit(self) -> Path:
        old = self.folder.with_name(f".{self.folder.name}.old")
        if self.folder.exists():
            self.folder.replace(old)
        self.partial.replace(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        return self.folder

    def abort(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
