"""A run's life around the worker in real Blender, with a fake runtime so it takes seconds: Esc only cancels
over the sequencer, a worker ignoring SIGTERM is killed after the grace period, a worker that cannot start
or a job that cannot be written leaves no job folder, and disabling the add-on or quitting Blender (which disables add-ons) stops the worker.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from blender_support import run_bpy

#: Stands in for the runtime's python: announces itself like plugin.worker, then sleeps; ignores SIGTERM if asked.
FAKE_PYTHON = """#!/bin/sh
[ -n "$FAKE_WORKER_STUBBORN" ] && trap '' TERM
echo '{"event":"started","device":"cpu","frames":3,"preset":"fast"}'
exec sleep 60
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def lifecycle(newest_blender, extension_zip, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("lifecycle")
    fake = work / "fake-python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    result = run_bpy(newest_blender, "bpy_job_lifecycle.py", str(extension_zip), str(fake), str(work),
                     home=work / "blender-user")
    deadline = time.monotonic() + 10
    while _alive(result["quit_pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    result["quit_alive"] = _alive(result["quit_pid"])
    if result["quit_alive"]:
        os.killpg(result["quit_pid"], signal.SIGKILL)
    return result


def test_esc_cancels_only_over_the_sequencer_and_other_keys_pass_through(lifecycle):
    keys = lifecycle["keys"]
    assert keys["esc_over_properties"] == [["PASS_THROUGH"], 0]
    assert keys["esc_over_sequencer_sidebar"] == [["PASS_THROUGH"], 0]
    assert keys["key_over_sequencer"] == [["PASS_THROUGH"], 0]
    assert keys["key_after_cancel_button"] == [["PASS_THROUGH"], 1]  # the button cancelled; keys still reach Blender
    assert keys["esc_over_sequencer"][0] == ["RUNNING_MODAL"]


def test_cancel_kills_a_worker_that_ignores_sigterm(lifecycle):
    stubborn = lifecycle["stubborn"]
    assert stubborn["code"] == -signal.SIGKILL and 4 < stubborn["seconds"] < 15, stubborn
    assert stubborn["message"] == "Cancelled: no matte was written."
    assert not stubborn["workdir_left"] and not stubborn["partial_left"]


def test_a_runtime_that_cannot_start_leaves_no_job_folder(lifecycle):
    assert "cannot be started" in lifecycle["not_started"] and "Check Runtime" in lifecycle["not_started"]
    assert not lifecycle["not_started_left"]


def test_a_job_that_cannot_be_written_leaves_no_job_folder(lifecycle):
    assert "must use all images" in lifecycle["not_written"]
    assert lifecycle["not_written_left"] == []


def test_disabling_the_addon_stops_the_worker(lifecycle):
    assert lifecycle["disabled"]["code"] is not None and not lifecycle["disabled"]["workdir_left"]


def test_quitting_blender_stops_the_worker(lifecycle):
    assert not lifecycle["quit_alive"] and not Path(lifecycle["quit_workdir"]).exists()
