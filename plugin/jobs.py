"""A segmentation job: one versioned, JSON-serialisable description shared by every host.

The CLI (``segment`` flags and ``batch`` files), the worker and the Blender add-on all build a
:class:`Job` and hand it on; :meth:`Job.from_dict` is the one place a job is validated. Standard
library only: the Blender add-on ships a copy of this module (installers/blender.py) and builds
its jobs with it, without the core.

A job (version 2) in JSON::

    {"version": 2, "input": "clip.mp4",
     "objects": [{"id": 1, "name": "swan", "keyframes": [{"frame": 0, "mask": "swan0.png"},
                                                         {"frame": 40, "mask": "swan40.png"}]}],
     "index_masks": [{"frame": 0, "mask": "davis2017_00000.png"}],
     "outputs": [{"kind": "matte", "path": "out/{object}.mkv"}, {"kind": "index", "path": "out/index"}],
     "start": 0, "end": null, "preset": "fast", "settings": {"finetune_iters": 50},
     "edge": "soft", "refine": {"feather": 2.0}, "matte_depth": 16}

``index_masks`` are index/palette PNGs as DAVIS-2017 ships them: every non-zero value ``v`` is a
keyframe of object ``v`` on that frame (objects listed in ``objects`` with that id lend it their
name). Output paths of per-object kinds hold ``{object}`` when there may be several objects.
Version 1, the old single-mask form (``mask``, ``mask_frame``, ``output``/``matte``/``alpha``/
``composite``), still loads: it becomes one object with one keyframe.
"""

from __future__ import annotations

import json
import math
import os
import re
import types
import typing
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

VERSION = 2
#: What an output holds: one object's matte, its RGBA cut-out or composite, or all objects' ids in one map.
OUTPUT_KINDS = ("matte", "alpha", "composite", "index")
PER_OBJECT_KINDS = ("matte", "alpha", "composite")
OBJECT_PLACEHOLDER = "{object}"
#: Index maps are 8-bit PNGs, so ids fit in a byte (0 is background).
MAX_OBJECT_ID = 255
#: Matte edges (vos_core.matte.alpha.MATTE_PRESETS) and PNG matte bit depths a job may ask for.
#: Kept equal to the core's by a test: this module cannot import it.
EDGES = ("hard", "soft")
REFINE_FIELDS = ("feather", "contrast", "shift_edge", "smooth", "chatter")
MATTE_DEPTHS = (8, 16)
#: Upper bounds of the settings the core leaves open, so that a typo (an extra zero or six) is
#: refused instead of a run that never ends or cannot fit in memory.
SETTING_LIMITS = {"finetune_iters": 100_000, "refit_iters": 100_000, "augment_copies": 1_000, "train_height": 4_320,
                  "infer_height": 4_320, "max_missed": 100_000, "seed": 2**32 - 1}
_LEGACY_FIELDS = {"mask", "mask_frame", "output", "matte", "alpha", "composite", "iters"}


class JobError(ValueError):
    """A job description is malformed; the message is one sentence saying what to fix."""


@dataclass(frozen=True)
class MaskRef:
    """A mask image drawn on clip frame ``frame`` (0-based): white (>= 128) or non-zero = object.

    Or, with ``scribbles`` (an image of strokes on the object, then optionally one of strokes on the
    background: white lines on black), the mask GrabCut makes from those strokes; ``mask`` is then empty.
    """

    frame: int
    mask: str = ""
    scribbles: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectSpec:
    """One object to cut out: its id (1..255), an optional name and its keyframes."""

    id: int
    keyframes: tuple[MaskRef, ...] = ()
    name: str = ""

    @property
    def label(self) -> str:
        """The name outputs use (``{object}``): the given name, else the id."""
        return self.name or str(self.id)


@dataclass(frozen=True)
class Output:
    """Where one result goes; ``kind`` is one of OUTPUT_KINDS, the host picks the format from ``path``."""

    kind: str
    path: str


