"""Fine-tuned networks kept between runs, so a correction does not redo the whole fine-tuning.

An entry is one object's fitted network, keyed by everything that shaped it: the clip (path,
size, modification time; of each frame for image sequences), the settings, the parent weights
file and the object's keyframes (frame and mask bytes). A run whose keyframes match an entry
exactly reuses it as is; a run that only *adds* keyframes to an entry's starts from it and
trains ``refit_iters`` more steps on all keyframes. Entries live in ``$VOS_CACHE_DIR`` (default
``~/.cache/vos-matte/fits``), written atomically; beyond ``max_bytes`` (an entry is ~60 MB) the
least recently used are removed. Several processes (a batch's shots) may share one folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, ItemsView, Sequence
from pathlib import Path
from typing import BinaryIO

import torch

from vos_core import SegmentConfig
from vos_core.media.ffmpeg_input import IMAGE_SUFFIXES
from vos_core.propagation import Keyframe

#: How large the cache may grow; the least recently used entries go first (an entry is ~60 MB).
DEFAULT_MAX_BYTES = 512 * 2**20
#: Half-written files (``TMP_PREFIX``) and weights without an index entry are left by a killed run
#: once older than this; younger ones may be another process's store in progress.
STALE_S = 3600
TMP_PREFIX = ".tmp-"

#: Where a component tells the user something that does not stop the run (a ``notice`` event).
Notice = Callable[[str], None]


def unheard(message: str) -> None:
    """The default :data:`Notice`: nobody is listening."""


def default_folder() -> Path:
    """``$VOS_CACHE_DIR``, else ``$XDG_CACHE_HOME/vos-matte/fits``, else ``~/.cache/vos-matte/fits``."""
    if os.environ.get("VOS_CACHE_DIR"):
        return Path(os.environ["VOS_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "vos-matte" / "fits"


#: The settings fine-tuning does not read (they shape inference only). Every other field of
#: SegmentConfig keys the cache, so a setting added later is keyed unless it is listed here: at
#: worst a needless miss, never a stale network.
INFERENCE_SETTINGS = frozenset({
    "infer_height", "mirror_average", "threshold", "detector", "postprocess", "temporal", "high_threshold",
    "low_threshold", "temporal_iou", "init_iou", "clip_margin", "max_missed", "upsample", "prior_weight",
    "prior_sigma", "calibrate_threshold",
})


def file_identity(path: str | Path) -> list:
    """A file's (or folder's) resolved path, size and modification time; the text alone if it is not there."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return [str(path)]
    return [str(path.resolve()), stat.st_size, stat.st_mtime_ns]


def clip_identity(clip: str | Path) -> list:
    """What an input clip is on disk, cheaply: a video file's :func:`file_identity`; for an image
    sequence (a folder, or an ffmpeg pattern such as ``f/%05d.png``) its resolved folder and the
    name, size and modification time of every frame, so that frames changed in place are noticed
    (a folder's own time changes only when names come or go)."""
    text = str(clip)
    if "%" in text:
        frame = re.compile(re.sub(r"%0?\d*d", r"\\d+", re.escape(Path(text).name)).replace("%%", "%"))
        return _frames_identity(Path(text).parent, lambda name: bool(frame.fullmatch(name)))
    if Path(clip).is_dir():
        return _frames_identity(Path(clip), lambda name: Path(name).suffix.lower() in IMAGE_SUFFIXES)
    return file_identity(clip)


def _frames_identity(folder: Path, is_frame: Callable[[str], bool]) -> list:
    """``[resolved folder, [[name, size, mtime_ns] of each frame, in name order]]``; the text alone if unreadable."""
    try:
        entries = [(entry.name, entry.stat()) for entry in os.scandir(folder) if is_frame(entry.name)]
    except OSError:
        return [str(folder)]
    return [str(folder.resolve()), sorted([name, stat.st_size, stat.st_mtime_ns] for name, stat in entries)]


def clip_key(clip: str | Path, config: SegmentConfig, weights: str | Path, obj_id: int) -> str:
    """What an object's fitted network depends on, apart from its keyframes."""
    settings = {name: value for name, value in config.to_dict().items() if name not in INFERENCE_SETTINGS}
    parts = [clip_identity(clip), file_identity(weights), settings, obj_id]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def keyframe_ids(keyframes: Sequence[Keyframe]) -> dict[str, str]:
    """``{frame: digest of its mask}``: the identity of a set of keyframes."""
    return {str(k.frame): hashlib.sha256(k.mask.tobytes() + str(k.mask.shape).encode()).hexdigest()[:16]
            for k in keyframes}


