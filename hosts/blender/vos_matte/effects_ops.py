"""Matte-driven effects in the Sequencer: colour pop, highlight and background blur from Blender's own
modifiers and effect strips, so they stay editable and render with the project.

The effect needs the background as a mask: the matte strips are inverted (white = background) and
the strip's cut-out Mask modifiers are muted, so the whole picture shows. Colour pop is a Hue Correct
modifier (saturation 0) and highlight a Curves modifier (brightness × dim), both limited to that mask;
blur is a Gaussian Blur effect strip of a copy of the source above it, cut to the background by a
Mask modifier. Soft (grey) mattes blend smoothly. ``NONE`` removes the effect and restores the cut-out.
"""

from __future__ import annotations

from pathlib import Path

import bpy

from . import timeline
from .clip import strips_of
from .matte import _allow_modifiers, _free_channel, matte_strips, set_inverted
from .operators import _MatteOperator

EFFECTS = (
    ("POP", "Colour Pop", "Grey background, the object keeps its colour"),
    ("HIGHLIGHT", "Highlight", "Darken the background"),
    ("BLUR", "Background Blur", "Blur the background"),
    ("NONE", "None", "Remove the effect and show the cut-out again"),
)
MODIFIER = "VOS Effect"
#: Custom property on a blur strip (and its source copy) naming the strip it blurs; on the strip, the cut-out modifiers it muted
#: (names joined by newlines; present while an effect is on).
BLUR_KEY = "vos_matte_blur_of"
MUTED_KEY = "vos_matte_effect_muted"


def clear_effect(scene: bpy.types.Scene, strip: bpy.types.Strip) -> None:
    """Remove ``strip``'s effect (modifier, blur strip), un-invert its mattes and unmute what it muted."""
    existing = strip.modifiers.get(MODIFIER)
    if existing is not None:
        strip.modifiers.remove(existing)
    strips = strips_of(scene)
    # The blur first: removing its input (the copy) would remove it too, leaving a dangling reference.
    for name in sorted((s.name for s in strips if s.get(BLUR_KEY) == strip.name), key=lambda n: n != f"{strip.name}.blur"):
        if strips.get(name) is not None:
            strips.remove(strips[name])
    for name in strip.get(MUTED_KEY, "").split("\n"):
        if name and strip.modifiers.get(name) is not None:
            strip.modifiers[name].mute = False
    if MUTED_KEY in strip:
        del strip[MUTED_KEY]
        set_inverted(scene, strip, False)


def _copy(scene: bpy.types.Scene, strip: bpy.types.Strip, channel: int) -> bpy.types.Strip:
    """A plain copy of movie or image strip ``strip`` (same frames on the same timeline frames, no modifiers)."""
    strips, zero = strips_of(scene), timeline.source_zero_frame(strip)
    name = f"{strip.name}.blur_source"
    if strip.type == "MOVIE":
        copy = strips.new_movie(name, strip.filepath, channel, zero)
    else:
        elements = [e.filename for e in strip.elements]
        copy = strips.new_image(name, str(Path(bpy.path.abspath(strip.directory)) / elements[0]), channel, zero)
        for filename in elements[1:]:
            copy.elements.append(filename)
    timeline.set_handles(copy, *timeline.handles(strip))
    copy[BLUR_KEY] = strip.name
    return copy


def _blur_strip(scene: bpy.types.Scene, strip: bpy.types.Strip, sigma: float) -> bpy.types.Strip:
    """A Gaussian Blur effect strip over the frames of ``strip``, on free channels above it.

    An effect strip consumes its input (the input is no longer drawn on its own channel), so it
    blurs a copy of the strip and the strip itself still shows beneath.
    """
    left, right = timeline.handles(strip)
    source = _copy(scene, strip, _free_channel(scene, strip))
    strips = strips_of(scene)
    params = strips.bl_rna.functions["new_effect"].parameters.keys()
    # The keyword names changed: seq1 → input1 (4.4), frame_end → length (5.0).
    inputs = {"input1": source} if "input1" in params else {"seq1": source}
    span = {"length": right - left} if "length" in params else {"frame_end": right}
    blur = strips.new_effect(name=f"{strip.name}.blur", type="GAUSSIAN_BLUR", channel=_free_channel(scene, source),
                             frame_start=left, **inputs, **span)
    blur.size_x = blur.size_y = sigma
    blur.blend_type = "ALPHA_OVER"
    blur[BLUR_KEY] = strip.name
    return blur


def set_effect(scene: bpy.types.Scene, strip: bpy.types.Strip, kind: str, amount: float) -> None:
    """Give ``strip`` effect ``kind`` (see EFFECTS); ``amount`` is the blur size in pixels or the
    highlight's background brightness (0..1); colour pop ignores it. LookupError if it has no matte."""
    mattes = matte_strips(scene, strip)
    if not mattes:
        raise LookupError(f"{strip.name} has no matte")
    clear_effect(scene, strip)
    if kind == "NONE":
        return
    cutouts = [m.name for m in strip.modifiers if m.type == "MASK" and not m.mute]
    for name in cutouts:
        strip.modifiers[name].mute = True
    strip[MUTED_KEY] = "\n".join(cutouts)  # modifier names cannot hold a newline
    set_inverted(scene, strip, True)
    _allow_modifiers(scene)
    if kind == "BLUR":
        target, modifier = _blur_strip(scene, strip, amount), "MASK"
    else:
        target, modifier = strip, ("HUE_CORRECT" if kind == "POP" else "CURVES")
    effect = target.modifiers.new(name=MODIFIER, type=modifier)
    effect.input_mask_type = "STRIP"
    effect.input_mask_strip = mattes[0]
    if kind == "POP":
        saturation = effect.curve_mapping.curves[1]  # hue, saturation, value: 0.5 keeps, 0 removes
        for point in saturation.points:
            point.location = (point.location[0], 0.0)
        effect.curve_mapping.update()
    elif kind == "HIGHLIGHT":
        combined = effect.curve_mapping.curves[3]
        combined.points[-1].location = (1.0, amount)
        effect.curve_mapping.update()


class VOSMATTE_OT_effect(_MatteOperator, bpy.types.Operator):
    """Colour pop, highlight or blur the background of the strip, using its matte"""

    bl_idname = "vos_matte.effect"
    bl_label = "Effect"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    effect: bpy.props.EnumProperty(name="Effect", items=EFFECTS)
    blur: bpy.props.FloatProperty(name="Blur", default=12.0, min=0.0, soft_max=100.0, description="Blur size, pixels")
    dim: bpy.props.FloatProperty(name="Dim", default=0.35, min=0.0, max=1.0, description="Background brightness")

    def apply(self, context: bpy.types.Context, strip: bpy.types.Strip) -> set[str]:
        try:
            set_effect(context.scene, strip, self.effect, self.blur if self.effect == "BLUR" else self.dim)
        except LookupError as exc:
            self.report({"ERROR"}, f"{exc}: press Run first.")
            return {"CANCELLED"}
        return {"FINISHED"}


CLASSES = (VOSMATTE_OT_effect,)