@dataclass(frozen=True)
class Job:
    """Segment ``objects`` of ``input`` (video file, image folder or ffmpeg pattern) into ``outputs``.

    Frames ``start``..``end`` (inclusive; ``end`` None = the last) are segmented. ``settings``
    override fields of ``preset`` (vos_core SegmentConfig); ``resize_mask`` scales masks to the
    frame size, ``refine_mask`` snaps them to edges (GrabCut) first. ``fps`` is the rate of
    image-sequence inputs, ``background`` what composites are laid over. ``edge`` names the
    matte's edge preset (vos_core.matte.alpha.MATTE_PRESETS: "hard" is the binary cut-out), ``refine``
    overrides fields of its RefineSettings, ``matte_depth`` is the bit depth (8 or 16) of grey mattes (PNG; FFV1 on the command line).
    """

    input: str
    outputs: tuple[Output, ...]
    objects: tuple[ObjectSpec, ...] = ()
    index_masks: tuple[MaskRef, ...] = ()
    start: int = 0
    end: int | None = None
    preset: str = "fast"
    settings: dict[str, Any] = field(default_factory=dict)
    weights: str | None = None
    device: str | None = None
    resize_mask: bool = False
    refine_mask: bool = False
    fps: str | None = None
    background: str = "black"
    edge: str = "hard"
    refine: dict[str, Any] = field(default_factory=dict)
    matte_depth: int = 8
    version: int = VERSION

    def config(self):  # -> vos_core.SegmentConfig (imported here: this module stays standard-library only)
        """The preset with ``settings`` applied; VosError for an unknown preset or setting. Needs the core."""
        from vos_core import SegmentConfig, get_preset

        kinds = typing.get_type_hints(SegmentConfig)
        for name, value in self.settings.items():
            if name in kinds and value is not None:  # None keeps the preset's value; unknown names: with_overrides
                check_setting(name, value, kinds[name])
        return get_preset(self.preset).with_overrides(**self.settings)

    def refine_settings(self):  # -> vos_core.matte.alpha.RefineSettings (imported here, as in config())
        """The ``edge`` preset with ``refine`` applied; VosError for an unknown or out-of-range setting. Needs the core."""
        from vos_core.matte.alpha import get_refine

        return get_refine(self.edge).with_overrides(**self.refine)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def from_dict(cls, data: Any) -> Job:
        """Validate ``data`` (a version 2 job, or the version 1 single-mask form) into a Job; JobError if malformed."""
        data = _from_v1(data) if isinstance(data, dict) and data.get("version", 1) == 1 else data
        fields_of = _Fields(data, "job", {f.name for f in fields(cls)})
        version = fields_of.integer("version", VERSION)
        if version != VERSION:
            raise JobError(f"job version {version} is not one this vos-matte reads (1 or {VERSION}): update vos-matte")
        job = cls(
            input=fields_of.text("input"),
            outputs=tuple(_output(n, item) for n, item in enumerate(fields_of.items("outputs"), 1)),
            objects=tuple(_object(n, item) for n, item in enumerate(fields_of.items("objects", []), 1)),
            index_masks=tuple(_mask_ref(f"index mask {n}", item)
                              for n, item in enumerate(fields_of.items("index_masks", []), 1)),
            start=fields_of.integer("start", 0),
            end=fields_of.integer("end", None),
            preset=fields_of.text("preset", "fast"),
            settings=fields_of.mapping("settings"),
            weights=fields_of.text("weights", None),
            device=fields_of.text("device", None),
            resize_mask=fields_of.flag("resize_mask"),
            refine_mask=fields_of.flag("refine_mask"),
            fps=fields_of.text("fps", None, numbers=True),
            background=fields_of.text("background", "black"),
            edge=fields_of.choice("edge", EDGES, "hard"),
            refine=_refine(fields_of.mapping("refine")),
            matte_depth=fields_of.choice("matte_depth", MATTE_DEPTHS, 8),
            version=version,
        )
        job._check()
        return job

    @classmethod
    def load(cls, path: str | Path) -> Job:
        """Read and validate a job file; JobError if it cannot be read or is malformed."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise JobError(f"cannot read job file {path}: {exc}") from None
        return cls.from_dict(data)

    def _check(self) -> None:
        if not self.outputs:
            raise JobError("the job has no output: give at least one matte, alpha, composite or index output")
        if not self.objects and not self.index_masks:
            raise JobError("the job has no object: give a mask (objects with keyframes) or an index mask")
        if self.start < 0 or (self.end is not None and self.end < self.start):
            raise JobError(f"the frame range {self.start}..{self.end} is empty or negative")
        ids = [obj.id for obj in self.objects]
        labels = [obj.label for obj in self.objects]
        for seen, what in ((ids, "id"), (labels, "name")):
            repeated = sorted({str(v) for v in seen if seen.count(v) > 1})
            if repeated:
                raise JobError(f"two objects have the same {what} {repeated[0]}: each object needs its own")
        for kind in ("matte", "alpha", "composite", "index"):
            paths = [out.path for out in self.outputs if out.kind == kind]
            if len(set(paths)) < len(paths):
                raise JobError(f"two {kind} outputs write the same path: give each its own")
        several = len(self.objects) > 1 or bool(self.index_masks)
        for out in self.outputs:
            templated = OBJECT_PLACEHOLDER in out.path
            if out.kind == "index" and templated:
                raise JobError(f"the index output {out.path} holds every object: leave {OBJECT_PLACEHOLDER} out of it")
            if out.kind in PER_OBJECT_KINDS and several and not templated:
                raise JobError(f"the {out.kind} output {out.path} needs {OBJECT_PLACEHOLDER} in its name: "
                               "there may be several objects, each gets its own file")

    def output_paths(self, labels: dict[int, str]) -> list[tuple[Output, int | None, str]]:
        """Every file to write: ``(output, object id or None for index maps, path)``.

        ``labels`` maps each object id to its label (see :func:`object_labels`); ``{object}`` in a
        path becomes the label.
        """
        paths = []
        for out in self.outputs:
            if out.kind == "index":
                paths.append((out, None, out.path))
            else:
                paths += [(out, obj_id, _filled(out.path, label)) for obj_id, label in labels.items()]
        return paths


def _filled(template: str, label: str) -> str:
    """``template`` with ``{object}`` replaced by ``label``; JobError unless the result stays inside the
    folder the template names above its first ``{object}`` (a label is one name, never a way out)."""
    path = template.replace(OBJECT_PLACEHOLDER, label)
    if OBJECT_PLACEHOLDER in template:
        root = os.path.abspath(os.path.dirname(template.split(OBJECT_PLACEHOLDER, 1)[0]) or ".")
        inside = os.path.abspath(path)
        if inside == root or os.path.commonpath([root, inside]) != root:
            raise JobError(f"the output {template} for object {label!r} would be {inside}, not inside {root}: "
                           "name the object with letters, digits, - or _")
    return path


def object_labels(job: Job, ids: list[int]) -> dict[int, str]:
    """Label of each object id in ``ids`` (sorted): the job's name for it, else the id itself."""
    named = {obj.id: obj.label for obj in job.objects}
    return {obj_id: named.get(obj_id, str(obj_id)) for obj_id in sorted(ids)}


