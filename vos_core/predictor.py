"""The one API every caller drives: build, add masks, fit, propagate.

    predictor = VideoPredictor(net, config, device, detector)
    session = predictor.new_session()
    predictor.add_mask(session, frame_idx=0, image=first_rgb, mask=first_mask, obj_id=1)
    predictor.add_mask(session, frame_idx=40, image=rgb_40, mask=correction, obj_id=1)  # a keyframe
    for step in predictor.fit(session): ...                    # TrainStep, for progress bars
    for result in predictor.propagate(session, frames): ...    # FrameResult, one per frame

Networks (``AppearanceNet``, the detector) are kept apart from the per-clip runtime state
(``Session``): one adapted network and one tracker per object. With one keyframe at the start,
frames stream through ``propagate``: nothing is kept from one frame to the next but each
object's track state. With keyframes later in the clip, objects are tracked outward from each
keyframe in both directions over maps kept on disk (``clip_store.py``), so memory stays flat.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field, replace
from itertools import islice

import numpy as np
import torch

from .calibration import keyframe_cut, recalibrate
from .clip_store import ClipStore
from .config import SegmentConfig
from .errors import InputError
from .matte.upsample import upsample_map
from .media.masks import validate_mask
from .network.appearance import AppearanceNet, MapEnsemble, compute_dtype, to_input
from .network.augment import resize_to_height
from .network.crops import cut, object_crop, paste
from .network.oneshot import TrainStep, fine_tune
from .propagation import streams_forward, track_outward
from .tracking.boxes import Box, mask_box
from .tracking.detection import Detection, Detector
from .tracking.flow_prior import FlowPrior, apply_prior, small_mask
from .tracking.tracker import ObjectTracker, TrackState, keyframe_classes


@dataclass
class ObjectState:
    """One annotated object: its keyframes, its own adapted network (after fitting) and its track."""

    obj_id: int
    keyframes: dict[int, tuple[np.ndarray, np.ndarray]]  # frame → (H×W×3 uint8 RGB, H×W uint8 0/255 mask)
    tracker: ObjectTracker
    net: AppearanceNet | None = None
    previous: np.ndarray | None = None  # last mask at the network's resolution, float32 0..1 (flow prior)
    known: TrackState | None = None  # classes the detector gave it on any keyframe (set by fitting)
    crop_box: Box | None = None  # where its crop goes on the next frame (see _next_crop_box)
    cut: float | None = None  # the map value its keyframes say to cut at (set by fitting; calibration.py)

    @property
    def first(self) -> tuple[np.ndarray, np.ndarray]:
        """The earliest keyframe's image and mask."""
        return self.keyframes[min(self.keyframes)]


@dataclass
class Session:
    """Per-clip runtime state: the objects, the frame size they were annotated at, the settings."""

    config: SegmentConfig
    objects: dict[int, ObjectState] = field(default_factory=dict)
    frame_shape: tuple[int, int] | None = None
    prior: FlowPrior = field(default_factory=FlowPrior)


@dataclass(frozen=True)
class FrameResult:
    """Output for one frame: per object a map (H×W float32 0..1, upsampled; after the temporal
    prior when streaming forward) and a mask (H×W uint8 0/255); and the frame (H×W×3 uint8 RGB).

    ``lost`` says, per object, for how many frames in a row (this one included) its track has
    found no box for it (0: found, or a keyframe, or a post-process that uses no boxes).
    """

    index: int
    maps: dict[int, np.ndarray]
    masks: dict[int, np.ndarray]
    detections: tuple[Detection, ...] = ()
    frame: np.ndarray | None = None
    lost: dict[int, int] = field(default_factory=dict)

    @property
    def matte(self) -> np.ndarray:
        """All objects together as one H×W uint8 0/255 matte."""
        return np.maximum.reduce(list(self.masks.values()))


