"""vos_core — one-shot video object segmentation (appearance network + box filters).

Pure Python + PyTorch, no host code. Data flows one way: frames → maps/boxes → masks.
Frames are H×W×3 uint8 RGB, maps H×W float32 in 0..1, masks H×W uint8 0/255.
"""

from .config import PRESETS, SegmentConfig, get_preset
from .errors import InputError, VosError, WeightsError
from .media.frames import open_frames, read_image
from .media.masks import read_mask, validate_mask, write_mask
from .network.checkpoints import load_net
from .predictor import FrameResult, Session, VideoPredictor

__all__ = [
    "PRESETS",
    "FrameResult",
    "InputError",
    "SegmentConfig",
    "Session",
    "VideoPredictor",
    "VosError",
    "WeightsError",
    "get_preset",
    "load_net",
    "open_frames",
    "read_image",
    "read_mask",
    "validate_mask",
    "write_mask",
]
