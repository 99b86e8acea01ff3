"""Per-scene segmentation settings (one PropertyGroup) and the add-on preferences (the runtime)."""

from __future__ import annotations

import bpy

from . import runtime

# Descriptions quote benchmarks/results/presets.json (DAVIS-2016 dev split, 480p, full pipeline).
PRESETS = (
    ("fast", "Fast", ("Quickest: 30 fine-tuning steps, the network on a crop around the object. "
                     "DAVIS dev: J 75.3, F 80.2, ~29 s per 70 frames on 2 CPU cores")),
    ("balanced", "Balanced", ("50 fine-tuning steps: the most accurate on the DAVIS dev clips. "
                             "DAVIS dev: J 77.7, F 81.9, ~36 s per 70 frames on 2 CPU cores")),
    ("best", "Best", ("Two fine-tuned networks per object, their maps averaged. "
                     "DAVIS dev: J 76.8, F 81.8, ~69 s per 70 frames on 2 CPU cores"))
)


class VOSMATTE_PG_keyframe(bpy.types.PropertyGroup):
    """A timeline frame on which an object's Mask is drawn (one of its keyframes)."""

    frame: bpy.props.IntProperty(name="Frame")


class VOSMATTE_PG_object(bpy.types.PropertyGroup):
    """One object to cut out: a Mask datablock and the frames it is drawn on (see keyframes.py)."""

    name: bpy.props.StringProperty(name="Name", description="Names its matte strip and folder")
    mask: bpy.props.PointerProperty(name="Mask", type=bpy.types.Mask, description="The object's outline")
    keyframes: bpy.props.CollectionProperty(type=VOSMATTE_PG_keyframe)


class VOSMATTE_PG_settings(bpy.types.PropertyGroup):
    """What to segment and how; stored in the scene as ``scene.vos_matte``.

    With ``objects`` empty, the one object is ``mask`` (or ``mask_file``), as before objects existed.
    """

    objects: bpy.props.CollectionProperty(type=VOSMATTE_PG_object)
    active_object: bpy.props.IntProperty(name="Active object", min=0)

    mask_source: bpy.props.EnumProperty(
        name="Mask from",
        items=(
            ("MASK", "Mask", "A Mask datablock drawn in the Mask editor at the current frame"),
            ("FILE", "Image", "An image file: white = object (resized to the strip if needed)"),
        ),
    )
    mask: bpy.props.PointerProperty(name="Mask", type=bpy.types.Mask, description="All its layers and splines form the object")
    mask_file: bpy.props.StringProperty(name="Mask image", subtype="FILE_PATH")
    refine_edges: bpy.props.BoolProperty(
        name="Refine edges", description="Snap the drawn mask to the object's edges (GrabCut) before the run"
    )
    preset: bpy.props.EnumProperty(name="Quality", items=PRESETS)
    finetune_iters: bpy.props.IntProperty(
        name="Learning steps", min=0, soft_max=1000, description="Fine-tuning iterations; 0 = the preset's"
    )
    # Default = the core's SegmentConfig.threshold (the add-on does not import the core).
    threshold: bpy.props.FloatProperty(
        name="Threshold", default=0.7, min=0.01, max=0.99,
        description="Object probability above which a pixel is kept: higher gives a tighter matte",
    )
    # Soft matte: vos_core.matte.alpha.RefineSettings; defaults = the core's "soft" (the add-on does not import it).
    edge: bpy.props.EnumProperty(
        name="Edge",
        items=(
            ("hard", "Hard", "Binary cut-out"),
            ("soft", "Soft", "Edge-aware alpha that follows the picture's edges, held steady from frame to frame"),
        ),
    )
    feather: bpy.props.FloatProperty(
        name="Feather", default=3.0, min=0.0, soft_max=20.0, subtype="PIXEL",
        description="Half-width of the soft edge in pixels (0 = hard edge)",
    )
    contrast: bpy.props.FloatProperty(
        name="Contrast", default=0.0, min=0.0, max=0.99, description="Steepens the soft edge",
    )
    shift_edge: bpy.props.FloatProperty(
        name="Shift edge", default=0.0, soft_min=-10.0, soft_max=10.0, subtype="PIXEL",
        description="Pixels to spread (+) or choke (-) the edge",
    )
    smooth: bpy.props.FloatProperty(
        name="Smooth", default=0.0, min=0.0, soft_max=10.0, subtype="PIXEL", description="Rounds off a jagged outline",
    )
    reduce_chatter: bpy.props.FloatProperty(
        name="Reduce chatter", default=0.9, min=0.0, max=1.0,
        description="Motion-compensated smoothing of the edge from frame to frame",
    )
    output_dir: bpy.props.StringProperty(
        name="Matte folder", subtype="DIR_PATH", default="//mattes/",
        description="Mattes go to a sub-folder named after the strip; // means beside the .blend",
    )


def default_runtime_dir() -> str:
    """Where Install runtime puts the environment when no folder is chosen."""
    return bpy.utils.extension_path_user(__package__, path="runtime", create=False)


class VOSMATTE_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    runtime_path: bpy.props.StringProperty(
        name="Runtime", subtype="FILE_PATH",
        description="Python environment holding the core (a venv folder or its python); empty = installed by this add-on",
    )
    weights: bpy.props.StringProperty(
        name="Weights", subtype="FILE_PATH", description="Network weights file or folder; empty = the runtime's default"
    )
    device: bpy.props.EnumProperty(
        name="Device",
        items=(("AUTO", "Auto", "CUDA, then Apple MPS, then CPU"), ("cpu", "CPU", ""), ("cuda", "CUDA", ""), ("mps", "Apple MPS", "")),
    )
    use_cuda: bpy.props.BoolProperty(name="CUDA build", description="Install runtime: the CUDA build of PyTorch")

    def runtime(self) -> str:
        return self.runtime_path or default_runtime_dir()

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "runtime_path")
        if not self.runtime_path:
            layout.label(text=f"Using {default_runtime_dir()}")
        layout.prop(self, "weights")
        layout.prop(self, "device")
        row = layout.row()
        row.operator("vos_matte.check_runtime", icon="CHECKMARK")
        row.operator("vos_matte.install_runtime", icon="IMPORT")
        row.prop(self, "use_cuda")


def preferences(context: bpy.types.Context) -> VOSMATTE_AP_preferences:
    return context.preferences.addons[__package__].preferences


def check(context: bpy.types.Context) -> runtime.RuntimeReport:
    prefs = preferences(context)
    return runtime.check_runtime(prefs.runtime(), prefs.weights or None)
