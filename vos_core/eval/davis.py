"""DAVIS-layout datasets: ``JPEGImages/<res>/<seq>/*.jpg``, ``Annotations/<res>/<seq>/*.png``,
``ImageSets/<split>.txt`` (one sequence name, or a path containing it, per line)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..media.frames import ImageFolder, read_image
from ..media.masks import read_mask


@dataclass(frozen=True)
class DavisSequence:
    """One sequence: frames and their ground-truth masks, file by file (frames and masks align)."""

    name: str
    frames: ImageFolder
    masks: tuple[Path, ...]

    def pairs(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(H×W×3 uint8 RGB frame, H×W uint8 0/255 mask) for every annotated frame."""
        for frame, mask in zip(self.frames.paths, self.masks):
            yield read_image(frame), read_mask(mask)


def split_names(root: str | Path, split: str) -> list[str]:
    """Sequence names listed in ``ImageSets/<split>.txt`` (or ``ImageSets/*/<split>.txt``)."""
    root = Path(root)
    files = [root / "ImageSets" / f"{split}.txt", *sorted((root / "ImageSets").glob(f"*/{split}.txt"))]
    for file in files:
        if file.is_file():
            names = []
            for line in file.read_text().split("\n"):
                parts = line.split()
                if parts:
                    # Official 2016 lists hold "/JPEGImages/480p/<seq>/00000.jpg ..." paths.
                    path = Path(parts[0])
                    names.append(path.parent.name if path.suffix else path.name)
            return list(dict.fromkeys(names))
    raise InputError(f"no split file for {split!r} under {root / 'ImageSets'}")


def load_sequence(root: str | Path, name: str, resolution: str = "480p") -> DavisSequence:
    """Open one sequence; frames without a mask file are skipped (DAVIS-2016 240p keeps every 2nd)."""
    root = Path(root)
    frames_dir, masks_dir = root / "JPEGImages" / resolution / name, root / "Annotations" / resolution / name
    if not frames_dir.is_dir() or not masks_dir.is_dir():
        raise InputError(f"sequence {name!r} not found at {resolution} under {root}")
    masks = {p.stem: p for p in masks_dir.glob("*.png")}
    frames = tuple(p for p in ImageFolder.open(frames_dir).paths if p.stem in masks)
    if not frames:
        raise InputError(f"sequence {name!r} has no frames with masks")
    return DavisSequence(name, ImageFolder(frames), tuple(masks[p.stem] for p in frames))


def load_sequences(
    root: str | Path, names: list[str] | None = None, split: str | None = None, resolution: str = "480p"
) -> list[DavisSequence]:
    """Open the named sequences, or those of ``split`` when ``names`` is None."""
    if names is None:
        if split is None:
            raise InputError("give sequence names or a split")
        names = split_names(root, split)
    return [load_sequence(root, name, resolution) for name in names]
