"""Instance-level object detectors behind one small interface.

A detector maps one H×W×3 uint8 RGB frame to a list of :class:`Detection`. Class ids only need
to be consistent within one detector: the box filter compares classes of the same detector.
Backends: YOLOX-nano (ONNX via OpenCV DNN, bundled) and torchvision Faster R-CNN (weights
already on the user's machine: the core never downloads anything).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..errors import WeightsError
from .boxes import Box

COCO80 = (  # noqa: SIM905 - one readable line per row of names
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant stop_sign parking_meter "
    "bench bird cat dog horse sheep cow elephant bear zebra giraffe backpack umbrella handbag tie suitcase frisbee skis "
    "snowboard sports_ball kite baseball_bat baseball_glove skateboard surfboard tennis_racket bottle wine_glass cup "
    "fork knife spoon bowl banana apple sandwich orange broccoli carrot hot_dog pizza donut cake chair couch "
    "potted_plant bed dining_table toilet tv laptop mouse remote keyboard cell_phone microwave oven toaster sink "
    "refrigerator book clock vase scissors teddy_bear hair_drier toothbrush"
).split()

YOLOX_FILE = "yolox_nano_coco.onnx"
FASTER_RCNN_FILE = "fasterrcnn_resnet50_fpn_coco.pth"


@dataclass(frozen=True)
class Detection:
    """One detected instance: box in frame pixels, class id, score in 0..1."""

    box: Box
    class_id: int
    score: float
    label: str = ""


class Detector(Protocol):
    def detect(self, image: np.ndarray) -> list[Detection]:
        """Detections in one H×W×3 uint8 RGB frame, best score first."""
        ...


def _nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, min_score: float, iou: float) -> np.ndarray:
    """Per-class non-maximum suppression; returns kept indices, best score first."""
    if len(boxes) == 0:
        return np.zeros(0, int)
    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]])
    keep = cv2.dnn.NMSBoxesBatched(xywh.tolist(), scores.tolist(), classes.tolist(), min_score, iou)
    keep = np.asarray(keep, int).reshape(-1)
    return keep[np.argsort(-scores[keep])]


class YoloxDetector:
    """YOLOX-nano COCO detector (ONNX) run by OpenCV's DNN module; ~30 ms a frame on a CPU.

    Input convention of the export: BGR, 0..255, no normalisation, letterboxed to 416×416 with
    grey (114) padding at the bottom/right. Outputs per anchor: x, y, log w, log h (grid units),
    objectness and 80 class probabilities (already sigmoid-ed).
    """

    size = 416
    strides = (8, 16, 32)

    def __init__(self, model: str | Path, min_score: float = 0.3, nms_iou: float = 0.45) -> None:
        model = Path(model)
        if not model.is_file():
            raise WeightsError(f"detector model not found: {model}")
        self.net = cv2.dnn.readNetFromONNX(str(model))
        self.min_score, self.nms_iou = min_score, nms_iou
        grids, strides = [], []
        for stride in self.strides:
            n = self.size // stride
            yv, xv = np.mgrid[0:n, 0:n]
            grids.append(np.column_stack([xv.ravel(), yv.ravel()]))
            strides.append(np.full(n * n, stride))
        self.grid = np.concatenate(grids).astype(np.float32)
        self.stride = np.concatenate(strides).astype(np.float32)[:, None]

    def detect(self, image: np.ndarray) -> list[Detection]:
        h, w = image.shape[:2]
        parts = [self._candidates(image[y0:y1, x0:x1], x0, y0) for x0, y0, x1, y1 in tiles(w, h)]
        boxes, scores, classes = (np.concatenate(a) for a in zip(*parts))
        keep = _nms(boxes, scores, classes, self.min_score, self.nms_iou)
        return [Detection(tuple(map(float, boxes[i])), int(classes[i]), float(scores[i]), COCO80[classes[i]]) for i in keep]

    def _candidates(self, image: np.ndarray, x0: int, y0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes (N×4, frame pixels: offset by ``x0, y0``), scores and classes above ``min_score`` in one tile."""
        h, w = image.shape[:2]
        ratio = min(self.size / h, self.size / w)
        canvas = np.full((self.size, self.size, 3), 114, np.uint8)
        resized = cv2.resize(image, (int(w * ratio), int(h * ratio)), interpolation=cv2.INTER_LINEAR)
        canvas[: resized.shape[0], : resized.shape[1]] = resized[..., ::-1]  # RGB → BGR
        self.net.setInput(cv2.dnn.blobFromImage(canvas, 1.0, (self.size, self.size), swapRB=False))
        out = self.net.forward()[0]
        centre = (out[:, :2] + self.grid) * self.stride
        half = np.exp(out[:, 2:4]) * self.stride / 2
        boxes = np.column_stack([centre - half, centre + half]) / ratio
        class_scores = out[:, 4:5] * out[:, 5:]
        classes = class_scores.argmax(1)
        scores = class_scores[np.arange(len(classes)), classes]
        candidates = scores >= self.min_score
        boxes, scores, classes = boxes[candidates], scores[candidates], classes[candidates]
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, w) + x0
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, h) + y0
        return boxes, scores, classes


