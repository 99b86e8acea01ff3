"""Writing mattes so that a failed or cancelled job leaves nothing half-written behind."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from types import TracebackType
from typing import Self

import numpy as np

from vos_core import VosError, write_mask
from vos_core.matte.alpha import quantize

from .cancel import deferred
from .correction import RECORD

#: Written into every PNG folder we create, so that a later run knows the folder is a result of ours
#: (the run record plugin/correction.py writes, in the plugin's older results, tells the same).
MARKER = ".vos-matte"
_FRAME = re.compile(r"\d{5,}\.png")


def _is_ours(entry: Path) -> bool:
    """Whether ``entry`` is a file one of our PNG outputs holds: a frame, the marker or the run record."""
    return entry.is_file() and not entry.is_symlink() and bool(entry.name in (MARKER, RECORD) or _FRAME.fullmatch(entry.name))


def check_replaceable(folder: Path) -> None:
    """VosError unless ``folder`` is absent, empty, or an earlier result of ours that a new one may replace.

    An earlier result holds our marker (or run record) and nothing but frames and those files; a
    folder with anything else in it, or without the marker (the user's own PNGs, the input
    itself), is never deleted.
    """
    if not (folder.exists() or folder.is_symlink()):
        return
    if folder.is_symlink() or not folder.is_dir():
        raise VosError(f"{folder} exists and is not a folder of mattes: remove it or choose another output")
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise VosError(f"cannot read {folder} to replace it: {exc.strerror}") from None
    foreign = [entry for entry in entries if not _is_ours(entry)]
    if foreign:
        raise VosError(f"{folder} holds {foreign[0].name}, which vos-matte did not write, so it is not replaced: "
                       "empty it or choose another output folder")
    if entries and not {e.name for e in entries} & {MARKER, RECORD}:
        raise VosError(f"{folder} has no {MARKER} marker, so it is not an earlier vos-matte result and is not "
                       "replaced: empty it or choose another output folder")


def partial_path(target: Path, tag: str = "", suffix: str = "") -> Path:
    """The hidden sibling ``target`` is written to until its commit: ``.NAME.partial[-TAG]SUFFIX``.

    ``tag`` marks it as one run's, so that sweeping what a killed run left behind (a Ray batch's
    cancel) takes that run's partial outputs only, never those of another run writing the same name.
    """
    return target.with_name(f".{target.name}.partial{'-' + tag if tag else ''}{suffix}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def move_into_place(partial: Path, target: Path) -> Path:
    """Rename the finished file or folder ``partial`` to ``target``, replacing an older result.

    A folder replaces only an earlier result of ours (see :func:`check_replaceable`); it cannot be
    renamed over another, so the older one is moved aside to ``.NAME.old`` first and deleted after.
    A ``.NAME.old`` left by an interrupted commit is stale either way (the result now being
    committed supersedes it) and is deleted first; if it cannot be, the error names it. A signal arriving meanwhile takes effect once the renames are done.
    """
    old = target.with_name(f".{target.name}.old")
    with deferred():
        if old.exists() or old.is_symlink():
            try:
                _remove(old)
            except OSError as exc:
                raise VosError(f"{old} is left over from an interrupted run and cannot be removed "
                               f"({exc.strerror}): delete it, then run again") from None
        if partial.is_dir():
            check_replaceable(target)
        try:
            if partial.is_dir() and target.exists():
                target.replace(old)
                partial.replace(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                partial.replace(target)
        except OSError as exc:
            raise VosError(f"cannot move the finished output to {target}: {exc.strerror}") from None
    return target


class PngSequenceWriter:
    """Writes ``00000.png``, ``00001.png``... (grey, ``depth`` 8 or 16 bits) into ``folder``.

    Frames go to a hidden sibling folder first; :meth:`commit` (called on a clean exit of the
    ``with`` block) swaps it into place, replacing a previous result (and refusing, before any
    frame is written, a folder that is not one: see :func:`check_replaceable`). On an exception
    the partial folder is removed and an existing result is left untouched.
    """

    def __init__(self, folder: str | Path, depth: int = 8) -> None:
        self.folder = Path(folder)
        self.depth = depth
        self.partial = partial_path(self.folder)
        self.count = 0

    def __enter__(self) -> Self:
        check_replaceable(self.folder)
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(self.partial, ignore_errors=True)
            self.partial.mkdir()
            (self.partial / MARKER).touch()
        except OSError as exc:
            raise VosError(f"cannot write to {self.folder.parent}: {exc.strerror}") from None
        return self

    def write(self, index: int, matte: np.ndarray) -> None:
        """Write frame ``index``: an H×W uint8 0..255 matte or H×W float32 0..1 alpha (see ``quantize``)."""
        write_mask(self.partial / f"{index:05d}.png", quantize(matte, self.depth))
        self.count += 1

    def reuse(self, previous: Path, index: int) -> None:
        """Take frame ``index`` as ``previous`` (an earlier result folder) holds it: a hard link, else a copy."""
        name = f"{index:05d}.png"
        try:
            os.link(previous / name, self.partial / name)
        except OSError:
            try:
                shutil.copy2(previous / name, self.partial / name)
            except OSError as exc:
                raise VosError(f"cannot keep frame {index} of {previous}: {exc.strerror}") from None
        self.count += 1

    def commit(self) -> Path:
        """Swap the finished frames into place (see :func:`move_into_place`)."""
        return move_into_place(self.partial, self.folder)

    def abort(self) -> None:
        """Delete the frames written so far; an earlier result at ``folder`` stays as it was."""
        shutil.rmtree(self.partial, ignore_errors=True)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            try:
                self.commit()
            except BaseException:
                self.abort()  # a refused or failed commit leaves no hidden partial folder behind
                raise
        else:
            self.abort()