def _entry_keyframes(meta: Path, notice: Notice) -> ItemsView[str, str] | None:
    """The keyframe ids an index entry holds; None if it is gone (another run evicted it) or
    damaged (told to ``notice``: it is skipped, and storing the same fit again replaces it)."""
    try:
        data = json.loads(meta.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        notice(f"the fit cache entry {meta} cannot be read ({type(exc).__name__}) and is skipped")
        return None
    ids = data.get("keyframes") if isinstance(data, dict) else None
    if not (isinstance(ids, dict) and all(isinstance(v, str) for v in ids.values())):
        notice(f"the fit cache entry {meta} is damaged (no keyframe list) and is skipped")
        return None
    return ids.items()


class FitCache:
    """Fitted networks on disk; see the module docstring."""

    def __init__(self, folder: str | Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else default_folder()
        self.max_bytes = max_bytes

    def lookup(
        self, key: str, keyframes: Sequence[Keyframe], refit_iters: int, notice: Notice = unheard
    ) -> tuple[dict, int] | None:
        """``(state_dict, further steps)`` to start from, or None to fine-tune from the parent.

        An exact match needs 0 further steps; otherwise the entry with the most keyframes that
        are all among ``keyframes`` (same frames, same masks) needs ``refit_iters``. A damaged
        entry is a miss, told to ``notice`` naming its file; one used is marked recently used.
        """
        wanted = keyframe_ids(keyframes).items()
        best: tuple[int, Path] | None = None
        for meta in self.folder.glob(f"{key}-*.json"):
            have = _entry_keyframes(meta, notice)
            if have is not None and have <= wanted and (best is None or len(have) > best[0]):
                best = (len(have), meta)
        if best is None:
            return None
        weights = best[1].with_suffix(".pt")
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            return None  # evicted by another run since its index entry was read
        except Exception as exc:  # noqa: BLE001 - a damaged entry is a cache miss, not an error
            notice(f"the fit cache entry {weights} cannot be read ({type(exc).__name__}), so the object is fine-tuned again")
            return None
        _touch(best[1])
        return state, 0 if best[0] == len(wanted) else refit_iters

    def store(self, key: str, keyframes: Sequence[Keyframe], state: dict) -> None:
        """Keep ``state`` (an object's fitted network) for ``key`` and these keyframes."""
        ids = keyframe_ids(keyframes)
        name = f"{key}-{hashlib.sha256(json.dumps(ids, sort_keys=True).encode()).hexdigest()[:12]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        # Weights first, then the index entry that makes them findable: a crash leaves no entry
        # pointing at a half-written file.
        self._write(self.folder / f"{name}.pt", lambda f: torch.save(state, f))
        self._write(self.folder / f"{name}.json", lambda f: f.write(json.dumps({"keyframes": ids}).encode()))
        self._evict(keep=self.folder / f"{name}.json")

    def _write(self, path: Path, write: Callable[[BinaryIO], object]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _evict(self, keep: Path) -> None:
        """Remove the least recently used entries (never ``keep``, the one just stored) until the
        folder holds at most ``max_bytes``, and what killed runs left behind.

        Other processes store and evict in the same folder meanwhile: a file gone by the time it
        is looked at is skipped, and a half-written file or weights not yet indexed count as left
        behind only once :data:`STALE_S` old.
        """
        entries, total, now = [], 0, time.time()
        for path in self.folder.iterdir():
            stat = _stat(path)
            if stat is None or path.suffix not in (".json", ".pt") and not path.name.startswith(TMP_PREFIX):
                continue
            if path.suffix == ".json":
                weights = _stat(path.with_suffix(".pt"))
                size = stat.st_size + (weights.st_size if weights else 0)
                entries.append((stat.st_mtime_ns, path, size))
                total += size
            elif (path.name.startswith(TMP_PREFIX) or not path.with_suffix(".json").exists()) \
                    and now - stat.st_mtime > STALE_S:
                path.unlink(missing_ok=True)
        for _, meta, size in sorted(entries):
            if total <= self.max_bytes:
                break
            if meta != keep:
                meta.unlink(missing_ok=True)  # the index entry first: the weights are then unfindable
                meta.with_suffix(".pt").unlink(missing_ok=True)
                total -= size


def _stat(path: Path) -> os.stat_result | None:
    """``path``'s stat, or None if another process removed it meanwhile."""
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _touch(path: Path) -> None:
    """Mark an entry recently used (eviction goes by modification time); gone already is fine."""
    try:
        os.utime(path)
    except OSError:
        pass
