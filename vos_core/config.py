"""Segmentation settings as frozen dataclasses, with named presets.

Every knob that trades speed for quality lives here, so hosts, benchmarks and job files
describe a run with one JSON-serialisable object instead of scattered constants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import VosError, check_choice

POSTPROCESS = ("threshold", "clip", "hysteresis")
UPSAMPLE = ("bilinear", "guided")
#: Where the derived high hysteresis threshold sits between ``threshold`` and 1.
HIGH_FRACTION = 0.5
DETECTORS = ("yolox", "faster-rcnn", "none")
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class AugmentParams:
    """Random scale in ``scale_range``, rotation within ±``max_rotation`` degrees, 50% mirror."""

    scale_range: tuple[float, float] = (0.75, 1.25)
    max_rotation: float = 15.0
    mirror: bool = True


@dataclass(frozen=True)
class CropSpec:
    """Where and how large crops are.

    Attributes:
        object_size: the object's long side in network pixels inside a crop.
        context: the crop is square, ``object_size * (1 + 2 * context)`` pixels a side: the box
            grown by this fraction of its long side on every side (room for the motion to the
            next frame, and the background the network needs to tell the object apart).
        max_zoom: a crop never magnifies the frame more than this (network pixels per frame
            pixel): past it there is no detail to gain.
        min_gain: use a crop only where it gives the object at least this many times the pixels
            (per side) that the whole-frame pass at ``frame_height`` lines would; else the
            whole frame is as good and sees everything.
    """

    object_size: int = 160
    context: float = 0.5
    max_zoom: float = 2.0
    min_gain: float = 1.25

    @property
    def side(self) -> int:
        """The crop's side in network pixels."""
        return round(self.object_size * (1 + 2 * self.context))


