"""The one API every caller drives: build, add masks, fit, propagate.

    predictor = VideoPredictor(net, config, device)
    session = predictor.new_session()
    predictor.add_mask(session, frame_idx=0, image=first_rgb, mask=first_mask, obj_id=1)
    for step in predictor.fit(session): ...          # TrainStep, for progress bars
    for result in predictor.propagate(session, frames): ...   # FrameResult, one per frame

Networks (``AppearanceNet``) are kept apart from the per-clip runtime state (``Session``),
which owns one adapted network per object. Frames stream through ``propagate``: nothing is
kept from one frame to the next but what each object's track needs.
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
from .errors import InputError
from .masks import validate_mask
from .oneshot import TrainStep, fine_tune


@dataclass
class ObjectState:
    """One annotated object: its first mask and, after fitting, its own adapted network."""

    obj_id: int
    frame_idx: int
    image: np.ndarray  # H×W×3 uint8 RGB of the annotated frame
    mask: np.ndarray  # H×W uint8 0/255
    net: AppearanceNet | None = None


@dataclass
class Session:
    """Per-clip runtime state: the objects and the frame size they were annotated at."""

    objects: dict[int, ObjectState] = field(default_factory=dict)
    frame_shape: tuple[int, int] | None = None

    @property
    def fitted(self) -> bool:
        return bool(self.objects) and all(o.net is not None for o in self.objects.values())


@dataclass(frozen=True)
class FrameResult:
    """Output for one frame: per object a map (H×W float32 0..1) and a mask (H×W uint8 0/255)."""

    index: int
    maps: dict[int, np.ndarray]
    masks: dict[int, np.ndarray]

    @property
    def matte(self) -> np.ndarray:
        """All objects together as one H×W uint8 0/255 matte."""
        return np.maximum.reduce(list(self.masks.values()))


class VideoPredictor:
    """One-shot video object segmentation with a parent appearance network."""

    def __init__(self, net: AppearanceNet, config: SegmentConfig, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        self.config = config

    def new_session(self) -> Session:
        return Session()

    def add_mask(self, session: Session, frame_idx: int, image: np.ndarray, mask: np.ndarray, obj_id: int = 1) -> None:
        """Annotate object ``obj_id`` on frame ``frame_idx`` (image H×W×3 uint8 RGB, mask H×W)."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"frame must be H×W×3 uint8 RGB, got {image.shape} {image.dtype}")
        if session.frame_shape not in (None, image.shape[:2]):
            raise InputError(f"frame size {image.shape[1]}×{image.shape[0]} differs from the clip's")
        mask = validate_mask(mask, image.shape, what=f"mask of object {obj_id}")
        session.frame_shape = image.shape[:2]
        session.objects[obj_id] = ObjectState(obj_id, frame_idx, image, mask)

    def fit(self, session: Session) -> Iterator[TrainStep]:
        """Fine-tune one copy of the parent network per object, yielding progress."""
        if not session.objects:
            raise InputError("no mask was added: annotate at least one object first")
        for obj in session.objects.values():
            if obj.net is None:
                net = copy.deepcopy(self.net)
                yield from fine_tune(net, obj.image, obj.mask, self.config, self.device, obj.obj_id)
                obj.net = net

    @torch.inference_mode()
    def predict_map(self, net: AppearanceNet, frame: np.ndarray) -> np.ndarray:
        """Appearance map of one H×W×3 uint8 RGB frame: H×W float32 in 0..1."""
        h, w = frame.shape[:2]
        small = resize_to_height(frame, self.config.infer_height)
        prob = torch.sigmoid(net(to_input(small, self.device)))[0, 0].float().cpu().numpy()
        return cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)

    def propagate(self, session: Session, frames: Iterable[np.ndarray]) -> Iterator[FrameResult]:
        """Segment every frame of ``frames`` (H×W×3 uint8 RGB, in clip order), one at a time.

        Fits first if :meth:`fit` has not been run. Annotated frames return their own mask.
        Where objects overlap, the pixel goes to the object with the higher map value.
        """
        for _ in self.fit(session):
            pass
        for index, frame in enumerate(frames):
            if frame.shape[:2] != session.frame_shape:
                raise InputError(
                    f"frame {index} is {frame.shape[1]}×{frame.shape[0]}, the annotated frame was "
                    f"{session.frame_shape[1]}×{session.frame_shape[0]}"
                )
            maps = {oid: self.predict_map(obj.net, frame) for oid, obj in session.objects.items()}
            masks = self._masks(session, index, maps)
            yield FrameResult(index, maps, masks)

    def _masks(self, session: Session, index: int, maps: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        best = np.maximum.reduce(list(maps.values()))
        masks = {}
        for oid, prob in maps.items():
            obj = session.objects[oid]
            if obj.frame_idx == index:
                masks[oid] = obj.mask
            else:
                keep = (prob > self.config.threshold) & (prob >= best)
                masks[oid] = np.where(keep, 255, 0).astype(np.uint8)
        return masks
