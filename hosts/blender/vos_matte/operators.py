"""Operators: thin wrappers from the panel's buttons to jobrun/matte/runtime."""

from __future__ import annotations

import subprocess
from pathlib import Path

import bpy

from . import jobrun, runtime
from .clip import ClipError, target_strip
from .matte import is_inverted, remove_matte, set_inverted
from .settings import check, preferences

TIMER_S = 0.25


def over_sequencer(context: bpy.types.Context, event: bpy.types.Event) -> bool:
    """True if the mouse is over a Video Sequencer's timeline or preview (where Esc cancels the run)."""
    for area in context.window.screen.areas if context.window else ():
        if area.type != "SEQUENCE_EDITOR":
            continue
        for region in area.regions:
            if region.type in {"WINDOW", "PREVIEW"} and region.x <= event.mouse_x < region.x + region.width \
                    and region.y <= event.mouse_y < region.y + region.height:
                return True
    return False


class VOSMATTE_OT_segment(bpy.types.Operator):
    """Segment the strip from the drawn mask and apply the matte (Esc over the sequencer cancels)"""

    bl_idname = "vos_matte.segment"
    bl_label = "Run"
    bl_options = {"REGISTER"}  # noqa: RUF012 - Blender reads bl_options as a set

    strip: bpy.props.StringProperty(name="Strip", description="Strip to segment; empty = the active strip")

    _timer = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return jobrun.CURRENT is None and context.scene is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        """Blocking path for scripts and ``blender -b`` (modal operators need an event loop)."""
        try:
            prepared = jobrun.prepare(context, self.strip)
            code, events = jobrun.run_to_end(prepared)
            self.report({"INFO"}, jobrun.finish(context, prepared, code, events, []))
        except ClipError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        try:
            prepared = jobrun.prepare(context, self.strip)
        except ClipError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        try:
            jobrun.CURRENT = jobrun.Run(prepared, jobrun.start(prepared))
        except ClipError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self._timer = context.window_manager.event_timer_add(TIMER_S, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        run = jobrun.CURRENT
        if run is None:  # stopped from outside (add-on disabled)
            context.window_manager.event_timer_remove(self._timer)
            return {"CANCELLED"}
        if event.type == "ESC" and event.value == "PRESS" and over_sequencer(context, event):
            run.cancel()  # the worker removes its partial output; we still wait for it to exit
            return {"RUNNING_MODAL"}  # this Esc was for us
        if event.type != "TIMER":
            return {"PASS_THROUGH"}  # every other key and click goes on to Blender, which stays usable
        if run.update():
            context.workspace.status_text_set(f"VOS Matte: {run.text}")
            for area in context.screen.areas:
                area.tag_redraw()
        if run.worker.poll() is None:
            return {"PASS_THROUGH"}
        code = run.worker.wait()
        run.update()
        context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)
        jobrun.CURRENT = None
        try:
            self.report({"INFO"}, jobrun.finish(context, run.prepared, code, run.events, list(run.worker.stderr_tail),
                                                run.cancelled))
        except ClipError as exc:
            self.report({"WARNING"}, str(exc))
            return {"CANCELLED"}
        return {"FINISHED"}


class VOSMATTE_OT_cancel(bpy.types.Operator):
    """Stop the running segmentation; no matte is written"""

    bl_idname = "vos_matte.cancel"
    bl_label = "Cancel"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return jobrun.CURRENT is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        jobrun.CURRENT.cancel()  # the modal operator sees the worker exit and cleans up
        return {"FINISHED"}


class _MatteOperator:
    """Shared strip lookup for operators acting on the target strip's matte: ``execute`` finds the
    strip (reporting why not) and hands it to the subclass's ``apply``."""

    strip: bpy.props.StringProperty(name="Strip", description="Empty = the active strip")

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            strip = target_strip(context.scene, self.strip)
        except ClipError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return self.apply(context, strip)


class VOSMATTE_OT_invert(_MatteOperator, bpy.types.Operator):
    """Keep the outside of the object instead of the object (toggle)"""

    bl_idname = "vos_matte.invert"
    bl_label = "Invert Matte"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    def apply(self, context: bpy.types.Context, strip: bpy.types.Strip) -> set[str]:
        try:
            set_inverted(context.scene, strip, not is_inverted(context.scene, strip))
        except LookupError as exc:
            self.report({"ERROR"}, f"{exc}: press Run first.")
            return {"CANCELLED"}
        return {"FINISHED"}


