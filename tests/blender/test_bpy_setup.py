"""tests/blender/setup_bpy_venvs.py: a Blender that cannot be set up stops CI with one sentence saying why."""

from __future__ import annotations

import shutil
import sys

import pytest
import setup_bpy_venvs


def test_a_missing_python_is_one_sentence():
    with pytest.raises(setup_bpy_venvs.SetupError, match=r"^Python 2\.1 is needed and "):
        setup_bpy_venvs.find_python("2.1")


def test_an_uninstallable_bpy_fails_the_run(monkeypatch, capsys):
    release = setup_bpy_venvs.Release("0.1", "0.0.1", f"{sys.version_info.major}.{sys.version_info.minor}")
    monkeypatch.setattr(setup_bpy_venvs, "RELEASES", (release,))
    try:
        assert setup_bpy_venvs.main([]) == 1
    finally:
        shutil.rmtree(release.venv, ignore_errors=True)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("setup_bpy_venvs: bpy 0.0.1 could not be installed for Blender 0.1")

