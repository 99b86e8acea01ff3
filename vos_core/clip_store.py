"""Per-frame intermediate results on disk, so segmenting in both directions keeps memory flat.

Backward tracking visits frames in reverse, but videos decode forward only. The network runs
once per frame in decode order and its maps (network resolution), the scaled frames
(for the optical-flow prior) and each tracker run's masks (full resolution, one bit per pixel)
go to memory-mapped files in a private temporary folder that is removed on close. At the
network's 240 lines that is about 0.3 MB per frame plus 0.5 MB per object per frame (maps are
kept in float32 so a run from the store thresholds exactly what a streaming run does); RAM
holds one frame of each. Detections (a few boxes per frame) stay in memory. With crops, each
object's crop maps are kept as cut (crop pixels, 0.4 MB for a 320-pixel crop) with their warps,
and laid back on the frame when read.

The folder is ``vos-matte-<pid>-XXXX`` in the temporary folder (``TMPDIR``) and names its owner
(pid and host) in a file, so that a store opening later removes what a killed run left there.
The space the store will take is checked before anything is written: memory-mapped files are
written lazily, and a disk (or tmpfs: memory) that fills up mid-run kills the process with
SIGBUS, with no error to show.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Self

import numpy as np

from .errors import VosError
from .network.crops import paste
from .tracking.detection import Detection

#: Store folders are named PREFIX<pid>-XXXX; OWNER, in each, says "<pid> <host>".
PREFIX = "vos-matte-"
OWNER = ".vos-matte-store-owner"


def store_bytes(
    n: int, small_shape: tuple[int, int], full_shape: tuple[int, int], objects: int, crop_side: int = 0,
) -> int:
    """The disk space a full :class:`ClipStore` of these sizes takes: its small frames (RGB), each
    object's maps (float32) and crop maps (``crop_side`` squared, float32), and each object's masks
    in both directions (each file's 128-byte .npy header aside)."""
    h, w = small_shape
    return n * (h * w * 3 + objects * (h * w * 4 + 2 * _packed_bytes(full_shape) + crop_side * crop_side * 4))


def _packed_bytes(shape: tuple[int, int]) -> int:
    """The size of one mask of ``shape`` stored at one bit per pixel."""
    return (shape[0] * shape[1] + 7) // 8


def check_space(folder: Path, needed: int) -> None:
    """VosError, naming ``folder``, the space needed and the space free, unless ``needed`` bytes fit in it."""
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise VosError(f"segmenting this range needs {needed / 1e9:.3g} GB of temporary space in {folder}, which has "
                       f"{free / 1e9:.3g} GB free: free some space, segment a shorter range, or set TMPDIR to a "
                       "folder on a larger disk")


def remove_dead_stores() -> None:
    """Delete the store folders in the temporary folder that a process of this host, now dead, left.

    Only folders holding our owner file are candidates: those of live processes (including other
    users', which we may not signal) and of other hosts sharing the folder are kept. A dead run's
    pid that a new process has taken keeps its folder until that process ends too.
    """
    host = socket.gethostname()
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            pid, owner_host = (folder / OWNER).read_text().split()
        except (OSError, ValueError):  # not a store, or one whose owner file is being written
            continue
        if owner_host == host and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)  # a symlink is refused, not followed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (zombies included: their parent has yet to see them end)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


class ClipStore:
    """Frames ``0..n-1`` of a range: small frames, per-object maps, detections, per-run masks.

    ``crop_side`` is the side of the objects' crops (0: no crops), for the space check: a store
    that could not get the disk space it needs raises VosError before writing anything.
    """

    def __init__(
        self, n: int, small_shape: tuple[int, int], full_shape: tuple[int, int], obj_ids: list[int], crop_side: int = 0,
    ) -> None:
        self.n, self.full_shape = n, full_shape
        h, w = small_shape
        remove_dead_stores()
        folder = Path(tempfile.gettempdir())
        check_space(folder, store_bytes(n, small_shape, full_shape, len(obj_ids), crop_side))
        self._dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=folder))
        (self._dir / OWNER).write_text(f"{os.getpid()} {socket.gethostname()}")
        self.small = self._array("small", (n, h, w, 3), np.uint8)
        self.maps = {oid: self._array(f"map{oid}", (n, h, w), np.float32) for oid in obj_ids}
        self.detections: list[list[Detection]] = [[] for _ in range(n)]
        self._masks: dict[tuple[int, bool], np.memmap] = {}
        self._lost: dict[tuple[int, bool], np.ndarray] = {}
        self._bytes = _packed_bytes(full_shape)
        self._crops: dict[int, tuple[np.memmap, np.ndarray]] = {}

    def _array(self, name: str, shape: tuple[int, ...], dtype: type) -> np.memmap:
        return np.lib.format.open_memmap(self._dir / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)

    def put_crop(self, oid: int, i: int, patch_map: np.ndarray, warp: np.ndarray) -> None:
        """Store object ``oid``'s map of a crop (side×side float32) on frame ``i`` and the crop's
        warp (``crops.crop_warp``); :meth:`map_at` then returns it in place of the whole-frame map."""
        if oid not in self._crops:
            side = patch_map.shape[0]
            self._crops[oid] = (self._array(f"crop{oid}", (self.n, side, side), np.float32), np.full((self.n, 2, 3), np.nan))
        maps, warps = self._crops[oid]
        maps[i], warps[i] = patch_map, warp

    def map_at(self, oid: int, i: int) -> np.ndarray:
        """Object ``oid``'s map on frame ``i``: its crop's, laid on the frame (H×W), where
        :meth:`put_crop` stored one; else the whole-frame map (network resolution)."""
        if oid in self._crops and not np.isnan(self._crops[oid][1][i, 0, 0]):
            maps, warps = self._crops[oid]
            return paste(np.asarray(maps[i]), warps[i], self.full_shape)
        return np.asarray(self.maps[oid][i])

    def put_mask(self, oid: int, forward: bool, i: int, mask: np.ndarray, lost: int = 0) -> None:
        """Store run (``oid``, direction)'s H×W mask (non-zero = object) for frame ``i``, and for how
        many frames in a row its track had lost the object's box (see FrameResult.lost)."""
        key = (oid, forward)
        if key not in self._masks:
            self._masks[key] = self._array(f"mask{oid}_{'f' if forward else 'b'}", (self.n, self._bytes), np.uint8)
            self._lost[key] = np.zeros(self.n, np.int32)
        self._masks[key][i] = np.packbits(mask.ravel() > 0)
        self._lost[key][i] = lost

    def mask(self, oid: int, forward: bool, i: int) -> np.ndarray:
        """The mask :meth:`put_mask` stored, as H×W uint8 0/255."""
        bits = np.unpackbits(self._masks[(oid, forward)][i], count=self.full_shape[0] * self.full_shape[1])
        return (bits.reshape(self.full_shape) * 255).astype(np.uint8)

    def lost(self, oid: int, forward: bool, i: int) -> int:
        """The lost-box count :meth:`put_mask` stored."""
        return int(self._lost[(oid, forward)][i])

    def close(self) -> None:
        """Drop the arrays and delete the folder."""
        self.small = None  # type: ignore[assignment]
        self.maps.clear()
        self._masks.clear()
        self._crops.clear()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