@dataclass(frozen=True)
class SegmentConfig:
    """How one clip is segmented.

    Attributes:
        finetune_iters: one-shot SGD iterations on the annotated frame (the main cost).
        learning_rate: base SGD learning rate; per-layer multipliers come from ``training.LR_POLICY``.
        frozen_stages: backbone stages (from the first) that fine-tuning leaves unchanged; every
            other layer trains with the parent's learning-rate multipliers.
        augment_copies: fine-tuning cycles through this many augmented copies of the annotated
            frame (mirror, rotation, resize).
        augment_scale: (min, max) of the random resize of those copies, so the network also
            learns the object at the sizes it takes later in the clip.
        cache_features: compute the frozen stages once per copy instead of at every step (same
            result, less work).
        train_height: the annotated frame is scaled to this height (pixels) for fine-tuning.
        infer_height: frames are scaled to this height for the network; maps are resized back.
        mirror_average: average each frame's map with that of its mirror image (the network runs
            twice per frame); fine-tuning saw mirrored copies, so both are equally valid views.
        precision: what the network computes in: "float32", "bfloat16" (weights stay float32,
            convolutions run in bfloat16), or "auto": bfloat16 where the hardware has it natively
            (see ``appearance.compute_dtype``), else float32.
        threshold: map value above which a pixel belongs to the object — the one knob that moves
            the final mask under every post-process; also the map used to fit and track boxes.
        seed: seeds augmentation and initialisation so runs repeat exactly.
        detector: "yolox" (bundled), "faster-rcnn" or "none" (every object is then tracked as
            an object the detector cannot name).
        postprocess: "threshold" (appearance map only), "clip" (zero the map outside the box)
            or "hysteresis" (the connected-component filter).
        temporal: keep boxes whose IoU with the previous box is >= ``temporal_iou``; also
            enables tracking by connected components when no detection fits.
        high_threshold, low_threshold: the hysteresis thresholds; ``None`` derives them from
            ``threshold`` (see :attr:`hysteresis_thresholds`).
        clip_margin: the "clip" post-process keeps the map inside the selected box grown by this
            fraction of its size on every side.
        init_iou: on the annotated frame, detections whose box has this IoU with the mask's box
            give the object its classes.
        upsample: how the network's map reaches the frame's resolution: "bilinear", or "guided"
            (edges re-aligned with the frame's; see ``upsample.py``).
        prior_weight: flow prior (``flow_prior.py``): 0 is off; up to 1, how strongly the map is
            damped away from where the object was in the previous frame.
        prior_sigma: how far (pixels at the network's resolution) the object may move beyond
            what the optical flow explains.
        max_missed: after this many frames without an acceptable box, the temporal filter lets
            go so the object can be re-acquired.
        refit_iters: after a correction (keyframes added to a fitted object), fine-tuning
            continues from the fitted network for this many steps on all keyframes.
        crop_size: 0 runs the network on whole frames at ``infer_height``; otherwise on a crop
            around the object where that magnifies it (see ``crops.py``), scaled so the object's
            long side is this many network pixels; fine-tuning then trains on such crops too.
        crop_context: a crop is the object's box grown by this fraction of its long side on
            every side (room for the motion to the next frame).
        ensemble: fine-tune this many copies of the parent per object (augmentation seeds
            ``seed``, ``seed + 1``, …) and average their maps; fine-tuning and the network cost
            that many times as much.
        calibrate_threshold: 0 cuts every object's map at ``threshold``; otherwise each object
            is cut at the value in ``[threshold, threshold + this]`` its own keyframes ask for
            (``calibration.py``: higher where its fitted map draws it fat, as thin objects are).
    """

    finetune_iters: int = 100
    learning_rate: float = 5e-3
    frozen_stages: int = 2
    augment_copies: int = 16
    augment_scale: tuple[float, float] = AugmentParams.scale_range
    cache_features: bool = True
    train_height: int = 240
    infer_height: int = 240
    mirror_average: bool = False
    precision: str = "auto"
    threshold: float = 0.7
    seed: int = 0
    detector: str = "yolox"
    postprocess: str = "hysteresis"
    temporal: bool = True
    high_threshold: float | None = None
    low_threshold: float | None = None
    temporal_iou: float = 0.3
    init_iou: float = 0.5
    clip_margin: float = 0.4
    max_missed: int = 10
    upsample: str = "bilinear"
    prior_weight: float = 0.0
    prior_sigma: float = 8.0
    refit_iters: int = 25
    crop_size: int = 0
    crop_context: float = 0.5
    ensemble: int = 1
    calibrate_threshold: float = 0.0

    def __post_init__(self) -> None:
        for name in ("finetune_iters", "refit_iters"):
            if getattr(self, name) < 0:
                raise VosError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.frozen_stages <= 5:
            raise VosError(f"frozen_stages must be in 0..5, got {self.frozen_stages}")
        if self.augment_copies < 1:
            raise VosError(f"augment_copies must be >= 1, got {self.augment_copies}")
        try:
            scale = tuple(float(v) for v in self.augment_scale)
        except (TypeError, ValueError):
            scale = ()
        if len(scale) != 2 or not 0.0 < scale[0] <= scale[1]:
            raise VosError(f"augment_scale must be [min, max] with 0 < min <= max, got {self.augment_scale!r}")
        # JSON job files give a list; keep the frozen config hashable.
        object.__setattr__(self, "augment_scale", scale)
        if self.crop_size and not 32 <= self.crop_size <= 1024:
            raise VosError(f"crop_size must be 0 (off) or in 32..1024 pixels, got {self.crop_size}")
        if not 1 <= self.ensemble <= 8:
            raise VosError(f"ensemble must be in 1..8, got {self.ensemble}")
        if not 0.1 <= self.crop_context <= 3.0:
            raise VosError(f"crop_context must be in [0.1, 3], got {self.crop_context}")
        if self.train_height < 32 or self.infer_height < 32:
            raise VosError("train_height and infer_height must be at least 32 pixels")
        for name in ("threshold", "high_threshold", "low_threshold"):
            value = getattr(self, name)
            if value is not None and not 0.0 < value < 1.0:
                raise VosError(f"{name} must be in (0, 1), got {value}")
        if not 0.0 <= self.calibrate_threshold <= 0.5:
            raise VosError(f"calibrate_threshold must be in [0, 0.5], got {self.calibrate_threshold}")
        high, low = self.hysteresis_thresholds
        if low > high:
            raise VosError(f"the low hysteresis threshold ({low}) must not exceed the high one ({high})")
        check_choice("detector", self.detector, DETECTORS)
        check_choice("precision", self.precision, PRECISIONS)
        check_choice("upsample", self.upsample, UPSAMPLE)
        if not 0.0 <= self.prior_weight <= 1.0:
            raise VosError(f"prior_weight must be in [0, 1], got {self.prior_weight}")
        check_choice("postprocess", self.postprocess, POSTPROCESS)

    @property
    def crop_spec(self) -> CropSpec:
        """The crop geometry of these settings (meaningful when ``crop_size`` > 0)."""
        return CropSpec(object_size=self.crop_size or CropSpec.object_size, context=self.crop_context)

    @property
    def hysteresis_thresholds(self) -> tuple[float, float]:
        """(high, low) for the connected-component filter.

        Derived from ``threshold`` unless set: low = threshold, so the filter only removes
        components (weak ones not attached to strong ones inside the box) and never grows the
        mask past what the user's threshold keeps; high sits halfway from threshold to 1.
        """
        high = self.threshold + HIGH_FRACTION * (1.0 - self.threshold) if self.high_threshold is None else self.high_threshold
        return high, self.threshold if self.low_threshold is None else self.low_threshold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **overrides: Any) -> SegmentConfig:
        """A copy with the given fields changed; ``None`` values are ignored."""
        reject_unknown(type(self), overrides, "setting")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def reject_unknown(cls: type, data: dict[str, Any], what: str) -> None:
    """Raise a VosError naming the keys of ``data`` that are not fields of dataclass ``cls``."""
    unknown = set(data) - {f.name for f in fields(cls)}
    if unknown:
        raise VosError(f"unknown {what}(s): {', '.join(sorted(unknown))}")