#: Frames longer than this (long side / short side) are cut into overlapping tiles for the
#: detector: letterboxed whole into its square input, a 3.5:1 frame (two clips side by side, a
#: panorama) shrinks every object 2× and the detector lost a third of its detections on them.
MAX_TILE_ASPECT = 2.0


def tiles(w: int, h: int) -> list[tuple[int, int, int, int]]:
    """``(x0, y0, x1, y1)`` windows covering a W×H frame, each at most ~1.5:1 when the frame is
    longer than ``MAX_TILE_ASPECT``, overlapping by a quarter of the short side (so an object
    that narrow is whole in one tile); the whole frame otherwise."""
    long, short = max(w, h), min(w, h)
    if long <= MAX_TILE_ASPECT * short:
        return [(0, 0, w, h)]
    overlap = short // 4
    n = int(np.ceil((long - overlap) / (1.5 * short - overlap)))
    step = (long - overlap) / n
    spans = [(round(i * step), min(long, round((i + 1) * step) + overlap)) for i in range(n)]
    return [(a, 0, b, h) if w >= h else (0, a, w, b) for a, b in spans]


class FasterRCNNDetector:
    """torchvision Faster R-CNN (ResNet-50 FPN, COCO), the paper's detector family.

    ``weights``: a COCO state-dict file on this machine, or ``None`` for random weights (tests only).
    """

    def __init__(self, weights: str | Path | None, min_score: float = 0.3, device: str = "cpu") -> None:
        import torch
        from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights, fasterrcnn_resnet50_fpn

        self.model = fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=91,
                                             box_score_thresh=min_score)
        self.labels = None
        if weights is not None:
            try:
                self.model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
            except Exception as exc:  # noqa: BLE001 - torch raises many types for truncated or foreign files
                raise WeightsError(f"cannot load Faster R-CNN weights {weights}: {exc}") from None
            self.labels = FasterRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"]  # metadata only, no download
        self.device = device
        self.model.to(device).eval()

    def detect(self, image: np.ndarray) -> list[Detection]:
        import torch

        x = torch.from_numpy(np.ascontiguousarray(image)).to(self.device).permute(2, 0, 1).float() / 255.0
        with torch.inference_mode():
            out = self.model([x])[0]
        dets = []
        for box, label, score in zip(out["boxes"].tolist(), out["labels"].tolist(), out["scores"].tolist()):
            name = self.labels[label] if self.labels else str(label)
            dets.append(Detection(tuple(box), int(label), float(score), name))
        return sorted(dets, key=lambda d: -d.score)


def torchvision_cache_file() -> Path:
    """Where torchvision keeps its COCO Faster R-CNN weights once downloaded (``$TORCH_HOME``...)."""
    import torch
    from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights

    url = FasterRCNN_ResNet50_FPN_Weights.COCO_V1.url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[1]


def load_detector(name: str, weights: str | Path | None = None, device: str = "cpu") -> Detector | None:
    """Build the detector called ``name`` ("yolox", "faster-rcnn"; "none" gives None).

    Model files are looked for beside ``weights`` (a file or folder), in ``$VOS_WEIGHTS_DIR``
    and in the package's bundled folder; Faster R-CNN also in torchvision's download cache.
    Nothing is downloaded: a missing file is a WeightsError saying where to put it.
    """
    from ..weights import search_dirs

    if name == "none":
        return None
    if name not in ("yolox", "faster-rcnn"):
        raise WeightsError(f"unknown detector {name!r}; choose yolox, faster-rcnn or none")
    file = YOLOX_FILE if name == "yolox" else FASTER_RCNN_FILE
    places = [d / file for d in search_dirs(weights)]
    if name == "faster-rcnn":
        places.append(torchvision_cache_file())
    found = next((p for p in places if p.is_file()), None)
    if name == "yolox":
        if found is None:
            raise WeightsError(f"detector model {file} not found (reinstall the package, or put it in $VOS_WEIGHTS_DIR)")
        return YoloxDetector(found)
    if found is None:
        from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights

        raise WeightsError(
            f"Faster R-CNN weights not found (looked for {', '.join(map(str, places))}). Download "
            f"{FasterRCNN_ResNet50_FPN_Weights.COCO_V1.url} once and save it as {file} in $VOS_WEIGHTS_DIR "
            "or beside --weights, or use --detector yolox"
        )
    return FasterRCNNDetector(found, device=device)