class VOSMATTE_OT_remove(_MatteOperator, bpy.types.Operator):
    """Remove the matte strip and its Mask modifier (the PNG files stay on disk)"""

    bl_idname = "vos_matte.remove"
    bl_label = "Remove Matte"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    def apply(self, context: bpy.types.Context, strip: bpy.types.Strip) -> set[str]:
        if not remove_matte(context.scene, strip):
            self.report({"INFO"}, f"{strip.name} has no matte.")
        return {"FINISHED"}


class VOSMATTE_OT_add_object(bpy.types.Operator):
    """Add the chosen Mask as an object to cut out (each object gets its own matte)"""

    bl_idname = "vos_matte.add_object"
    bl_label = "Add Object"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = context.scene.vos_matte
        if settings.mask is None:
            self.report({"ERROR"}, "Choose the object's Mask first.")
            return {"CANCELLED"}
        add_object(settings, settings.mask)
        return {"FINISHED"}


class VOSMATTE_OT_remove_object(bpy.types.Operator):
    """Remove the active object from the list (its matte stays until the next Run)"""

    bl_idname = "vos_matte.remove_object"
    bl_label = "Remove Object"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return len(context.scene.vos_matte.objects) > 0

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings = context.scene.vos_matte
        settings.objects.remove(min(settings.active_object, len(settings.objects) - 1))
        settings.active_object = max(0, min(settings.active_object, len(settings.objects) - 1))
        return {"FINISHED"}


class VOSMATTE_OT_keyframe(bpy.types.Operator):
    """Mark (or unmark) the current frame as a keyframe of the active object: the mask as drawn here is used.
    Draw a correction on a frame where the matte went wrong, add the frame, and Run again"""

    bl_idname = "vos_matte.keyframe"
    bl_label = "Keyframe"
    bl_options = {"REGISTER", "UNDO"}  # noqa: RUF012 - Blender reads bl_options as a set

    remove: bpy.props.BoolProperty(name="Remove", description="Unmark the frame instead")

    def execute(self, context: bpy.types.Context) -> set[str]:
        settings, frame = context.scene.vos_matte, context.scene.frame_current
        if not len(settings.objects):
            if settings.mask is None:
                self.report({"ERROR"}, "Choose the object's Mask first.")
                return {"CANCELLED"}
            add_object(settings, settings.mask)
        obj = settings.objects[min(settings.active_object, len(settings.objects) - 1)]
        listed = [item.frame for item in obj.keyframes]
        if self.remove and frame in listed:
            obj.keyframes.remove(listed.index(frame))
        elif not self.remove and frame not in listed:
            obj.keyframes.add().frame = frame
        return {"FINISHED"}


def add_object(settings: bpy.types.PropertyGroup, mask: bpy.types.Mask) -> None:
    """Append an object drawn by ``mask``, named after it, and make it the active one."""
    obj = settings.objects.add()
    obj.name, obj.mask = mask.name, mask
    settings.active_object = len(settings.objects) - 1


class VOSMATTE_OT_check_runtime(bpy.types.Operator):
    """Check that the runtime environment can run segmentation, and say what is missing"""

    bl_idname = "vos_matte.check_runtime"
    bl_label = "Check Runtime"

    def execute(self, context: bpy.types.Context) -> set[str]:
        report = check(context)
        self.report({"INFO"} if report.ok else {"ERROR"}, report.summary())
        return {"FINISHED"} if report.ok else {"CANCELLED"}


class VOSMATTE_OT_install_runtime(bpy.types.Operator):
    """Create the runtime environment (PyTorch, OpenCV, the core) in the background; minutes and ~1-6 GB"""

    bl_idname = "vos_matte.install_runtime"
    bl_label = "Install Runtime"

    def execute(self, context: bpy.types.Context) -> set[str]:
        prefs = preferences(context)
        target = Path(prefs.runtime())
        if target.is_file():  # a python executable was chosen: install into its environment
            target = target.parent.parent
        target.mkdir(parents=True, exist_ok=True)
        log = target / "install.log"
        with open(log, "w") as out:
            subprocess.Popen(
                runtime.install_command(str(target), prefs.use_cuda), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=runtime.clean_env(), start_new_session=True,
            )
        self.report({"INFO"}, f"Installing the runtime in {target} (log: {log}); press Check Runtime when it is done.")
        return {"FINISHED"}


CLASSES = (
    VOSMATTE_OT_segment,
    VOSMATTE_OT_add_object,
    VOSMATTE_OT_remove_object,
    VOSMATTE_OT_keyframe,
    VOSMATTE_OT_cancel,
    VOSMATTE_OT_invert,
    VOSMATTE_OT_remove,
    VOSMATTE_OT_check_runtime,
    VOSMATTE_OT_install_runtime,
)
