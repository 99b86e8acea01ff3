"""Stage 1, the user's files → frames and masks: ffmpeg probing and decoding (``ffmpeg_input``,
``ffmpeg_process``), frame sources read one frame at a time (``frames``), mask files (``masks``)."""

from .frames import open_frames, read_image
from .masks import read_mask, validate_mask, write_mask

__all__ = ["open_frames", "read_image", "read_mask", "validate_mask", "write_mask"]
