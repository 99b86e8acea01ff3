"""Which shots of a batch are already done: a small manifest beside the outputs, for resuming.

A shot's outputs are recorded, once they are committed, in ``.vos-matte-batch.json`` in the
folder of its first output (the nearest one without ``{object}`` in it), under that output's
name. The record holds the job's fingerprint — the job itself, its input's identity (path, size,
modification time; those of every frame of an image sequence), the bytes of its masks, the resolved settings and the SHA-256 of the
weights — and each output's size and modification time. A re-run skips the shot only when the
fingerprint is unchanged and every output is still there as it was written. One process (the
batch driver) writes the manifest, atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from vos_core.weights import resolve_weights, sha256_of

from .fit_cache import clip_identity, file_identity
from .jobs import OBJECT_PLACEHOLDER, Job

MANIFEST_NAME = ".vos-matte-batch.json"


def fingerprint(job: Job) -> str:
    """Digest of everything a job's outputs depend on; VosError/JobError/OSError if it cannot be read."""
    masks = [ref.mask for obj in job.objects for ref in obj.keyframes] + [ref.mask for ref in job.index_masks]
    parts = {
        "job": job.to_dict(),
        "input": clip_identity(job.input),
        "masks": {mask: hashlib.sha256(Path(mask).read_bytes()).hexdigest() for mask in masks},
        "config": asdict(job.config()),
        "weights": _weights_digest(*file_identity(resolve_weights(job.weights))),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@lru_cache(maxsize=8)
def _weights_digest(path: str, size: int, mtime_ns: int) -> str:
    # Keyed by identity so hundreds of shots sharing one weights file hash it once.
    sidecar = Path(path + ".sha256")
    return sidecar.read_text().split()[0].lower() if sidecar.is_file() else sha256_of(Path(path))


def output_state(path: str | Path) -> list[int] | None:
    """What an output is on disk: ``[size, mtime_ns]`` of a file, ``[files, bytes, newest mtime_ns]``
    of a folder (PNG sequence); None if it is missing."""
    path = Path(path)
    if path.is_file():
        stat = path.stat()
        return [stat.st_size, stat.st_mtime_ns]
    if path.is_dir():
        stats = [entry.stat() for entry in os.scandir(path) if entry.is_file()]
        return [len(stats), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)]
    return None


def _anchor(job: Job) -> tuple[Path, str]:
    """The manifest's folder and the shot's key in it: its first output's folder and name."""
    first = Path(job.outputs[0].path).absolute()
    folder = first.parent
    while OBJECT_PLACEHOLDER in str(folder):
        folder = folder.parent
    return folder, str(first.relative_to(folder))


def _read(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def up_to_date(job: Job, digest: str | None) -> dict[str, Any] | None:
    """The manifest's record of ``job`` if it needs no re-run, else None.

    ``digest`` is the job's :func:`fingerprint` (None: unknown, so it runs). The record holds
    ``outputs`` (path → state) and ``frames``.
    """
    if digest is None:
        return None
    folder, key = _anchor(job)
    entry = _read(folder).get(key)
    # A malformed entry (edited by hand, another tool's) means the shot runs again.
    if not isinstance(entry, dict) or entry.get("fingerprint") != digest or not isinstance(entry.get("outputs"), dict) \
            or not entry["outputs"]:
        return None
    return entry if all(output_state(path) == state for path, state in entry["outputs"].items()) else None


def record(job: Job, digest: str, outputs: list[str], frames: int) -> None:
    """Note that ``job`` wrote ``outputs`` (committed, ``frames`` each): the manifest is rewritten atomically."""
    folder, key = _anchor(job)
    entries = _read(folder)
    entries[key] = {"fingerprint": digest, "outputs": {str(Path(p).absolute()): output_state(p) for p in outputs},
                    "frames": frames, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    fd, tmp = tempfile.mkstemp(prefix=f".{MANIFEST_NAME}.", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(entries, f, indent=1, sort_keys=True)
        os.replace(tmp, folder / MANIFEST_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

