"""The one API every caller drives: build, add masks, fit, propagate.

    predictor = VideoPredictor(net, config, device, detector)
    session = predictor.new_session()
    predictor.add_mask(session, frame_idx=0, image=first_rgb, mask=first_mask, obj_id=1)
    for step in predictor.fit(session): ...                    # TrainStep, for progress bars
    for result in predictor.propagate(session, frames): ...    # FrameResult, one per frame

Networks (``AppearanceNet``, the detector) are kept apart from the per-clip runtime state
(``Session``): one adapted network and one tracker per object. Frames stream through
``propagate``: nothing is kept from one frame to the next but each object's track state.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from .appearance import AppearanceNet, to_input
from .augment import resize_to_height
from .config import SegmentConfig
from .detection import Detection, Detector
from .errors import InputError
from .flow_prior import FlowPrior, apply_prior
from .masks import validate_mask
from .oneshot import TrainStep, fine_tune
from .tracking import ObjectTracker
from .upsample import upsample_map


@dataclass
class ObjectState:
    """One annotated object: its first mask, its own adapted network (after fitting) and its track."""

    obj_id: int
    frame_idx: int
    image: np.ndarray  # H×W×3 uint8 RGB of the annotated frame
    mask: np.ndarray  # H×W uint8 0/255
    tracker: ObjectTracker
    net: AppearanceNet | None = None
    previous: np.ndarray | None = None  # last mask at the network's resolution, float32 0..1 (flow prior)


@dataclass
class Session:
    """Per-clip runtime state: the objects, the frame size they were annotated at, the settings."""

    config: SegmentConfig
    objects: dict[int, ObjectState] = field(default_factory=dict)
    frame_shape: tuple[int, int] | None = None
    prior: FlowPrior = field(default_factory=FlowPrior)


@dataclass(frozen=True)
class FrameResult:
    """Output for one frame: per object a map (H×W float32 0..1, after the temporal prior and
    upsampling: what the filters saw) and a mask (H×W uint8 0/255)."""

    index: int
    maps: dict[int, np.ndarray]
    masks: dict[int, np.ndarray]
    detections: tuple[Detection, ...] = ()

    @property
    def matte(self) -> np.ndarray:
        """All objects together as one H×W uint8 0/255 matte."""
        return np.maximum.reduce(list(self.masks.values()))


class VideoPredictor:
    """One-shot video object segmentation: parent appearance network + optional detector."""

    def __init__(
        self,
        net: AppearanceNet,
        config: SegmentConfig,
        device: torch.device | str = "cpu",
        detector: Detector | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.config = config
        self.detector = detector

    def new_session(self, config: SegmentConfig | None = None) -> Session:
        """A fresh clip; ``config`` may change the per-frame filtering (fine-tuning uses the predictor's)."""
        return Session(config or self.config)

    def add_mask(self, session: Session, frame_idx: int, image: np.ndarray, mask: np.ndarray, obj_id: int = 1) -> None:
        """Annotate object ``obj_id`` on frame ``frame_idx`` (image H×W×3 uint8 RGB, mask H×W)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"frame must be H×W×3 uint8 RGB, got {image.shape} {image.dtype}")
        if session.frame_shape not in (None, image.shape[:2]):
            raise InputError(f"frame size {image.shape[1]}×{image.shape[0]} differs from the clip's")
        mask = validate_mask(mask, image.shape, what=f"mask of object {obj_id}")
        session.frame_shape = image.shape[:2]
        session.objects[obj_id] = ObjectState(obj_id, frame_idx, image, mask, ObjectTracker(session.config))

    def fit(self, session: Session) -> Iterator[TrainStep]:
        """Fine-tune one copy of the parent network per object, yielding progress; start the tracks."""
        if not session.objects:
            raise InputError("no mask was added: annotate at least one object first")
        for obj in session.objects.values():
            if obj.net is None:
                net = copy.deepcopy(self.net)
                yield from fine_tune(net, obj.image, obj.mask, self.config, self.device, obj.obj_id)
                obj.net = net
                obj.tracker.start(obj.mask, self.detect(obj.image, session))

    def clone_session(self, session: Session, config: SegmentConfig) -> Session:
        """A fitted session's objects with fresh tracks under another filtering config (ablations)."""
        clone = Session(config, frame_shape=session.frame_shape)
        for oid, obj in session.objects.items():
            tracker = ObjectTracker(config)
            tracker.start(obj.mask, self.detect(obj.image, clone))
            clone.objects[oid] = ObjectState(oid, obj.frame_idx, obj.image, obj.mask, tracker, obj.net)
        return clone

    def detect(self, frame: np.ndarray, *sessions: Session) -> list[Detection]:
        """Detections in a frame, or none when no detector is set or no session filters by boxes."""
        needed = any(obj.tracker.uses_boxes for s in sessions for obj in s.objects.values())
        return self.detector.detect(frame) if self.detector is not None and needed else []

    def small_frame(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` scaled to the network's input height (``infer_height``)."""
        return resize_to_height(frame, self.config.infer_height)

    @torch.inference_mode()
    def predict_map(self, net: AppearanceNet, small: np.ndarray) -> np.ndarray:
        """Appearance map of a frame already scaled by :meth:`small_frame`: h×w float32 in 0..1."""
        return torch.sigmoid(net(to_input(small, self.device)))[0, 0].float().cpu().numpy()

    def propagate(self, session: Session, frames: Iterable[np.ndarray]) -> Iterator[FrameResult]:
        """Segment every frame of ``frames`` (H×W×3 uint8 RGB, in clip order), one at a time.

        Fits first if :meth:`fit` has not been run. Annotated frames return their own mask.
        """
        for _ in self.fit(session):
            pass
        for index, frame in enumerate(frames):
            maps = self.maps(session, index, frame)
            detections = self.detect(frame, session)
            yield self.finish_frame(session, index, frame, maps, detections)

    def maps(self, session: Session, index: int, frame: np.ndarray) -> dict[int, np.ndarray]:
        """Each object's appearance map for frame ``index``, at the network's resolution (h×w float32)."""
        if frame.shape[:2] != session.frame_shape:
            raise InputError(
                f"frame {index} is {frame.shape[1]}×{frame.shape[0]}, the annotated frame was "
                f"{session.frame_shape[1]}×{session.frame_shape[0]}"
            )
        small = self.small_frame(frame)
        return {oid: self.predict_map(obj.net, small) for oid, obj in session.objects.items()}

    def finish_frame(
        self,
        session: Session,
        index: int,
        frame: np.ndarray,
        maps: dict[int, np.ndarray],
        detections: list[Detection],
    ) -> FrameResult:
        """Masks from the network's maps (as :meth:`maps` returns them) and detections.

        Each map is damped away from where the object was (flow prior, if enabled), brought to
        the frame's resolution (guided by the frame, if enabled), then filtered by the object's
        track. Where objects overlap, a pixel goes to the object with the higher map value.
        """
        cfg = session.config
        if cfg.prior_weight > 0:
            small = self.small_frame(frame)
            session.prior.advance(small)
        full = {}
        for oid, prob in maps.items():
            obj = session.objects[oid]
            if cfg.prior_weight > 0 and obj.previous is not None:
                prob = apply_prior(prob, session.prior.warp(obj.previous), cfg.prior_weight, cfg.prior_sigma)
            full[oid] = upsample_map(prob, frame, cfg.upsample)
        best = np.maximum.reduce(list(full.values()))
        masks = {}
        for oid, prob in full.items():
            obj = session.objects[oid]
            if obj.frame_idx == index:
                obj.tracker.start(obj.mask, detections)
                masks[oid] = obj.mask
            else:
                masks[oid] = np.where((obj.tracker.step(prob, detections) > 0) & (prob >= best), 255, 0).astype(np.uint8)
            if cfg.prior_weight > 0:
                obj.previous = cv2.resize(masks[oid], small.shape[1::-1], interpolation=cv2.INTER_AREA) / np.float32(255)
        return FrameResult(index, full, masks, tuple(detections))