# Chosen from the J-vs-seconds curve on the dev split (benchmarks/results/crop_curve.md, presets.json;
# network in bfloat16 where the CPU has it): stages 3–5 fine-tuned on 50 augmented copies of each
# keyframe, the network on a crop around each object where that magnifies it (object 160 px in a
# 320-px crop: the whole frame's cost, +2.8 J over whole frames at 240 lines; 224-px objects scored
# lower on bmx-trees), and each object cut where its keyframes ask, up to 0.2 above the threshold
# (calibration.py: +1.2 J, +0.5 F at 50 steps, kite-surf +7.8 J; replayed over cached maps, reaches of
# 0.15 to 0.25 and tolerances of 0.5 to 3 points J all gave +0.5 to +1.3 J).
# With calibrated cuts, nothing that spent more time beat 50 steps on the dev clips (2026-12-08, one
# machine): mirror averaging 77.6 J, 150 steps + mirror 77.0, two fine-tuned copies 76.8, against 77.7;
# before calibration mirror had added 0.5 J and 150 steps +1.0 F. So balanced is 50 steps; fast is 30
# steps, to fit 30 s per 70 frames on 2 cores (-2.4 J); best averages two fine-tuned copies (seeds 0
# and 1) against the swing between one fit and another (two seeds differed by 1 J), but on dev it
# scored 0.9 J under balanced (scooter-black -7 J with the second copy).
# Measured end to end: benchmarks/results/presets.json.
_CROPS = {"frozen_stages": 2, "augment_copies": 50, "crop_size": 160, "calibrate_threshold": 0.2}
PRESETS: dict[str, SegmentConfig] = {
    "fast": SegmentConfig(**_CROPS, finetune_iters=30),
    "balanced": SegmentConfig(**_CROPS, finetune_iters=50),
    # The optical-flow prior, best before crops, scored lower with crops (ablation_best's full+flow_prior row).
    "best": SegmentConfig(**_CROPS, finetune_iters=50, ensemble=2),
}


# The five rows of the paper's ablation (Table 1), as overrides of any preset, and one row beyond
# the paper: the full pipeline with the optical-flow prior (see flow_prior.py).
ABLATION: dict[str, dict[str, Any]] = {
    "appearance": {"postprocess": "threshold", "temporal": False},
    "box_clip": {"postprocess": "clip", "temporal": False},
    "box_clip+temporal": {"postprocess": "clip", "temporal": True},
    "cc_filter": {"postprocess": "hysteresis", "temporal": False},
    "full": {"postprocess": "hysteresis", "temporal": True, "prior_weight": 0.0},
    "full+flow_prior": {"postprocess": "hysteresis", "temporal": True, "prior_weight": 0.5, "prior_sigma": 24.0},
}


def get_preset(name: str) -> SegmentConfig:
    """Return the preset called ``name``, or raise a VosError that lists the valid names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise VosError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