def _owners(maps: dict[int, np.ndarray], claims: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Per object, the pixels it keeps (H×W bool): its claims (what its own filters kept), less those
    another object also claims with a higher map value; ties go to the lowest id. A map alone claims
    nothing: where one object's network fires on another object that its filters then drop, the
    other object keeps its pixels."""
    if len(maps) == 1:
        return claims
    ids = sorted(maps)
    scores = np.stack([np.where(claims[oid], maps[oid], -1.0) for oid in ids])
    winner = np.argmax(scores, axis=0)
    return {oid: claims[oid] & (winner == i) for i, oid in enumerate(ids)}


def _output_masks(
    session: Session, index: int, maps: dict[int, np.ndarray], claims: dict[int, np.ndarray]
) -> dict[int, np.ndarray]:
    """Each object's H×W uint8 0/255 mask on frame ``index``: a keyframe as drawn (even where it
    overlaps another object), otherwise its claim less the overlaps it loses (``_owners``)."""
    owner = _owners(maps, claims)
    drawn = {oid: session.objects[oid].keyframes.get(index) for oid in claims}
    return {oid: drawn[oid][1] if drawn[oid] else np.where(owner[oid], 255, 0).astype(np.uint8) for oid in claims}


def _next_crop_box(mask: np.ndarray, track: TrackState) -> Box | None:
    """Where the object's crop goes on the next frame: its mask's box, joined with the box its
    track chose on this frame (a detection covers the whole object where the mask may have lost
    a limb, and a crop fitted to a shrunken mask would zoom in further and lose more)."""
    box = mask_box(mask)
    if box is None or track.box is None or track.missed:
        return box
    return (min(box[0], track.box[0]), min(box[1], track.box[1]), max(box[2], track.box[2]), max(box[3], track.box[3]))


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
        self.net.compute_dtype = compute_dtype(config.precision, self.device)
        self.config = config
        self.detector = detector

    def new_session(self, config: SegmentConfig | None = None) -> Session:
        """A fresh clip; ``config`` may change the per-frame filtering (fine-tuning uses the predictor's)."""
        return Session(config or self.config)

    def add_mask(self, session: Session, frame_idx: int, image: np.ndarray, mask: np.ndarray, obj_id: int = 1) -> None:
        """Annotate object ``obj_id`` on frame ``frame_idx`` (image H×W×3 uint8 RGB, mask H×W).

        Call again for the same object to add a keyframe (a correction): fine-tuning learns from
        all of an object's keyframes, and every frame is segmented from the nearest ones. Adding
        a keyframe to a fitted object makes :meth:`fit` fit it again.
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError(f"frame must be H×W×3 uint8 RGB, got {image.shape} {image.dtype}")
        if session.frame_shape not in (None, image.shape[:2]):
            raise InputError(f"frame size {image.shape[1]}×{image.shape[0]} differs from the clip's")
        if frame_idx < 0:
            raise InputError(f"keyframe index must be >= 0, got {frame_idx}")
        mask = validate_mask(mask, image.shape, what=f"mask of object {obj_id} on frame {frame_idx}")
        session.frame_shape = image.shape[:2]
        obj = session.objects.setdefault(obj_id, ObjectState(obj_id, {}, ObjectTracker(session.config)))
        obj.keyframes[frame_idx] = (image, mask)
        obj.net, obj.cut = None, None

    def fit(self, session: Session, warm: dict[int, tuple[dict, int]] | None = None) -> Iterator[TrainStep]:
        """Fine-tune one copy of the parent network per object on its keyframes, yielding progress.

        ``warm`` maps an object id to ``(state_dict, iterations)``: start from that fitted
        network (e.g. cached from a run with fewer keyframes) and train that many steps more,
        instead of the full ``finetune_iters`` from the parent.
        """
        if not session.objects:
            raise InputError("no mask was added: annotate at least one object first")
        for obj in session.objects.values():
            if obj.net is None:
                net = self._fresh_net()
                iterations = None
                if warm and obj.obj_id in warm:
                    state, iterations = warm[obj.obj_id]
                    net.load_state_dict(state)
                examples = [obj.keyframes[k] for k in sorted(obj.keyframes)]
                members = net.members if isinstance(net, MapEnsemble) else [net]
                for k, member in enumerate(members):
                    config = replace(self.config, seed=self.config.seed + k)
                    for step in fine_tune(member, examples, config, self.device, obj.obj_id, iterations):
                        # One progress bar over all members.
                        yield replace(step, step=k * step.total + step.step, total=len(members) * step.total)
                obj.net = net
                obj.cut = self._keyframe_cut(session, obj)
                detections = {k: self.detect(image, session) for k, (image, _) in obj.keyframes.items()}
                obj.known = keyframe_classes(session.config, [(obj.keyframes[k][1], d) for k, d in detections.items()])
                first = min(obj.keyframes)
                obj.tracker.start(obj.keyframes[first][1], detections[first], obj.known)

    def _keyframe_cut(self, session: Session, obj: ObjectState) -> float | None:
        """Where the fitted ``obj``'s maps are cut, read off its keyframes' maps drawn as inference
        draws them (None: at the threshold, no calibration asked for)."""
        cfg = session.config
        if not cfg.calibrate_threshold:
            return None
        drawn = ((self._object_maps(session, {obj.obj_id: obj}, k, image)[obj.obj_id], image, mask)
                 for k, (image, mask) in obj.keyframes.items())
        pairs = ((upsample_map(prob, image, cfg.upsample), mask) for prob, image, mask in drawn)
        return keyframe_cut(pairs, cfg.threshold, cfg.calibrate_threshold)

    def _fresh_net(self) -> AppearanceNet | MapEnsemble:
        """Copies of the parent to fine-tune for one object: one, or a ``MapEnsemble`` of ``ensemble``."""
        if self.config.ensemble == 1:
            return copy.deepcopy(self.net)
        return MapEnsemble([copy.deepcopy(self.net) for _ in range(self.config.ensemble)])

    def clone_session(self, session: Session, config: SegmentConfig) -> Session:
        """A fitted session's objects with fresh tracks under another filtering config (ablations)."""
        clone = Session(config, frame_shape=session.frame_shape)
        for oid, obj in session.objects.items():
            tracker = ObjectTracker(config)
            image, mask = obj.first
            tracker.start(mask, self.detect(image, clone), obj.known)
            clone.objects[oid] = ObjectState(oid, dict(obj.keyframes), tracker, obj.net, known=obj.known, cut=obj.cut)
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
        x = to_input(small, self.device)
        prob = torch.sigmoid(net(x))
        if self.config.mirror_average:
            prob = (prob + torch.sigmoid(net(x.flip(-1))).flip(-1)) / 2
        return prob[0, 0].float().cpu().numpy()

    def object_map(self, session: Session, obj: ObjectState, image: np.ndarray) -> np.ndarray:
        """``obj``'s map of ``image`` (a frame scaled by :meth:`small_frame`, or a crop), remapped
        so that its calibrated cut reads as the session's threshold: h×w float32 0..1."""
        prob = self.predict_map(obj.net, image)
        return prob if obj.cut is None else recalibrate(prob, obj.cut, session.config.threshold)

    def propagate(
        self,
        session: Session,
        frames: Iterable[np.ndarray],
        start: int = 0,
        end: int | None = None,
        on_scan: Callable[[int, int], None] | None = None,
    ) -> Iterator[FrameResult]:
        """Segment frames ``start..end`` (inclusive; ``end`` None: to the last) of a clip.

        ``frames`` are the clip's frames from frame 0 (H×W×3 uint8 RGB, in order). Yields one
        :class:`FrameResult` per frame, in order. Fits first if :meth:`fit` has not been run.
        Keyframes return their own mask. When the only keyframe in range is ``start``, frames
        stream through one at a time. Otherwise each object is tracked outward from its
        keyframes in both directions (see ``propagation.py``): the network runs once per frame,
        its maps go to a disk store, ``frames`` is iterated a second time for the output (it
        must be a sequence or a re-iterable source, with ``len()`` when ``end`` is None), and
        ``on_scan(done, total)`` reports the first pass.
        """
        for _ in self.fit(session):
            pass
        last = end if end is not None else (len(frames) - 1 if isinstance(frames, Sized) else sys.maxsize)
        if all(streams_forward(list(obj.keyframes), start, last) for obj in session.objects.values()):
            for index, frame in enumerate(islice(frames, start, None if end is None else end + 1), start):
                maps = self.maps(session, index, frame)
                detections = self.detect(frame, session)
                yield self.finish_frame(session, index, frame, maps, detections)
            return
        if iter(frames) is frames or last == sys.maxsize:
            raise InputError("keyframes after the first frame need a clip that can be read twice, with a known length")
        yield from self._propagate_outward(session, frames, start, last, on_scan)

    def maps(self, session: Session, index: int, frame: np.ndarray) -> dict[int, np.ndarray]:
        """Each object's appearance map for frame ``index`` (float32 0..1): at the network's
        resolution (h×w) from the whole frame, or at the frame's (H×W) from a crop around the
        object where ``crop_size`` is set and a crop magnifies it (``crops.object_crop``: placed
        at the object's mask on the previous frame, or on this one if it is a keyframe)."""
        self._check_size(session, index, frame)
        return self._object_maps(session, session.objects, index, frame)

    def _object_maps(
        self, session: Session, objects: dict[int, ObjectState], index: int, frame: np.ndarray
    ) -> dict[int, np.ndarray]:
        """:meth:`maps` for some of the session's objects."""
        small = None
        maps = {}
        for oid, obj in objects.items():
            warp = self._crop_of(obj, index, frame.shape[:2])
            if warp is None:
                small = self.small_frame(frame) if small is None else small
                maps[oid] = self.object_map(session, obj, small)
            else:
                side = self.config.crop_spec.side
                maps[oid] = paste(self.object_map(session, obj, cut(frame, warp, (side, side))), warp, frame.shape[:2])
        return maps

    def _crop_of(self, obj: ObjectState, index: int, frame_shape: tuple[int, int]) -> np.ndarray | None:
        """The warp of ``obj``'s crop on frame ``index``, or None for the whole frame."""
        if not self.config.crop_size:
            return None
        box = mask_box(obj.keyframes[index][1]) if index in obj.keyframes else obj.crop_box
        return object_crop(box, frame_shape, self.config.infer_height, self.config.crop_spec)

    @staticmethod
    def _check_size(session: Session, index: int, frame: np.ndarray) -> None:
        if frame.shape[:2] != session.frame_shape:
            raise InputError(
                f"frame {index} is {frame.shape[1]}×{frame.shape[0]}, the annotated frame was "
                f"{session.frame_shape[1]}×{session.frame_shape[0]}"
            )

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
        Each object's mask places its crop on the next frame.
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
        claims, lost = {}, {}
        for oid, prob in full.items():
            obj = session.objects[oid]
            if index in obj.keyframes:
                claims[oid] = obj.keyframes[index][1] > 0
                obj.tracker.start(obj.keyframes[index][1], detections, obj.known)
            else:
                claims[oid] = obj.tracker.step(prob, detections) > 0
            lost[oid] = obj.tracker.state.missed
        masks = _output_masks(session, index, full, claims)
        for oid, mask in masks.items():
            obj = session.objects[oid]
            obj.crop_box = _next_crop_box(mask, obj.tracker.state) if self.config.crop_size else None
            if cfg.prior_weight > 0:
                obj.previous = small_mask(mask, small.shape)
        return FrameResult(index, full, masks, tuple(detections), frame, lost)

    def _propagate_outward(
        self,
        session: Session,
        frames: Iterable[np.ndarray],
        start: int,
        end: int,
        on_scan: Callable[[int, int], None] | None,
    ) -> Iterator[FrameResult]:
        """Keyframes anywhere: scan the maps to a disk store, track every object outward, join, output."""
        cfg = session.config
        height, width = session.frame_shape
        small_shape = self.small_frame(np.zeros((height, width, 3), np.uint8)).shape[:2]
        crop_side = self.config.crop_spec.side if self.config.crop_size else 0
        with ClipStore(end - start + 1, small_shape, (height, width), list(session.objects), crop_side) as store:
            passes = 2 if self.config.crop_size else 1
            count = 0
            for i, frame in enumerate(islice(frames, start, end + 1)):
                self._check_size(session, start + i, frame)
                store.small[i] = small = self.small_frame(frame)
                for oid, obj in session.objects.items():
                    store.maps[oid][i] = self.object_map(session, obj, small)
                store.detections[i] = self.detect(frame, session)
                count = i + 1
                if on_scan is not None:
                    on_scan(count, store.n * passes)
            if count == 0:
                return
            end = start + count - 1
            forward = self._track_objects(session, store, start, end)
            if self.config.crop_size:
                self._scan_crops(session, store, frames, start, forward, on_scan)
                forward = self._track_objects(session, store, start, end)
            for i, frame in enumerate(islice(frames, start, end + 1)):
                index = start + i
                full = {oid: upsample_map(store.map_at(oid, i), frame, cfg.upsample) for oid in forward}
                claims, lost = {}, {}
                for oid, obj in session.objects.items():
                    if index in obj.keyframes:
                        claims[oid], lost[oid] = obj.keyframes[index][1] > 0, 0
                    else:
                        claims[oid] = store.mask(oid, forward[oid][i], i) > 0
                        lost[oid] = store.lost(oid, forward[oid][i], i)
                masks = _output_masks(session, index, full, claims)
                yield FrameResult(index, full, masks, tuple(store.detections[i]), frame, lost)

    def _scan_crops(
        self,
        session: Session,
        store: ClipStore,
        frames: Iterable[np.ndarray],
        start: int,
        forward: dict[int, list[bool]],
        on_scan: Callable[[int, int], None] | None,
    ) -> None:
        """The second pass with crops: on every frame, each object's crop goes where the first
        pass's tracking (on whole-frame maps) put it on that same frame (the run the output takes),
        so backward runs get crops too; its map replaces the whole-frame one in the store."""
        side = self.config.crop_spec.side
        for i, frame in enumerate(islice(frames, start, start + store.n)):
            for oid, obj in session.objects.items():
                drawn = obj.keyframes.get(start + i)
                box = mask_box(drawn[1] if drawn else store.mask(oid, forward[oid][i], i))
                warp = object_crop(box, store.full_shape, self.config.infer_height, self.config.crop_spec)
                if warp is not None:
                    store.put_crop(oid, i, self.object_map(session, obj, cut(frame, warp, (side, side))), warp)
            if on_scan is not None:
                on_scan(store.n + i + 1, 2 * store.n)

    @staticmethod
    def _track_objects(session: Session, store: ClipStore, start: int, end: int) -> dict[int, list[bool]]:
        """Track every object outward from its keyframes over the stored maps (``propagation.track_outward``)."""
        return {oid: track_outward(session.config, store, oid, {k: m for k, (_, m) in obj.keyframes.items()}, obj.known,
                                   start, end)
                for oid, obj in session.objects.items()}
