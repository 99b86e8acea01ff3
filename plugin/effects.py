"""Picture effects driven by the object's matte: background blur, colour pop, highlight, outline.

Every effect takes a frame (H×W×3 uint8 RGB) and its alpha (H×W float32 0..1, soft edges welcome:
a hard 0/255 matte is just alpha/255) and returns a new H×W×3 uint8 frame. The object is
``alpha × frame`` and the effect changes only the rest, so soft edges blend the two smoothly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

#: Rec. 709 luma weights: the grey a desaturated background takes.
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass(frozen=True)
class EffectSettings:
    """Knobs of every effect (each uses its own): ``blur`` background blur sigma in pixels at 480 lines
    (scaled with the frame height); ``saturation`` kept in the background by colour pop (0 = grey);
    ``dim`` background brightness under highlight; ``colour`` RGB of the outline; ``width`` outline
    width in pixels at 480 lines."""

    blur: float = 12.0
    saturation: float = 0.0
    dim: float = 0.35
    colour: tuple[int, int, int] = (255, 220, 0)
    width: float = 4.0


def alpha_of(matte: np.ndarray) -> np.ndarray:
    """H×W float32 0..1 alpha from a uint8 0..255 matte (or a float alpha, passed through)."""
    return matte.astype(np.float32) / 255 if matte.dtype == np.uint8 else matte.astype(np.float32)


def _over(frame: np.ndarray, background: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The object (``frame`` where alpha) over ``background`` (float32 H×W×3), as uint8."""
    a = alpha[..., None]
    return np.clip(a * frame + (1 - a) * background + 0.5, 0, 255).astype(np.uint8)


def _scaled(pixels_at_480: float, frame: np.ndarray) -> float:
    return pixels_at_480 * frame.shape[0] / 480


def background_blur(frame: np.ndarray, alpha: np.ndarray, settings: EffectSettings = EffectSettings()) -> np.ndarray:
    """Blur what is not the object. The blur averages background pixels only (weighted by 1 - alpha),
    so the object's colours do not bleed into a halo around it."""
    sigma = max(0.5, _scaled(settings.blur, frame))
    weight = 1 - alpha
    blurred = cv2.GaussianBlur(frame.astype(np.float32) * weight[..., None], (0, 0), sigma)
    norm = cv2.GaussianBlur(weight, (0, 0), sigma)[..., None]
    # Where no background is near (deep inside the object) the blur is undefined but fully covered.
    background = np.where(norm > 1e-3, blurred / np.maximum(norm, 1e-3), frame)
    return _over(frame, background, alpha)


def colour_pop(frame: np.ndarray, alpha: np.ndarray, settings: EffectSettings = EffectSettings()) -> np.ndarray:
    """Keep the object's colour and turn the background grey (``saturation`` of it left)."""
    rgb = frame.astype(np.float32)
    grey = (rgb @ LUMA)[..., None]
    return _over(frame, grey + settings.saturation * (rgb - grey), alpha)


def highlight(frame: np.ndarray, alpha: np.ndarray, settings: EffectSettings = EffectSettings()) -> np.ndarray:
    """Darken the background to ``dim`` of its brightness, so the object stands out."""
    return _over(frame, frame.astype(np.float32) * settings.dim, alpha)


def outline(frame: np.ndarray, alpha: np.ndarray, settings: EffectSettings = EffectSettings()) -> np.ndarray:
    """Draw a ``colour`` line ``width`` pixels wide just outside the object's edge (soft where alpha is)."""
    radius = max(1, round(_scaled(settings.width, frame)))
    grown = cv2.dilate(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)))
    ring = np.clip(grown - alpha, 0, 1)[..., None]
    colour = np.array(settings.colour, np.float32)
    return np.clip((1 - ring) * frame + ring * colour + 0.5, 0, 255).astype(np.uint8)


EFFECTS: dict[str, Callable[[np.ndarray, np.ndarray, EffectSettings], np.ndarray]] = {
    "blur": background_blur,
    "pop": colour_pop,
    "highlight": highlight,
    "outline": outline,
}


def apply_effect(name: str, frame: np.ndarray, matte: np.ndarray, settings: EffectSettings = EffectSettings()) -> np.ndarray:
    """Apply effect ``name`` (a key of EFFECTS) to ``frame`` using ``matte`` (uint8 0..255 or float 0..1)."""
    try:
        effect = EFFECTS[name]
    except KeyError:
        raise ValueError(f"unknown effect {name!r}; use one of {', '.join(EFFECTS)}") from None
    return effect(frame, alpha_of(matte), settings)