_REQUIRED = object()  # default of a field that must be given


class _Fields:
    """Typed reads of one JSON object's fields, each failure one sentence naming the field."""

    def __init__(self, data: Any, what: str, known: set[str]) -> None:
        if not isinstance(data, dict):
            raise JobError(f"{what} must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - known)
        if unknown:
            raise JobError(f"{what} has unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        self.data, self.what = data, what

    def _get(self, key: str, default: Any) -> Any:
        value = self.data.get(key, default)
        if value is _REQUIRED:
            raise JobError(f"{self.what} is missing {key}")
        return value

    def text(self, key: str, default: Any = _REQUIRED, numbers: bool = False) -> Any:
        """A non-empty string (``numbers``: a number is taken as its text, e.g. fps 25)."""
        value = self._get(key, default)
        if numbers and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if value is None and default is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise JobError(f"{self.what}: {key} must be a non-empty string, got {value!r}")
        return value

    def integer(self, key: str, default: Any = _REQUIRED) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise JobError(f"{self.what}: {key} must be a whole number, got {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[Any, ...], default: Any) -> Any:
        """One of ``allowed`` (strings or whole numbers, compared exactly: 16.0 and True are not 16)."""
        value = self._get(key, default)
        if not any(type(value) is type(a) and value == a for a in allowed):
            raise JobError(f"{self.what}: {key} must be one of {', '.join(map(str, allowed))}, got {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key, False)
        if not isinstance(value, bool):
            raise JobError(f"{self.what}: {key} must be true or false, got {value!r}")
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise JobError(f"{self.what}: {key} must be a JSON object, got {value!r}")
        return dict(value)

    def items(self, key: str, default: Any = _REQUIRED) -> list[Any]:
        value = self._get(key, default)
        if not isinstance(value, (list, tuple)):
            raise JobError(f"{self.what}: {key} must be a list, got {value!r}")
        return list(value)


def _as_dict(item: Any) -> Any:
    # Dataclasses may be given as well as their JSON form (hosts build Jobs from parts).
    return asdict(item) if hasattr(item, "__dataclass_fields__") else item


def _mask_ref(what: str, item: Any) -> MaskRef:
    read = _Fields(_as_dict(item), what, {"frame", "mask", "scribbles"})
    frame = read.integer("frame", 0)
    if frame < 0:
        raise JobError(f"{what}: frame must be >= 0, got {frame}")
    scribbles = read.items("scribbles", [])
    if not scribbles:
        return MaskRef(frame, read.text("mask"))
    if read.data.get("mask") or len(scribbles) > 2 or not all(isinstance(p, str) and p.strip() for p in scribbles):
        raise JobError(f"{what}: scribbles must be 1 or 2 stroke images (foreground, background), instead of a mask")
    return MaskRef(frame, "", tuple(scribbles))


def is_file_name(name: str) -> bool:
    """Whether ``name`` can stand as one file or folder name in an output path: not empty, no leading
    dot (``.``, ``..`` and hidden names would escape or replace folders), no path separator,
    control character or ``{object}``."""
    return (bool(name) and not name.startswith(".") and OBJECT_PLACEHOLDER not in name
            and not any(c in "/\\" or unicodedata.category(c) == "Cc" for c in name))


def as_file_name(text: str) -> str:
    """``text`` (a name from a host's UI: a strip, a mask) made into one that :func:`is_file_name` accepts:
    each run of anything but letters, digits, ``.``, ``-`` and ``_`` becomes ``_``, and a name that
    is empty or starts with a dot gets a ``_`` in front."""
    name = re.sub(r"[^\w.-]+", "_", text)
    return name if name and not name.startswith(".") else f"_{name}"


def _object(n: int, item: Any) -> ObjectSpec:
    read = _Fields(_as_dict(item), f"object {n}", {"id", "name", "keyframes"})
    obj_id = read.integer("id", n)
    if not 1 <= obj_id <= MAX_OBJECT_ID:
        raise JobError(f"object {n}: id must be 1..{MAX_OBJECT_ID}, got {obj_id}")
    name = read.text("name", None) if read.data.get("name") != "" else ""
    name = name or ""
    if name and not is_file_name(name):
        raise JobError(f"object {n}: name {name!r} names output files, so it must not start with a dot or hold "
                       f"/, \\, control characters or {OBJECT_PLACEHOLDER}")
    what = f"object {name or obj_id}"
    keyframes = tuple(_mask_ref(f"{what} keyframe {k}", ref) for k, ref in enumerate(read.items("keyframes", []), 1))
    frames = [ref.frame for ref in keyframes]
    if len(set(frames)) < len(frames):
        raise JobError(f"{what} has two keyframes on one frame: keep one mask per frame")
    return ObjectSpec(obj_id, keyframes, name)


def check_setting(name: str, value: Any, kind: Any) -> None:
    """JobError unless ``value`` (from a job file, where anything may come) is of the setting's type
    ``kind``: a bool for a flag (``"no"`` is not false), a whole number for ``int``, a finite number
    for ``float``, text for ``str``; numbers also within :data:`SETTING_LIMITS`."""
    options = [k for k in typing.get_args(kind) if k is not type(None)] if isinstance(kind, types.UnionType) else [kind]
    kind = options[0]
    if typing.get_origin(kind) is tuple:
        if not isinstance(value, (list, tuple)):
            raise JobError(f"settings: {name} must be a list of numbers, got {value!r}")
        for item in value:
            check_setting(name, item, float)
        return
    what = {bool: "true or false", int: "a whole number", float: "a finite number", str: "text"}[kind]
    if kind is float:
        fits = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    else:
        fits = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    if not fits:
        raise JobError(f"settings: {name} must be {what}, got {value!r}")
    if name in SETTING_LIMITS and value > SETTING_LIMITS[name]:
        raise JobError(f"settings: {name} must be at most {SETTING_LIMITS[name]}, got {value}")


def _refine(values: dict[str, Any]) -> dict[str, Any]:
    """``refine`` overrides: known RefineSettings fields with numbers (their ranges are the core's to check)."""
    read = _Fields(values, "refine", set(REFINE_FIELDS))
    for key, value in read.data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise JobError(f"refine: {key} must be a finite number, got {value!r}")
    return values


def _output(n: int, item: Any) -> Output:
    read = _Fields(_as_dict(item), f"output {n}", {"kind", "path"})
    kind = read.text("kind")
    if kind not in OUTPUT_KINDS:
        raise JobError(f"output {n}: kind must be one of {', '.join(OUTPUT_KINDS)}, got {kind!r}")
    return Output(kind, read.text("path"))


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """The version 1 single-mask form as version 2: one object (id 1), one keyframe, its outputs."""
    if "mask" not in data:
        if set(data) & _LEGACY_FIELDS or "outputs" not in data:
            raise JobError("job is missing mask (or, in the current form, version 2 with objects and outputs)")
        return {**data, "version": VERSION}  # a version 2 job that left out its version
    new = {k: v for k, v in data.items() if k not in _LEGACY_FIELDS}
    new["version"] = VERSION
    new["objects"] = [{"id": 1, "keyframes": [{"frame": data.get("mask_frame", 0), "mask": data["mask"]}]}]
    outputs = [{"kind": "matte", "path": path} for path in _listed(data.get("output"))]
    outputs += [{"kind": kind, "path": path} for kind in PER_OBJECT_KINDS for path in _listed(data.get(kind))]
    new["outputs"] = outputs
    if "iters" in data:
        new["settings"] = {**data.get("settings", {}), "finetune_iters": data["iters"]}
    return new


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
