"""installers/blender.py: builds with any Python 3.11+, picks Blender's extension tool deterministically,
and fails with one sentence."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import venv
import zipfile

import pytest
from blender_support import bpy_python
from releases import NEWEST, ROOT
from shared_data import load_script

INSTALLER = ROOT / "installers" / "blender.py"


def _installer_module():
    return load_script(INSTALLER, "vos_matte_blender_installer")


def fake_blender(path):
    """An executable where a Blender would be (the search only looks for it; nothing runs it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.mark.slow
def test_builds_with_a_python_whose_setuptools_cannot_build_wheels(tmp_path):
    """A fresh 3.11 venv has setuptools 65 and no ``wheel``: the build must not reuse them (no bdist_wheel)."""
    bpy_python(NEWEST)  # the extension tool comes with bpy
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    proc = subprocess.run([str(python), str(INSTALLER), "--no-runtime", "--out", str(tmp_path / "dist")],
                          check=False, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (zip_path,) = (tmp_path / "dist").glob("vos_matte-*.zip")
    assert any(n.startswith("runtime/vos_matte-") and n.endswith(".whl") for n in zipfile.ZipFile(zip_path).namelist())


def test_a_failure_is_one_sentence_naming_what_to_pass(tmp_path):
    proc = subprocess.run([sys.executable, str(INSTALLER), "--no-runtime", "--blender-ext", str(tmp_path / "nothing.py")],
                          check=False, capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: --blender-ext {tmp_path / 'nothing.py'} is not a file: pass the blender_ext.py of a Blender install or bpy venv."
    ]


def test_extension_tool_is_the_newest_bpy_venvs_run_with_its_own_python():
    if importlib.util.find_spec("bpy") is not None:
        pytest.skip("this Python imports bpy itself, which the installer prefers")
    python, tool = _installer_module().find_blender_ext(None)
    assert python == str(bpy_python(NEWEST))
    assert tool.startswith(str(NEWEST.venv)) and tool.endswith("blender_ext.py")


@pytest.mark.skipif(sys.platform != "linux", reason="the install folders tried here are Linux's")
def test_an_installed_blender_runs_the_extension_tool_before_asking_for_it(tmp_path, monkeypatch):
    """Without bpy, the installer asked for --blender-ext though Blender was installed."""
    if importlib.util.find_spec("bpy") is not None:
        pytest.skip("this Python imports bpy itself, which the installer prefers")
    installer = _installer_module()
    monkeypatch.setattr(installer, "ROOT", tmp_path / "clone")  # a clone without .venv-bpy-X.Y
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    on_path = fake_blender(tmp_path / "bin" / "blender")
    assert installer.find_blender_ext(None) == [str(on_path), "--command", "extension"]

    on_path.unlink()  # none on PATH: unpacked downloads in the home folder, the newest wins
    for name in ("blender-4.2.9-linux-x64", "blender-4.5.1-linux-x64", "blender-4.5-linux-x64"):
        fake_blender(tmp_path / "home" / name / "blender")
    newest = tmp_path / "home" / "blender-4.5.1-linux-x64" / "blender"
    assert installer.find_blender_ext(None) == [str(newest), "--command", "extension"]

    monkeypatch.setitem(installer.BLENDER_INSTALLS, "linux", (str(tmp_path / "none" / "blender"),))
    with pytest.raises(installer.InstallError, match="^Blender's extension tool was not found: install Blender 4.2"):
        installer.find_blender_ext(None)
