"""Host-neutral glue between vos_core and the hosts (ffmpeg CLI, Blender).

``jobs`` describes a job, ``pipeline`` runs it on a frame stream, ``outputs`` writes mattes
atomically, ``worker``/``client`` run it in a separate process speaking JSON lines
(``events``), and ``cancel`` makes a signal stop it at once in any phase. ``events``,
``client`` and ``cancel`` import only the standard library, so a host without torch
(Blender's Python) can use them; ``runtime_check`` tells such a host what a runtime
environment lacks, and ``refine`` snaps a drawn first-frame mask to edges (GrabCut).
"""
